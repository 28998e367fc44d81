"""Flow-run hooks: a failed run notifies the digest's recipients when email is configured."""

from __future__ import annotations

from datetime import datetime, timezone

from prefect.logging.loggers import flow_run_logger

from commentary_monitor.config import load_config
from commentary_monitor.notify import notify_failure


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
