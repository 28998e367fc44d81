"""MIME and SMTP: build the digest email and deliver it (stdlib ``email`` and ``smtplib``).

The message is multipart/alternative: a text/plain part, then a multipart/related
holding the text/html part and the chart as an inline image referenced by ``cid:``.
Delivery uses STARTTLS or implicit TLS with certificate checks, and logs in when a
user name is configured. Without an SMTP host the message is written as an ``.eml``.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Sequence

from commentary_monitor.config import EmailSettings
from commentary_monitor.errors import MailError


@dataclass(frozen=True)
class Attachment:
    """An inline image: the HTML refers to it as ``cid:<cid>`` (without angle brackets)."""

    cid: str
    data: bytes
    filename: str
    subtype: str = "png"


def chart_cid(week: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "commentary-monitor.invalid"
    return f"chart-{week.lower()}@{domain}"


def build_message(subject: str, text: str, html: str, settings: EmailSettings, now: datetime,
                  images: Sequence[Attachment] = (), message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Date"] = format_datetime(now)
    domain = settings.sender.rpartition("@")[2] or None
    msg["Message-ID"] = message_id or make_msgid("digest", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"     # RFC 3834: no vacation replies to a digest
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]
    for img in images:
        html_part.add_related(img.data, maintype="image", subtype=img.subtype, cid=f"<{img.cid}>",
                              disposition="inline", filename=img.filename)
    return msg


def write_eml(msg: EmailMessage, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    return path


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if settings.ca_file:
        ctx.load_verify_locations(cafile=str(settings.ca_file))
    return ctx


def send(msg: EmailMessage, settings: EmailSettings, password: str | None) -> None:
    """Deliver ``msg`` to the configured recipients; any failure is a :class:`MailError`."""
    host, port = settings.smtp_host, settings.smtp_port
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=settings.timeout, context=_tls_context(settings))
        else:
            client = smtplib.SMTP(host, port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=_tls_context(settings))
                client.ehlo()
            if settings.username:
                if not password:
                    raise MailError(host, port, "auth", "email.username is set but no password: set "
                                    "$COMMENTARY_MONITOR_SMTP_PASSWORD or email.password_secret")
                client.login(settings.username, password)
            refused = client.send_message(msg, from_addr=settings.sender, to_addrs=list(settings.recipients))
            if refused:
                raise MailError(host, port, "refused", f"recipients refused: {', '.join(sorted(refused))}")
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(host, port, "auth", f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(host, port, "refused", f"recipients refused: {', '.join(sorted(exc.recipients))}") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(host, port, "smtp", f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(host, port, "smtp", f"server does not support it: {exc}") from None
    except smtplib.SMTPException as exc:
        raise MailError(host, port, "smtp", str(exc)) from None
    except ssl.SSLError as exc:
        raise MailError(host, port, "tls", exc.reason or str(exc)) from None
    except socket.gaierror as exc:
        raise MailError(host, port, "dns", f"cannot resolve {host}: {exc.strerror}") from None
    except (TimeoutError, socket.timeout):
        raise MailError(host, port, "timeout", f"no answer within {settings.timeout:g}s") from None
    except OSError as exc:
        raise MailError(host, port, "connect", exc.strerror or str(exc)) from None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
