"""The digest flow end to end: archive files, the Prefect artifact, one email per week."""

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from commentary_monitor.config import SMTP_PASSWORD_ENV, load_config
from commentary_monitor.flows.digest import digest

from .. import digest_sample as S
from ..conftest import read_warehouse, write_config
from ..smtp_server import PASSWORD, SmtpServer


def test_digest_flow_writes_the_archive_and_mails_the_week_once(tmp_path, monkeypatch, backend):
    monkeypatch.setenv(SMTP_PASSWORD_ENV, PASSWORD)
    with SmtpServer(tmp_path) as server:
        cfg = write_config(tmp_path, list(S.FEEDS), [], server.config_lines(), backend=backend)
        S.build(load_config(str(cfg)).store)
        first = digest(config_path=str(cfg), week="2026-W46", send=True)
        assert first.email_status == "sent" and not first.failed
        assert first.items == {"sino-russian": 4, "memory-politics": 2}
        assert "email: sent 2026-W46 to analyst@example.org, desk@example.org via 127.0.0.1" in first.render()
        second = digest(config_path=str(cfg), week="2026-W46", send=True)
        assert second.email_status == "skipped" and "already sent" in second.render()
        assert len(server.inbox.received) == 1
        (_, _, msg), = server.inbox.received
        assert msg.get_content_type() == "multipart/alternative" and "2026-W46" in msg["Subject"]

    out = tmp_path / "warehouse" / "digests"
    assert sorted(p.name for p in out.iterdir()) == ["2026-W46.html", "2026-W46.md", "2026-W46.png"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["digest-2026-w46"])))
    assert artifacts and artifacts[0].type == "markdown"
    assert artifacts[0].data.startswith("# Commentary digest, 2026-W46")


def test_the_password_can_come_from_a_prefect_secret_block(tmp_path, monkeypatch):
    from prefect.blocks.system import Secret

    S.build(tmp_path / "warehouse" / "monitor.duckdb")
    monkeypatch.delenv(SMTP_PASSWORD_ENV, raising=False)
    Secret(value=PASSWORD).save("digest-smtp-password", overwrite=True)
    with SmtpServer(tmp_path, security="ssl") as server:
        cfg = write_config(tmp_path, list(S.FEEDS), [], server.config_lines() + 'password_secret = "digest-smtp-password"\n')
        result = digest(config_path=str(cfg), week="2026-W46", send=True)
        assert result.email_status == "sent", result.render()
        assert server.inbox.logins == ["digest-bot"] and len(server.inbox.received) == 1


def test_a_failed_send_fails_the_run_keeps_the_digest_and_is_retried(tmp_path, monkeypatch, backend):
    monkeypatch.setenv(SMTP_PASSWORD_ENV, PASSWORD)
    with SmtpServer(tmp_path) as server:
        cfg = write_config(tmp_path, list(S.FEEDS), [], server.config_lines(), backend=backend)
        S.build(load_config(str(cfg)).store)
        server.inbox.fail_next = 1
        failed = digest(config_path=str(cfg), week="2026-W46", send=True)
        assert failed.failed and "email: sending failed" in failed.render() and "451" in failed.render()
        assert failed.path.exists() and server.inbox.received == []
        retried = digest(config_path=str(cfg), week="2026-W46", send=True)
        assert retried.email_status == "sent" and len(server.inbox.received) == 1
    with read_warehouse(cfg) as wh:
        con = wh.con
        runs = con.execute("select status from runs where kind = 'digest' order by started_at").fetchall()
        sends = con.execute("select status from digest_sends order by attempted_at").fetchall()
    assert runs == [("failed",), ("ok",)] and sends == [("failed",), ("sent",)]
