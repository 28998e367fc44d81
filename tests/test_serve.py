"""`commentary-monitor serve`: Prefect schedules for real, then a clean stop on SIGINT."""

import os
import signal
import subprocess
import time

import duckdb

from .conftest import write_config
from .test_cli import EXE


def test_serve_runs_the_ingest_schedule_and_stops_on_sigint(tmp_path, news_site):
    cfg = write_config(tmp_path, [news_site.url("/east/feed.xml")], [news_site.host_port])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "COMMENTARY_MONITOR_CONFIG"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([EXE, "--config", str(cfg), "serve", "--ingest-cron", "* * * * *"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            feed_fetches = [h for h in news_site.hits if h == "/east/feed.xml"]
            if len(feed_fetches) >= 2:
                break
            assert proc.poll() is None, open(tmp_path / "serve.log").read()
            time.sleep(2)
        assert len([h for h in news_site.hits if h == "/east/feed.xml"]) >= 2, "fewer than two scheduled ingests"
        time.sleep(8)   # let the second run finish writing
        status = subprocess.run([EXE, "--config", str(cfg), "status"], capture_output=True, text=True, env=env,
                                cwd=tmp_path, timeout=120)
        assert "Schedule served by `commentary-monitor serve`" in status.stdout, status.stdout + status.stderr
        assert "Prefect deployments" in status.stdout and "ingest  '* * * * *'" in status.stdout, status.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    log.seek(0)
    output = log.read()
    assert code == 0, output
    assert "serve: ingest on '* * * * *'" in output and output.rstrip().endswith("serve: stopped"), output
    assert "Traceback" not in output, output
    assert "serve: ingest completed in" in output and ": 3 new articles" in output, output
    assert not (tmp_path / "warehouse" / "serve.json").exists()
    con = duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True)
    runs = con.execute("select status from runs where kind = 'ingest' order by started_at").fetchall()
    assert len(runs) >= 2 and runs[0] == ("ok",)
    assert con.execute("select count(*) from articles").fetchone()[0] == 3
    con.close()


def test_a_prefect_cancellation_ends_a_served_run_within_10_s(tmp_path, site):
    """A run `serve` started, cancelled through Prefect's API (as from the UI or `prefect
    flow-run cancel`) while it fetches a slow site: it ends within 10 s, Cancelled in Prefect
    and `cancelled` in the runs table, and `serve` goes on serving."""
    import asyncio
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Cancelling

    from .test_stopping import slow_site, wait_for_pages

    cfg = write_config(tmp_path, [slow_site(site)], [site.host_port])
    site.delay = 0.25
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "COMMENTARY_MONITOR_CONFIG"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([EXE, "--config", str(cfg), "serve", "--ingest-cron", "* * * * *"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)

    async def flow_runs(api_url: str, *types: StateType) -> list:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            async with get_client() as client:
                return await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(types)))))

    async def cancel(api_url: str, run_id) -> None:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            async with get_client() as client:
                await client.set_flow_run_state(run_id, Cancelling(), force=True)

    try:
        wait_for_pages(site, proc, 20, timeout=240)   # the first scheduled ingest is fetching pages
        api_url = json.loads((tmp_path / "warehouse" / "serve.json").read_text())["api_url"]
        (running,) = asyncio.run(flow_runs(api_url, StateType.RUNNING))
        asyncio.run(cancel(api_url, running.id))
        sent = time.monotonic()
        while not asyncio.run(flow_runs(api_url, StateType.CANCELLED)):
            assert time.monotonic() - sent < 10, open(tmp_path / "serve.log").read()
            time.sleep(0.2)
        took = time.monotonic() - sent
        print(f"cancelled in {took:.1f}s")
        while True:   # the run's process has let go of the warehouse
            try:
                con = duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True)
                break
            except duckdb.Error:
                assert time.monotonic() - sent < 10, "the cancelled run still holds the warehouse"
                time.sleep(0.2)
        runs = con.execute("select status from runs where kind = 'ingest' order by started_at").fetchall()
        con.close()
        assert proc.poll() is None, "serve ended with its run"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert took < 10 and runs[0] == ("cancelled",), (took, runs)
    assert code == 0
