"""Publishing a digest: the archive files, the ``digests`` rows, and the email.

``write_archive`` writes ``YYYY-Www.md``, ``.html`` and ``.png`` side by side and records
one ``digests`` row per profile. ``deliver`` mails the week once: a week already sent is
skipped unless ``resend``; without an SMTP host the message goes to the outbox as an
``.eml``; a failed send is recorded (``digest_sends``) and the digest stays, so the same
command can retry it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from commentary_monitor.digest import mailer
from commentary_monitor.digest.chart import weekly_chart
from commentary_monitor.config import EmailSettings
from commentary_monitor.digest.build import Digest, render_markdown
from commentary_monitor.digest.html import render_html, render_text
from commentary_monitor.errors import MailError
from commentary_monitor.warehouse.store import Warehouse


@dataclass(frozen=True)
class Archive:
    markdown: Path
    html: Path
    chart: Path | None
    markdown_text: str


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)   # atomic: a reader never sees half a file


def chart_png(digest: Digest) -> bytes | None:
    return weekly_chart(digest.overview.trends) if digest.overview and digest.overview.trends else None


def write_archive(wh: Warehouse | None, digest: Digest, directory: Path, png: bytes | None) -> Archive:
    """Write the week's files (and, given a warehouse, its ``digests`` rows)."""
    directory.mkdir(parents=True, exist_ok=True)
    label = digest.week.label
    chart = directory / f"{label}.png" if png else None
    digest = replace(digest, chart=chart.name if chart else None)
    text = render_markdown(digest)
    md, html = directory / f"{label}.md", directory / f"{label}.html"
    if chart:
        _write(chart, png)
    _write(html, render_html(digest, chart_src=chart.name if chart else None).encode("utf-8"))
    _write(md, text.encode("utf-8"))
    if wh is not None:
        for s in digest.sections:
            wh.record_digest(label, s.profile, s.article_ids, str(md))
    return Archive(md, html, chart, text)


@dataclass(frozen=True)
class Delivery:
    status: str                 # sent, outbox, skipped (already sent), failed, off (no recipients)
    detail: str                 # one line for the run summary
    message_id: str | None = None
    eml_path: Path | None = None
    error: str | None = None


def message_for(digest: Digest, settings: EmailSettings, now: datetime, png: bytes | None) -> EmailMessage:
    images = []
    chart_src = None
    if png:
        cid = mailer.chart_cid(digest.week.label, settings.sender)
        images.append(mailer.Attachment(cid, png, f"{digest.week.label}.png"))
        chart_src = f"cid:{cid}"
    return mailer.build_message(digest.subject, render_text(digest), render_html(digest, chart_src=chart_src),
                                settings, now, images)


def deliver(wh: Warehouse, digest: Digest, settings: EmailSettings | None, password: str | None,
            now: datetime, png: bytes | None, resend: bool = False) -> Delivery:
    label = digest.week.label
    if settings is None or not settings.enabled:
        return Delivery("off", "email: no recipients configured ([email] recipients); nothing sent")
    sent = wh.digest_sent(label)
    if sent and not resend:
        when, to = sent
        return Delivery("skipped", f"email: {label} was already sent on {when:%Y-%m-%d %H:%M} UTC to "
                                   f"{', '.join(to)}; not sent again (use --resend)")
    msg = message_for(digest, settings, now, png)
    message_id = msg["Message-ID"]
    recipients = list(settings.recipients)
    if not settings.smtp_host:
        path = mailer.write_eml(msg, settings.outbox / f"{label}.eml")
        wh.record_send(label, "outbox", recipients, message_id, eml_path=str(path))
        return Delivery("outbox", f"email: no SMTP server configured ([email] smtp_host); wrote {path}",
                        message_id, path)
    try:
        mailer.send(msg, settings, password)
    except MailError as exc:
        wh.record_send(label, "failed", recipients, message_id, error=str(exc))
        return Delivery("failed", f"email: sending failed: {exc}; the digest is kept, retry with "
                                  f"`commentary-monitor digest --week {label} --send`", message_id, error=str(exc))
    wh.record_send(label, "sent", recipients, message_id)
    return Delivery("sent", f"email: sent {label} to {', '.join(recipients)} via {settings.smtp_host}", message_id)
