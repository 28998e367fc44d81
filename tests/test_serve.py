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
