"""The digest email against a real SMTP server (aiosmtpd on 127.0.0.1): MIME structure,
headers, the inline chart, escaping, sending once, failure and retry, the outbox."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from commentary_monitor.digest import publish
from commentary_monitor.config import EmailSettings
from commentary_monitor.digest.build import collect
from commentary_monitor.warehouse.store import Warehouse

from . import digest_sample as S
from .smtp_server import PASSWORD, USER, SmtpServer

RECIPIENTS = ("analyst@example.org", "desk@example.org")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "w.duckdb"
    S.build(path)
    return path


@pytest.fixture
def wh(sample_db, tmp_path):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(sample_db.read_bytes())
    with Warehouse.open(copy) as w:
        yield w


@pytest.fixture
def digest(wh, tmp_path):
    d = collect(wh, S.profiles(), S.WEEK, S.settings(tmp_path / "digests"), S.NOW, list(S.FEEDS))
    publish.write_archive(wh, d, tmp_path / "digests", publish.chart_png(d))
    return d


def settings(tmp_path: Path, server: SmtpServer | None, **kw) -> EmailSettings:
    base = dict(outbox=tmp_path / "outbox", sender="monitor@example.org", recipients=RECIPIENTS, timeout=10.0)
    if server is not None:
        base.update(smtp_host="127.0.0.1", smtp_port=server.port, security=server.security, username=USER,
                    password=SecretStr(PASSWORD), ca_file=server.cert)
    base.update(kw)
    return EmailSettings(**base)


def send(wh, digest, cfg: EmailSettings, resend=False):
    png = publish.chart_png(digest)
    password = cfg.password.get_secret_value() if cfg.password else None
    return publish.deliver(wh, digest, cfg, password, S.NOW, png, resend=resend)


def test_starttls_delivers_one_well_formed_multipart_message_once(tmp_path, wh, digest):
    with SmtpServer(tmp_path) as server:
        cfg = settings(tmp_path, server)
        first = send(wh, digest, cfg)
        assert first.status == "sent", first.detail
        assert server.inbox.logins == [USER]
        (mail_from, rcpt_tos, msg), = server.inbox.received

        # Envelope and headers
        assert mail_from == "monitor@example.org" and rcpt_tos == list(RECIPIENTS)
        assert msg["From"] == "monitor@example.org"
        assert msg["To"] == "analyst@example.org, desk@example.org"
        assert "2026-W46" in msg["Subject"]
        assert parsedate_to_datetime(msg["Date"]) == S.NOW
        assert re.fullmatch(r"<[^<>@\s]+@example\.org>", msg["Message-ID"])
        assert msg["Message-ID"] == first.message_id

        # multipart/alternative: text/plain, then multipart/related (text/html + the chart)
        assert msg.get_content_type() == "multipart/alternative"
        plain, related = msg.get_payload()
        assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
        html_part, image = related.get_payload()
        assert html_part.get_content_type() == "text/html"
        assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
        assert image.get_payload(decode=True) == publish.chart_png(digest)
        assert image.get_payload(decode=True).startswith(b"\x89PNG")
        cid = image["Content-ID"].strip("<>")
        html = html_part.get_content()
        assert f'src="cid:{cid}"' in html

        # Article-derived text is text, never markup; links are http(s) only
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Beijing &amp; the *Kremlin* [analysis]" in html
        assert "javascript:" not in re.sub(r"\[links\]\(javascript:alert\(1\)\)", "", html)
        assert all(h.startswith(("https://", "http://")) for h in re.findall(r'href="([^"]*)"', html))
        text = plain.get_content()
        assert "Moscow's Pivot to Asia Becomes a Dependence" in text
        assert "Also published by Global Wire <https://wire.example/opinion/pivot-to-asia-dependence>" in text

        # The same week again: nothing is sent; --resend sends it again.
        again = send(wh, digest, cfg)
        assert again.status == "skipped" and "already sent" in again.detail and "--resend" in again.detail
        assert len(server.inbox.received) == 1
        assert send(wh, digest, cfg, resend=True).status == "sent"
        assert len(server.inbox.received) == 2

    publish.write_archive(wh, digest, tmp_path / "digests", None)    # rewriting keeps the send record
    row = wh.con.execute("select sent_at, recipients, message_id from digests where week = '2026-W46' "
                         "and profile = 'sino-russian'").fetchone()
    assert row[0] is not None and row[1] == list(RECIPIENTS)
    assert [r[0] for r in wh.con.execute("select status from digest_sends order by attempted_at").fetchall()] == ["sent", "sent"]


def test_a_failed_send_is_recorded_and_retried(tmp_path, wh, digest):
    with SmtpServer(tmp_path) as server:
        server.inbox.fail_next = 1
        cfg = settings(tmp_path, server)
        failed = send(wh, digest, cfg)
        assert failed.status == "failed" and "451" in failed.error
        assert "retry with `commentary-monitor digest --week 2026-W46 --send`" in failed.detail
        assert wh.digest_sent("2026-W46") is None
        assert (tmp_path / "digests" / "2026-W46.md").exists()     # the digest is kept
        status, error = wh.con.execute("select status, error from digest_sends").fetchone()
        assert status == "failed" and "mail: 127.0.0.1" in error and "451" in error

        retry = send(wh, digest, cfg)
        assert retry.status == "sent" and len(server.inbox.received) == 1
        assert send(wh, digest, cfg).status == "skipped"


def test_implicit_tls_and_refusals(tmp_path, wh, digest):
    with SmtpServer(tmp_path, security="ssl") as server:
        assert send(wh, digest, settings(tmp_path, server)).status == "sent"
        assert len(server.inbox.received) == 1
    with SmtpServer(tmp_path / ".." / tmp_path.name) as server:
        wrong = send(wh, digest, settings(tmp_path, server, password=SecretStr("nope")), resend=True)
        assert wrong.status == "failed" and ": auth: login refused: 535" in wrong.error
        untrusted = send(wh, digest, settings(tmp_path, server, ca_file=None), resend=True)
        assert untrusted.status == "failed" and ": tls: " in untrusted.error
        assert server.inbox.received == []


def test_without_smtp_host_the_email_goes_to_the_outbox(tmp_path, wh, digest):
    cfg = settings(tmp_path, None)
    out = send(wh, digest, cfg)
    assert out.status == "outbox" and "no SMTP server configured" in out.detail
    eml = tmp_path / "outbox" / "2026-W46.eml"
    assert out.eml_path == eml and eml.read_bytes().startswith(b"Subject: Commentary digest 2026-W46")
    assert wh.digest_sent("2026-W46") is None      # written, not sent: --send with a server still sends
    assert send(wh, digest, settings(tmp_path, None, recipients=())).status == "off"
