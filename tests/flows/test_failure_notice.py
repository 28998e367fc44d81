"""A failed flow run mails the digest's recipients (the same SMTP settings), when configured."""

import pytest

from commentary_monitor.config import SMTP_PASSWORD_ENV
from commentary_monitor.errors import WarehouseError
from commentary_monitor.flows.ingest import ingest

from ..conftest import write_config
from ..smtp_server import PASSWORD, SmtpServer


def test_a_failed_ingest_sends_a_failure_notice(tmp_path, monkeypatch):
    monkeypatch.setenv(SMTP_PASSWORD_ENV, PASSWORD)
    (tmp_path / "warehouse" / "monitor.duckdb").mkdir(parents=True)   # not a database: the run fails
    with SmtpServer(tmp_path) as server:
        cfg = write_config(tmp_path, [], [], server.config_lines())
        with pytest.raises(WarehouseError):
            ingest(config_path=str(cfg))
        (_, rcpts, msg), = server.inbox.received
    assert rcpts == ["analyst@example.org", "desk@example.org"]
    assert "the ingest run" in msg["Subject"] and "failed" in msg["Subject"]
    assert "monitor.duckdb" in msg.get_body(("plain",)).get_content()


def test_without_smtp_the_notice_goes_to_the_outbox_and_can_be_turned_off(tmp_path):
    (tmp_path / "warehouse" / "monitor.duckdb").mkdir(parents=True)
    email = '[email]\nsender = "monitor@example.org"\nrecipients = ["analyst@example.org"]\n'
    cfg = write_config(tmp_path, [], [], email)
    with pytest.raises(WarehouseError):
        ingest(config_path=str(cfg))
    notices = list((tmp_path / "warehouse" / "outbox").glob("failure-*-ingest.eml"))
    assert len(notices) == 1 and b"failed" in notices[0].read_bytes()
    cfg = write_config(tmp_path, [], [], email + "notify_failures = false\n")
    with pytest.raises(WarehouseError):
        ingest(config_path=str(cfg))
    assert len(list((tmp_path / "warehouse" / "outbox").glob("failure-*.eml"))) == 1


def test_an_ingest_in_which_every_feed_failed_ends_failed_and_sends_the_notice(tmp_path):
    import socket

    from commentary_monitor.errors import AllFeedsFailed

    with socket.socket() as s:      # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    email = '[email]\nsender = "monitor@example.org"\nrecipients = ["analyst@example.org"]\n'
    cfg = write_config(tmp_path, [f"http://127.0.0.1:{port}/a.xml", f"http://127.0.0.1:{port}/b.xml"],
                       [f"127.0.0.1:{port}"], email)
    with pytest.raises(AllFeedsFailed, match="all 2 feeds failed") as caught:
        ingest(config_path=str(cfg))
    summary = caught.value.summary
    assert summary.feeds_ok == 0 and [kind for _, kind, _ in summary.feeds_failed] == ["connect", "connect"]
    (notice,) = (tmp_path / "warehouse" / "outbox").glob("failure-*-ingest.eml")
    assert b"all 2 feeds failed" in notice.read_bytes()


def test_tasks_retry_only_transient_failures():
    from prefect import flow, task

    from commentary_monitor.errors import ConfigError
    from commentary_monitor.runs.ingest import transient_only

    calls = {"os": 0, "config": 0}

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=transient_only)
    def flaky(kind: str) -> str:
        calls[kind] += 1
        if kind == "os" and calls[kind] < 3:
            raise ConnectionResetError("peer reset")
        if kind == "config":
            raise ConfigError("x.toml", "k", "bad")
        return "ok"

    @flow
    def run(kind: str):
        return flaky(kind)

    assert run("os") == "ok" and calls["os"] == 3
    with pytest.raises(ConfigError):
        run("config")
    assert calls["config"] == 1
