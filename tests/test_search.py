from datetime import datetime

import duckdb
import pytest

from commentary_monitor.warehouse.search import index_new, search
from commentary_monitor.warehouse.store import Warehouse

from .test_warehouse import article, score


def filled(tmp_path):
    path = tmp_path / "w.duckdb"
    wh = Warehouse.open(path)
    arts = [article(1, datetime(2026, 11, 2)), article(2, datetime(2026, 11, 10)), article(3, datetime(2026, 11, 12))]
    arts[0].title, arts[0].text = "Ice and ships", "Arctic shipping along the Northern Sea Route is growing every summer."
    arts[1].title, arts[1].text = "Ports", "Shipping costs rose in the Arctic ports, the shipping lines said."
    arts[2].title, arts[2].text = "Trams", "The city brought back its trams."
    wh.store_articles(wh.start_run("ingest"), arts, [[score("p", 0.9)], [score("p", 0.1)], [score("p", 0.2)]])
    assert index_new(wh.con) == 3
    return wh, path


def test_bm25_search_with_profile_since_and_phrase(tmp_path):
    wh, path = filled(tmp_path)
    try:
        hits = search(wh.con, "arctic shipping")
        assert [h["title"] for h in hits][:2] and {h["title"] for h in hits} == {"Ice and ships", "Ports"}
        assert {h["title"] for h in search(wh.con, "ship")} == {"Ice and ships", "Ports"}   # stemmed
        assert [h["title"] for h in search(wh.con, "arctic", profile="p")] == ["Ice and ships"]
        assert [h["title"] for h in search(wh.con, "arctic", since=datetime(2026, 11, 5))] == ["Ports"]
        assert [h["title"] for h in search(wh.con, '"northern sea route is growing"')] == ["Ice and ships"]
        assert search(wh.con, '"sea route northern"') == []
        assert search(wh.con, "zeppelin") == [] and search(wh.con, "  ") == []
    finally:
        wh.close()


def test_index_works_from_a_read_only_connection(tmp_path):
    wh, path = filled(tmp_path)
    wh.close()
    with Warehouse.open(path, read_only=True) as ro:
        assert [h["title"] for h in search(ro.con, "trams")] == ["Trams"]
    # And in raw SQL, as an analyst would write it.
    con = duckdb.connect(str(path), read_only=True)
    con.execute("LOAD fts")
    rows = con.execute(
        "select a.title from search_bm25('northern sea route') s join articles a using (article_id) order by s.bm25 desc"
    ).fetchall()
    con.close()
    assert rows[0] == ("Ice and ships",)


def test_export_and_vacuum(tmp_path):
    wh, path = filled(tmp_path)
    try:
        written = wh.export_parquet(tmp_path / "out")
        assert written["articles"] == 3 and written["scores"] == 3 and "runs" in written
        assert duckdb.sql(f"select count(*) from '{tmp_path / 'out' / 'articles.parquet'}'").fetchone()[0] == 3
        wh.vacuum()
        assert wh.con.execute("select count(*) from articles").fetchone()[0] == 3
    finally:
        wh.close()


def test_weekly_counts_and_relevant_articles_views(tmp_path):
    wh, path = filled(tmp_path)
    try:
        rows = wh.con.execute("select iso_week, profile, articles, relevant from weekly_counts order by iso_week").fetchall()
        assert rows == [("2026-W45", "p", 1, 1), ("2026-W46", "p", 2, 0)]
        assert wh.con.execute("select count(*) from relevant_articles").fetchone()[0] == 1
    finally:
        wh.close()


def test_digest_items_view_lists_a_digest_in_order_with_its_scores(tmp_path):
    wh, path = filled(tmp_path)
    try:
        ids = [r[0] for r in wh.con.execute("select article_id from articles order by url desc").fetchall()]
        wh.con.execute("insert into digests (week, profile, article_ids, path, written_at) values "
                       "('2026-W46', 'p', ?, '/d/2026-W46.md', now()::timestamp)", [ids[:2]])
        rows = wh.con.execute("select position, article_id, score, explanation is not null from digest_items "
                              "where week = '2026-W46' order by position").fetchall()
        assert [(r[0], r[1]) for r in rows] == [(1, ids[0]), (2, ids[1])]
        assert all(r[2] is not None and r[3] for r in rows)
    finally:
        wh.close()


def test_the_index_grows_with_each_ingest_and_catches_up_after_a_crash(tmp_path):
    wh, path = filled(tmp_path)
    try:
        assert index_new(wh.con) == 0          # nothing new: nothing done
        wh.con.execute("DROP MACRO TABLE search_bm25")
        assert index_new(wh.con) == 0          # ... but the SQL macro is put back
        assert wh.con.execute("SELECT count(*) FROM search_bm25('arctic')").fetchone()[0] >= 0
        more = article(4, datetime(2026, 11, 13))
        more.title, more.text = "Convoys", "Icebreakers escort convoys through Arctic waters."
        wh.store_articles(wh.start_run("ingest"), [more], [[score("p", 0.5)]])
        assert search(wh.con, "icebreaker") == []     # stored, not indexed yet (a run killed here)
        assert index_new(wh.con) == 1
        assert [h["title"] for h in search(wh.con, "icebreakers")] == ["Convoys"]
        terms = wh.con.execute("select count(*), count(distinct article_id) from search_terms").fetchone()
        assert terms[1] == 4 and wh.con.execute("select count(*) from search_docs").fetchone()[0] == 4
        # stop words are not indexed; words are stemmed
        assert wh.con.execute("select count(*) from search_terms where term in ('the', 'and')").fetchone()[0] == 0
        assert wh.con.execute("select tf from search_terms where term = 'ship' and article_id = ?",
                              [wh.con.execute("select article_id from articles where title = 'Ports'").fetchone()[0]]
                              ).fetchone()[0] == 2
    finally:
        wh.close()


TRICKY = [
    ("Café Society", "Naïve résumés, the Ångström unit, São Paulo's coöperation; crème brûlée."),
    ("İstanbul ŞEHİR", "Straße, Øresund, Æsir and Łódź; the ﬁnal ligature; e\u0301clair with a combining mark."),
    ("Quotes", "“Curly” quotes — dashes – and ellipses… 1990s numbers, x2 y3, don’t; it's; CAPITALS."),
    ("Mixed scripts", "Москва и Пекин, 北京 and Moscow; Ελλάδα; naïvely mixed Ünïcödé words."),
    ("ЁЛКИ и ёжики", "Её ещё нет. Українська: їжак, єдність, ґанок; Ѐ; сло́во с ударением; МОСКВА-СИТИ."),
    ("中俄关系", "中俄两国签署了协议。俄 一 中，北京。東京タワー（とうきょう）と한국어; 㐀㐁 and 中文English混排2026年。"),
    ("", ""),
    (None, "No title at all, and running running runners ran."),
]


def test_terms_split_in_the_workers_equal_the_index_sql(tmp_path):
    """index_terms (Python, in the extraction workers) must give exactly the terms the SQL
    of index_new gives, or a search would miss what the other path indexed."""
    from collections import Counter

    from commentary_monitor.warehouse.search import index_terms

    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        arts = []
        for i, (title, text) in enumerate(TRICKY, start=1):
            a = article(i, datetime(2026, 11, 2))
            a.title, a.text = title, text
            arts.append(a)
        wh.store_articles(wh.start_run("ingest"), arts, [[] for _ in arts])
        assert index_new(wh.con) == len(arts)
        for a in arts:
            sql = Counter(dict(wh.con.execute("select term, tf from search_terms where article_id = ?",
                                              [a.article_id]).fetchall()))
            terms, tfs = index_terms(a.title, a.text)
            assert Counter(dict(zip(terms, tfs))) == sql, a.title
            assert wh.con.execute("select len from search_docs where article_id = ?",
                                  [a.article_id]).fetchone()[0] == sum(tfs)
        assert "cafe" in index_terms("Café", "")[0] and "eclair" in index_terms("", "e\u0301clair")[0]


def test_a_stored_batch_is_searchable_at_once_and_indexed_once(tmp_path):
    from commentary_monitor.warehouse.search import article_terms

    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        arts = [article(1, datetime(2026, 11, 2)), article(2, datetime(2026, 11, 3))]
        arts[0].title, arts[0].text = "Icebreakers", "Icebreakers escort convoys through Arctic waters."
        arts[1].title, arts[1].text = "Trams", "The city brought back its trams."
        for a in arts:
            a.extra["terms"] = article_terms(a.title, a.text)
        run = wh.start_run("ingest")
        assert wh.store_articles(run, arts, [[score("p", 0.5)], [score("p", 0.1)]]) == 2
        assert [h["title"] for h in search(wh.con, "icebreaker")] == ["Icebreakers"]
        assert index_new(wh.con) == 0            # nothing left for the catch-up
        assert wh.store_articles(run, arts, [[], []]) == 0     # stored again: neither articles nor terms twice
        assert wh.con.execute("select count(*) from search_docs").fetchone()[0] == 2
        assert wh.con.execute("select count(*) from search_terms where term = 'icebreak'").fetchone()[0] == 1
        assert wh.con.execute("select len from search_docs where article_id = ?", [arts[1].article_id]).fetchone()[0] == 4
        assert sorted(wh.con.execute("select term, tf from search_terms where article_id = ?", [arts[1].article_id]).fetchall()) == [
            ("brought", 1), ("citi", 1), ("tram", 2)]


def test_the_stem_cache_starts_afresh_when_full_and_still_stems_right(monkeypatch):
    from commentary_monitor.warehouse import search

    monkeypatch.setattr(search, "STEMS_MAX", 5)
    terms, tfs = search.index_terms("Shipping", "ships shipped icebreakers escorting convoys through waters")
    assert dict(zip(terms, tfs)) == {"ship": 3, "icebreak": 1, "escort": 1, "convoi": 1, "water": 1}
    assert len(search._stems) <= 7      # cleared before the 7 new words went in, not grown past the cap
    assert search.index_terms("", "running")[0] == ["run"]


def test_the_common_words_stems_are_kept_in_the_users_cache_and_read_back(tmp_path, monkeypatch):
    from commentary_monitor.warehouse import search

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(search, "COMMON_WORDS", 300)
    monkeypatch.setattr(search, "_stems", {})
    search.prestem()
    path = search.common_stems_path()
    assert path.parent == tmp_path / "commentary-monitor" and path.exists()
    kept = dict(search._stems)
    assert len(kept) > 100 and all(search._stem_all([w])[w] == s for w, s in list(kept.items())[:20])

    def not_again(words):
        raise AssertionError("stemmed again")

    monkeypatch.setattr(search, "_stems", {})
    monkeypatch.setattr(search, "_stem_all", not_again)
    search.prestem()                                        # read back, nothing stemmed
    assert search._stems == kept
    path.write_text("[damaged", encoding="utf-8")
    with pytest.raises(AssertionError, match="stemmed again"):
        search.prestem()                                    # a damaged file is stemmed again
    monkeypatch.setattr(search, "COMMON_WORDS", 301)
    assert search.common_stems_path() != path               # another list, another file
