"""The deployments `commentary-monitor serve` runs: scheduled ingest and weekly digest."""

from __future__ import annotations

import asyncio
import os
import signal

from prefect.schedules import Cron

from commentary_monitor import stopping
from commentary_monitor.config import ScheduleSettings

from .digest import digest
from .ingest import ingest

TAGS = ["commentary-monitor"]


def build_deployments(config_path: str, schedule: ScheduleSettings) -> list:
    # concurrency_limit=1: a run that outlasts its interval makes the next one wait,
    # never run beside it (the warehouse has one writer anyway).
    return [
        ingest.to_deployment(
            name="ingest", schedules=[Cron(schedule.ingest, timezone=schedule.timezone)],
            parameters={"config_path": config_path}, concurrency_limit=1, tags=TAGS,
            description="Fetch the configured feeds, extract, score and store new articles.",
        ),
        digest.to_deployment(
            name="weekly-digest", schedules=[Cron(schedule.digest, timezone=schedule.timezone)],
            # send: mailed once per week to [email] recipients (none configured: nothing is sent)
            parameters={"config_path": config_path, "send": True}, concurrency_limit=1, tags=TAGS,
            description="Write the digest of the last complete ISO week and mail it to [email] recipients once.",
        ),
    ]


def serve_deployments(config_path: str, schedule: ScheduleSettings) -> None:
    """Run the deployments' flow runs as they come due until SIGINT or SIGTERM.

    The first signal stops the runner the way Prefect's own stop does: no new runs, and the
    runs in flight are cancelled (their process gets SIGTERM: each stores what it built and
    records its run as ``cancelled``), waited for, then the loop ends; no traceback. A second
    signal exits at once (see :mod:`commentary_monitor.stopping`)."""
    from prefect.runner import Runner

    runner = Runner()
    for deployment in build_deployments(config_path, schedule):
        runner.add_deployment(deployment)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def on_signal(signum, _frame) -> None:
            if stopping.requested():
                stopping.end_children()
                os._exit(128 + signum)
            stopping.request(signum)
            print(f"serve: {signal.Signals(signum).name}: stopping (runs in flight are cancelled; "
                  "a second signal exits at once)", flush=True)
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(runner.astop()))

        # Runner.start installs its handle_sigterm (sys.exit in a signal handler) for SIGTERM.
        runner.handle_sigterm = on_signal
        signal.signal(signal.SIGINT, on_signal)
        await runner.start()

    asyncio.run(main())
