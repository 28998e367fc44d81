"""Every example query in docs/warehouse.md runs against a warehouse filled by the demo."""

import re
from datetime import datetime, timezone

import duckdb
import pytest

from commentary_monitor.config import load_config
from commentary_monitor.demo import build_site, demo_config_text, load_articles
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.warehouse.search import search
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import REPO

DOC = (REPO / "docs" / "warehouse.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```sql\n(.*?)```", DOC[DOC.index("## Example queries"):], re.S)


@pytest.fixture(scope="module", params=["duckdb", "ducklake"])
def demo_warehouse(request, tmp_path_factory):
    """The demo's warehouse, as a file or as a DuckLake (SQLite catalog): where it is."""
    from commentary_monitor.localsite import LocalSite

    work = tmp_path_factory.mktemp("demo")
    base = load_config(REPO / "config" / "monitor.toml")
    with LocalSite() as site:
        feeds = build_site(site, load_articles(), datetime.now(timezone.utc), base.digest.timezone)
        cfg = work / "demo.toml"
        text = demo_config_text(base, site, feeds, work)
        if request.param == "ducklake":
            text = text.replace("\n[digest]\n", f'\nbackend = "ducklake"\ncatalog = "sqlite:{work}/lake.sqlite"\n'
                                               f'data_path = "{work}/lake/"\n[digest]\n', 1)
        cfg.write_text(text, encoding="utf-8")
        assert ingest(config_path=str(cfg)).articles_new == 20
    return load_config(cfg).store


def connect(where):
    """A read-only connection as an analyst opens it: DuckDB on the file, or the lake attached
    as the default catalog (as docs/warehouse.md shows); closing it closes the warehouse."""
    if not where.lake:
        return duckdb.connect(str(where.path), read_only=True)
    return Warehouse.open_reader(where).con


def test_there_are_a_dozen_examples():
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("sql", EXAMPLES, ids=[e.splitlines()[0][3:40] for e in EXAMPLES])
def test_example_query_runs(demo_warehouse, sql):
    con = connect(demo_warehouse)
    try:
        con.execute(sql).fetchall()
    finally:
        con.close()


def test_search_finds_an_article_by_a_phrase_from_its_body(demo_warehouse):
    article = next(a for a in load_articles() if a.slug == "icebreaker-partnership-northern-sea-route")
    words = article.body.split("\n\n")[2].split()[:8]
    phrase = " ".join(words)
    with Warehouse.open(demo_warehouse, read_only=True) as wh:
        hits = search(wh.con, f'"{phrase}"')
    assert hits and hits[0]["title"] == article.title
    con = connect(demo_warehouse)
    con.execute("LOAD fts")
    top = con.execute(
        "SELECT a.title FROM search_bm25(?) s JOIN articles a USING (article_id) ORDER BY s.bm25 DESC LIMIT 1", [phrase]
    ).fetchone()
    con.close()
    assert top == (article.title,)
