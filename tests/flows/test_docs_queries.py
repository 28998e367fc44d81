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


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    from commentary_monitor.localsite import LocalSite

    work = tmp_path_factory.mktemp("demo")
    base = load_config(REPO / "config" / "monitor.toml")
    with LocalSite() as site:
        feeds = build_site(site, load_articles(), datetime.now(timezone.utc), base.digest.timezone)
        cfg = work / "demo.toml"
        cfg.write_text(demo_config_text(base, site, feeds, work), encoding="utf-8")
        assert ingest(config_path=str(cfg)).articles_new == 20
    return work / "demo.duckdb"


def test_there_are_a_dozen_examples():
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("sql", EXAMPLES, ids=[e.splitlines()[0][3:40] for e in EXAMPLES])
def test_example_query_runs(demo_warehouse, sql):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
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
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    con.execute("LOAD fts")
    top = con.execute(
        "SELECT a.title FROM search_bm25(?) s JOIN articles a USING (article_id) ORDER BY s.bm25 DESC LIMIT 1", [phrase]
    ).fetchone()
    con.close()
    assert top == (article.title,)
