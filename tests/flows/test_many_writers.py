"""Many writers: two ingests at once into one DuckLake on a PostgreSQL catalog, while a third
process queries it every half second."""

import os
import subprocess
import time

from commentary_monitor.config import load_config
from commentary_monitor.localsite import SampleArticle, article_page, rss_feed
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import OFFTOPIC_PARAGRAPHS, last_week_day, write_config
from ..test_cli import EXE, cli
from .test_crash_safety import many_articles


def lake_config(root, feeds, site, catalog):
    cfg = write_config(root, feeds, [site.host_port])
    text = cfg.read_text().replace(
        '[warehouse]\npath = "warehouse/monitor.duckdb"',
        f'[warehouse]\npath = "warehouse/monitor.duckdb"\nbackend = "ducklake"\ncatalog = "postgres:{catalog}"\n'
        f'data_path = "{root.parent / "shared-lake"}"')
    cfg.write_text(text)
    return cfg


def test_two_ingests_at_once_into_one_postgres_lake_while_a_third_process_queries(tmp_path, site, lake_database):
    east = many_articles(site, 60)                               # /k/...
    cfg_a = lake_config(tmp_path / "a", [east], site, lake_database)
    # the lake's schema, made once before the writers start
    Warehouse.open(load_config(str(cfg_a)).store).close()
    # a second feed of the same site, for the other writer
    items = []
    for i in range(60):
        a = SampleArticle(site.url(f"/w/b{i}/"), f"West story {i}", "W", "summary",
                          "\n\n".join([f"West item {i}.", *OFFTOPIC_PARAGRAPHS]), last_week_day(2))
        site.add(f"/w/b{i}/", article_page(a, "W"))
        items.append(a)
    west = site.add("/w/rss", rss_feed("W", site.url("/w/"), items), "application/rss+xml")
    cfg_b = lake_config(tmp_path / "b", [west], site, lake_database)
    site.delay = 0.02
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    procs = []
    for cfg, home in ((cfg_a, "pa"), (cfg_b, "pb")):
        e = dict(env, PREFECT_HOME=str(tmp_path / home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                 PREFECT_LOGGING_LEVEL="WARNING")
        procs.append(subprocess.Popen([EXE, "--config", str(cfg), "ingest"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, env=e, cwd=cfg.parent.parent))
    queries = failures = 0
    while any(p.poll() is None for p in procs):
        res = cli("--config", str(cfg_a), "sql", "select count(*) from articles", cwd=tmp_path / "a")
        queries += 1
        failures += res.returncode != 0
        time.sleep(0.5)
    outs = [p.communicate()[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert queries >= 2 and failures == 0
    with Warehouse.open_reader(load_config(str(cfg_a)).store) as wh:
        assert wh.con.execute("select count(*), count(distinct url) from articles").fetchone() == (120, 120)
        assert wh.con.execute("select count(*) from scores").fetchone()[0] == 240
        assert [r[0] for r in wh.con.execute("select status from runs").fetchall()] == ["ok", "ok"]
