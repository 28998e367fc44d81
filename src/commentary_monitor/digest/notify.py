"""Tell the digest's recipients when a scheduled run fails (same SMTP settings)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from commentary_monitor.config import EmailSettings
from commentary_monitor.digest.mailer import build_message, send, write_eml


def failure_message(flow_name: str, run_name: str, error: str, settings: EmailSettings, now: datetime):
    subject = f"commentary-monitor: the {flow_name} run '{run_name}' failed"
    text = (f"The {flow_name} run '{run_name}' failed at {now:%Y-%m-%d %H:%M %Z}.\n\n{error}\n\n"
            "Nothing it had committed is lost; the next scheduled run tries again. "
            "`commentary-monitor status` shows the recent runs.\n")
    html = (f"<p>The {escape(flow_name)} run <b>{escape(run_name)}</b> failed at {now:%Y-%m-%d %H:%M %Z}.</p>"
            f"<pre style=\"white-space:pre-wrap\">{escape(error)}</pre>"
            "<p>Nothing it had committed is lost; the next scheduled run tries again. "
            "<code>commentary-monitor status</code> shows the recent runs.</p>")
    return build_message(subject, text, html, settings, now)


def notify_failure(settings: EmailSettings, password: str | None, flow_name: str, run_name: str,
                   error: str, now: datetime) -> str:
    """Send (or, without an SMTP host, write to the outbox) a failure notice; says what it did."""
    msg = failure_message(flow_name, run_name, error, settings, now)
    if settings.smtp_host:
        send(msg, settings, password)
        return f"failure notice sent to {', '.join(settings.recipients)}"
    path = write_eml(msg, settings.outbox / f"failure-{now:%Y%m%dT%H%M%S}-{flow_name}.eml")
    return f"failure notice written to {path}"
