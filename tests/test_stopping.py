"""Stopping a run when told: real `commentary-monitor ingest` processes, real signals, a slow
site on 127.0.0.1. The command runs in its own process group (as under a shell or systemd);
the signal goes to the main process only (as `docker stop` and many supervisors send it), or
to the whole group (Ctrl-C in a terminal). Afterwards no process of the group may be left,
nor any process the command started (Prefect's temporary API server runs in a session of
its own; the extraction workers and their fork server)."""

import os
import select
import signal
import subprocess
import time
from datetime import timedelta

import duckdb
import pytest

from commentary_monitor.localsite import SampleArticle, article_page, rss_feed
from commentary_monitor.stopping import _alive, _descendants

from .conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS, last_week_day, write_config
from .test_cli import EXE

N = 150


def slow_site(site, n=N):
    when = last_week_day(1)
    items = []
    for i in range(n):
        path = f"/s/a{i}/"
        paragraphs = RELATION_PARAGRAPHS if i % 7 == 0 else OFFTOPIC_PARAGRAPHS
        a = SampleArticle(site.url(path), f"Story {i}", "W", "summary", "\n\n".join([f"Item {i}.", *paragraphs]),
                          when - timedelta(minutes=i))
        site.add(path, article_page(a, "S"))
        items.append(a)
    # An ETag: a stopped run must not keep it, or the rerun would get a 304 and miss the rest.
    return site.add("/s/rss", rss_feed("S", site.url("/s/"), items), "application/rss+xml", headers={"ETag": '"v1"'})


def env_for(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "COMMENTARY_MONITOR_CONFIG"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"))
    return env


def start_ingest(cfg, tmp_path):
    return subprocess.Popen([EXE, "--config", str(cfg), "ingest"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env_for(tmp_path), cwd=tmp_path, start_new_session=True)


def wait_for_pages(site, proc, n, timeout=180):
    deadline = time.monotonic() + timeout
    while sum(1 for h in site.hits if h.startswith("/s/a")) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached its pages"
        time.sleep(0.05)


def left_in_group(pgid, wait=2.0):
    """The processes of the group still there after ``wait`` seconds at most."""
    deadline = time.monotonic() + wait
    while True:
        out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
        if not out or time.monotonic() > deadline:
            return [subprocess.run(["ps", "-o", "pid,args", "-p", p], capture_output=True, text=True).stdout
                    for p in out]
        time.sleep(0.1)


def still_running(pids, wait=2.0):
    deadline = time.monotonic() + wait
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def warehouse(tmp_path):
    return duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True)


def rerun_completes_the_site_once(cfg, tmp_path, site):
    site.delay = 0.0
    out = subprocess.run([EXE, "--config", str(cfg), "ingest"], capture_output=True, text=True,
                         env=env_for(tmp_path), cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    with warehouse(tmp_path) as con:
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (N, N)
        assert con.execute("select count(*) from scores").fetchone()[0] == 2 * N
        return [r[0] for r in con.execute("select status from runs order by started_at").fetchall()]


@pytest.mark.parametrize("sig,group", [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGINT", "Ctrl-C to the group"])
def test_a_signal_stops_ingest_keeps_the_finished_batches_and_leaves_no_process(tmp_path, site, sig, group):
    cfg = write_config(tmp_path, [slow_site(site)], [site.host_port])
    site.delay = 0.25
    proc = start_ingest(cfg, tmp_path)
    try:
        # The pages are fetched ahead of the batches (pagequeue.AHEAD): by the 100th, the first
        # batch of 25 has been built and stored, and the later ones not all.
        wait_for_pages(site, proc, 100)
        started = _descendants(proc.pid)
        assert len(started) >= 3    # at least the API server, the fork server and a worker
        sent = time.monotonic()
        os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + sig, err
    assert took < 10, f"{took:.1f}s: {err}"
    assert left_in_group(proc.pid) == [] and still_running(started) == []
    assert "Traceback" not in err, err
    (line,) = [x for x in err.splitlines() if "kept" in x]
    assert f"ingest stopped by {signal.Signals(sig).name}" in line
    kept = int(line.split("kept ")[1].split()[0])
    with warehouse(tmp_path) as con:
        stored = con.execute("select count(*) from articles").fetchone()[0]
        # No half-written batch: every article has its scores for both profiles.
        assert con.execute("select count(*) from scores").fetchone()[0] == 2 * stored
        assert con.execute("select status from runs").fetchall() == [("cancelled",)]
    assert 0 < kept == stored < N
    assert rerun_completes_the_site_once(cfg, tmp_path, site) == ["cancelled", "ok"]


def test_a_second_signal_exits_at_once(tmp_path, site):
    cfg = write_config(tmp_path, [slow_site(site)], [site.host_port])
    site.delay = 0.25
    proc = start_ingest(cfg, tmp_path)
    try:
        wait_for_pages(site, proc, 40)
        started = _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        # The second signal once the first is handled: two that come while the main thread is
        # busy in C (a batch being stored) reach Python as one.
        first = b""
        deadline = time.monotonic() + 10
        while b": stopping" not in first and time.monotonic() < deadline:
            if select.select([proc.stderr], [], [], 0.05)[0]:
                first += os.read(proc.stderr.fileno(), 4096)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        err = first.decode() + err
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert took < 2, f"{took:.1f}s: {err}"
    assert "again: exiting now" in err
    assert left_in_group(proc.pid) == [] and still_running(started) == []
    # Whatever was committed stays; the rerun marks the run abandoned (or it ended cancelled,
    # when the first signal's stop was quicker than the second) and completes the site.
    statuses = rerun_completes_the_site_once(cfg, tmp_path, site)
    assert statuses[-1] == "ok" and statuses[0] in ("abandoned", "cancelled")
