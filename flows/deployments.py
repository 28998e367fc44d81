"""The deployments `commentary-monitor serve` runs: scheduled ingest and weekly digest."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

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
    serve(*build_deployments(config_path, schedule), print_starting_message=False)
