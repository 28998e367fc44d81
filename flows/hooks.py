"""Flow-run hooks: a failed run notifies the digest's recipients when email is configured; a
deployment's run (served by `commentary-monitor serve`, or a worker's) says how it ended."""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import Flow
from prefect.logging.loggers import flow_run_logger

from commentary_monitor.config import load_config
from commentary_monitor.digest.notify import notify_failure


def notify_on_failure(flow, flow_run, state) -> None:
    log = flow_run_logger(flow_run, flow)
    try:
        cfg = load_config(flow_run.parameters.get("config_path"))
        email = cfg.email
        if email is None or not email.enabled or not email.notify_failures:
            return
        from commentary_monitor.flows.digest import smtp_password

        password = smtp_password(email, cfg.path) if email.smtp_host else None
        log.warning(notify_failure(email, password, flow.name, flow_run.name, state.message or str(state.type),
                                   datetime.now(timezone.utc)))
    except Exception as exc:  # noqa: BLE001 - a hook must never hide the run's own failure
        log.error(f"could not send the failure notice: {exc}")


def announce(flow, flow_run, state) -> None:
    """One line per finished run of a deployment, on the run's output (which `serve` passes
    on): kind, outcome, new articles, time. A run of the command line prints its own summary."""
    if flow_run.deployment_id is None:
        return
    try:
        result = state.result(raise_on_failure=False) if state.data is not None else None
    except Exception:  # noqa: BLE001 - a result that cannot be read leaves the line shorter
        result = None
    result = getattr(result, "summary", result)        # AllFeedsFailed carries the ingest's summary
    detail = []
    if getattr(result, "articles_new", None) is not None:
        detail.append(f"{result.articles_new} new article{'' if result.articles_new == 1 else 's'}")
    if getattr(result, "feeds_failed", None):
        detail.append(f"{len(result.feeds_failed)} feed(s) failed")
    if getattr(result, "items", None) is not None and getattr(result, "week", None):
        detail.append(f"digest {result.week}, {sum(result.items.values())} articles")
    if not state.is_completed() and state.message:
        detail.append(" ".join(state.message.split())[:160])
    took = (state.timestamp - flow_run.start_time).total_seconds() if flow_run.start_time else 0.0
    print(f"serve: {flow.name} {state.name.lower()} in {took:.1f}s" + (f": {'; '.join(detail)}" if detail else ""),
          flush=True)


class PlainFlow(Flow):
    """A flow whose parameters are plain JSON values (a config path, a week, flags), recorded
    as they are. Prefect's own :meth:`Flow.serialize_parameters` passes each through FastAPI's
    ``jsonable_encoder``, and importing FastAPI for it cost every command ~0.3 s."""

    def serialize_parameters(self, parameters):
        if all(v is None or isinstance(v, (str, bool, int, float)) for v in parameters.values()):
            return dict(parameters)
        return super().serialize_parameters(parameters)


def plain_flow(**options):
    """``@flow(**options)`` making a :class:`PlainFlow`."""
    return lambda fn: PlainFlow(fn, **options)
