"""The same ingest, digest and commands on both backends: the DuckDB file and a DuckLake
(a SQLite catalog here; PostgreSQL in test_many_writers.py)."""

import json

import pytest

from commentary_monitor.config import load_config
from commentary_monitor.flows.digest import digest
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import write_config
from ..test_cli import cli

LAKE = '\n[warehouse]\nbackend = "ducklake"\ncatalog = "sqlite:warehouse/lake.sqlite"\ndata_path = "warehouse/lake/"\n'


def config(tmp_path, feeds, site, backend):
    cfg = write_config(tmp_path, feeds, [site.host_port])
    if backend == "ducklake":   # the [warehouse] table gains the lake's keys
        text = cfg.read_text().replace('[warehouse]\npath = "warehouse/monitor.duckdb"',
                                       LAKE.strip().replace("[warehouse]\n", '[warehouse]\npath = "warehouse/monitor.duckdb"\n'))
        cfg.write_text(text)
    return cfg


@pytest.mark.parametrize("backend", ["duckdb", "ducklake"])
def test_ingest_digest_and_commands_on_both_backends(tmp_path, news_site, backend):
    site = news_site
    cfg = config(tmp_path, [site.url("/east/feed.xml"), site.url("/west/atom.xml")], site, backend)
    first = ingest(config_path=str(cfg))
    assert first.articles_new == 6 and first.staged == 0
    pages = [h for h in site.hits if not h.endswith((".xml", "/robots.txt"))]
    second = ingest(config_path=str(cfg))
    assert second.articles_new == 0
    assert [h for h in site.hits if not h.endswith((".xml", "/robots.txt"))] == pages
    result = digest(config_path=str(cfg))
    assert not result.failed
    store = load_config(str(cfg)).store
    assert store.lake == (backend == "ducklake")
    with Warehouse.open_reader(store) as wh:
        assert wh.con.execute("select count(*), count(distinct url) from articles").fetchone() == (6, 6)
        assert wh.con.execute("select count(*) from scores").fetchone()[0] == 12
        assert wh.con.execute("select count(*) from search_docs").fetchone()[0] == 6
        assert wh.con.execute("select count(*) from fetches").fetchone()[0] == 4
        assert wh.con.execute("select count(*) from feed_state where etag is not null or last_modified is not null"
                              ).fetchone()[0] >= 0
        assert [r[0] for r in wh.con.execute("select status from runs order by started_at").fetchall()] == ["ok"] * 3
        assert wh.con.execute("select count(*) from digests").fetchone()[0] == 2
    res = cli("--config", str(cfg), "sql", "--format", "json", "select count(*) as n from relevant_articles", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["n"] >= 1
    for args in (("status",), ("search", "Moscow Beijing"), ("feeds",), ("export", "--out", str(tmp_path / "out"))):
        res = cli("--config", str(cfg), *args, cwd=tmp_path)
        assert res.returncode == 0, (args, res.stderr)
    assert (tmp_path / "out" / "articles.parquet").exists()
    if backend == "ducklake":
        assert not (tmp_path / "warehouse" / "monitor.duckdb").exists()
        assert list((tmp_path / "warehouse" / "lake").rglob("*.parquet"))


def test_warehouse_copy_moves_a_file_into_a_lake_and_back(tmp_path, news_site):
    site = news_site
    one = config(tmp_path / "one", [site.url("/east/feed.xml")], site, "duckdb")
    assert ingest(config_path=str(one)).articles_new == 3
    lake = config(tmp_path / "lake", [site.url("/east/feed.xml")], site, "ducklake")
    res = cli("--config", str(one), "warehouse", "copy", "--to", str(lake), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "3 rows  articles" in res.stdout
    # The lake carries on where the file stopped: nothing is fetched again.
    hits = len(site.hits)
    assert ingest(config_path=str(lake)).articles_new == 0
    assert not [h for h in site.hits[hits:] if not h.endswith((".xml", "/robots.txt"))]
    back = config(tmp_path / "back", [site.url("/east/feed.xml")], site, "duckdb")
    res = cli("--config", str(lake), "warehouse", "copy", "--to", str(back), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    with Warehouse.open_reader(load_config(str(back)).store) as wh:
        assert wh.con.execute("select count(*) from articles").fetchone()[0] == 3
        assert wh.con.execute("select count(*) from scores").fetchone()[0] == 6
        assert wh.con.execute("select count(*) from runs").fetchone()[0] == 2
    # a destination that holds articles already is refused
    res = cli("--config", str(lake), "warehouse", "copy", "--to", str(back), cwd=tmp_path)
    assert res.returncode != 0 and "already holds articles" in res.stderr
