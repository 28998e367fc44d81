"""Two Prefect workers, two ingests at once, one DuckLake on a PostgreSQL catalog.

The recipe of docs/deployment.md on one machine: a Prefect server, a process work pool, two
`prefect worker start` processes and a deployment per worker (each its own config and feed).
The two feeds share twenty stories, and the site holds every article page until both runs
have read their feed, so the runs overlap and both fetch the shared stories.
"""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from commentary_monitor.config import load_config
from commentary_monitor.localsite import SampleArticle, article_page, rss_feed
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import OFFTOPIC_PARAGRAPHS, REPO, last_week_day, write_config
from ..test_cli import EXE

POOL = "monitor-test"


def lake_config(root, feed, site, catalog, data_path):
    cfg = write_config(root, [feed], [site.host_port])
    text = cfg.read_text().replace(
        '[warehouse]\npath = "warehouse/monitor.duckdb"',
        f'[warehouse]\npath = "warehouse/monitor.duckdb"\nbackend = "ducklake"\ncatalog = "postgres:{catalog}"\n'
        f'data_path = "{data_path}"')
    # the pages wait for the other run's feed: no timeout meanwhile
    text = text.replace("timeout = 5.0", "timeout = 120.0").replace("deadline = 10.0", "deadline = 150.0")
    cfg.write_text(text)
    return cfg


def two_feeds(site):
    """/a/rss: 60 stories; /b/rss: 60 others and 20 of /a/'s. 120 articles in all."""
    when = last_week_day(1)
    stories = {}
    for prefix in ("a", "b"):
        for i in range(60):
            path = f"/{prefix}/s{i}/"
            a = SampleArticle(site.url(path), f"Story {prefix}{i}", "W", "summary",
                              "\n\n".join([f"Item {prefix} {i}.", *OFFTOPIC_PARAGRAPHS]), when)
            site.add(path, article_page(a, prefix.upper()))
            stories[path] = a
    a_items = [stories[f"/a/s{i}/"] for i in range(60)]
    b_items = [stories[f"/b/s{i}/"] for i in range(60)] + a_items[::3]
    return (site.add("/a/rss", rss_feed("A", site.url("/a/"), a_items), "application/rss+xml"),
            site.add("/b/rss", rss_feed("B", site.url("/b/"), b_items), "application/rss+xml"))


def hold_pages_until_both_feeds_are_read(site):
    both_read = threading.Event()
    handler = site._server.RequestHandlerClass

    class Gated(handler):
        def do_GET(self):  # noqa: N802 (stdlib name)
            if self.path.endswith("/rss"):
                super().do_GET()
                if {"/a/rss", "/b/rss"} <= set(site.hits):
                    both_read.set()
                return
            if "/s" in self.path:
                both_read.wait(timeout=120)
            super().do_GET()

    site._server.RequestHandlerClass = Gated
    return both_read


def start(args, env, log: Path):
    with open(log, "wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_two_prefect_workers_ingest_into_one_postgres_lake_at_once(tmp_path, site, lake_database):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    feed_a, feed_b = two_feeds(site)
    both_read = hold_pages_until_both_feeds_are_read(site)
    shared = tmp_path / "shared-lake"
    cfg_a = lake_config(tmp_path / "a", feed_a, site, lake_database, shared)
    cfg_b = lake_config(tmp_path / "b", feed_b, site, lake_database, shared)
    store = load_config(str(cfg_a)).store
    Warehouse.open(store).close()     # the lake's schema, made once before the workers start

    prefect = str(Path(EXE).with_name("prefect"))
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="INFO", PREFECT_WORKER_QUERY_SECONDS="1",
               PREFECT_SERVER_LOGGING_LEVEL="WARNING")
    procs = [start([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                   tmp_path / "server.log")]
    try:
        deadline = time.monotonic() + 120
        while True:
            assert procs[0].poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(api + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not start in 120 s"
            time.sleep(0.5)
        subprocess.run([prefect, "work-pool", "create", POOL, "--type", "process"], env=env, check=True,
                       capture_output=True)
        for name in ("worker-a", "worker-b"):
            procs.append(start([prefect, "worker", "start", "--pool", POOL, "--name", name, "--limit", "1"], env,
                               tmp_path / f"{name}.log"))
        with temporary_settings(updates={PREFECT_API_URL: api}):
            source = flow.from_source(source=str(REPO), entrypoint="flows/ingest.py:ingest")
            for name, cfg in (("ingest-a", cfg_a), ("ingest-b", cfg_b)):
                source.deploy(name=name, work_pool_name=POOL, parameters={"config_path": str(cfg)}, print_next_steps=False,
                              ignore_warnings=True)
            runs = [run_deployment(f"ingest/{name}", timeout=0) for name in ("ingest-a", "ingest-b")]
            statuses_seen = set()
            deadline = time.monotonic() + 300
            with get_client(sync_client=True) as client:
                while True:
                    states = [client.read_flow_run(r.id).state for r in runs]
                    if all(s.is_final() for s in states):
                        break
                    assert time.monotonic() < deadline, states
                    with Warehouse.open_reader(store) as wh:     # a reader all along
                        statuses_seen |= {r[0] for r in wh.con.execute("select status from runs").fetchall()}
                    time.sleep(1)
        logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("worker-a", "worker-b")}
        assert [s.type.value for s in states] == ["COMPLETED", "COMPLETED"], (states, logs)
    finally:
        for proc in reversed(procs):
            stop(proc)

    assert both_read.is_set()
    # each worker ran one of the two flow runs (both may try to submit the same run: the one
    # that loses the race logs that its submission was aborted, and did not run it)
    def executed(log: str, run_id: str) -> bool:
        return f"submitting flow run '{run_id}'" in log and f"Aborted submission of flow run '{run_id}'" not in log

    ran = sorted(sum(executed(logs[w], str(r.id)) for r in runs) for w in logs)
    assert ran == [1, 1], logs
    assert "abandoned" not in statuses_seen, statuses_seen    # a run going on elsewhere is not a dead one
    with Warehouse.open_reader(store) as wh:
        con = wh.con
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (120, 120)
        assert con.execute("select count(*), count(distinct (article_id, profile)) from scores").fetchone() == (240, 240)
        assert con.execute("select count(*), count(distinct article_id) from search_docs").fetchone() == (120, 120)
        assert con.execute("select count(*) from pages").fetchone()[0] == 120
        assert sorted(r[0] for r in con.execute("select status from runs").fetchall()) == ["ok", "ok"]
        first, second = con.execute("select started_at, finished_at from runs order by started_at").fetchall()
        assert second[0] < first[1], "the two runs did not overlap"
        assert sum(r[0] for r in con.execute("select articles_new from runs").fetchall()) == 120
