"""Search in every language: Russian words found by another form of the word (Snowball's
Russian stemmer), Chinese words by their character bigrams, English as before; the same
terms whether an ingest's workers or the SQL catch-up indexed an article; and a warehouse
indexed before migration 012 indexed again."""

from datetime import datetime

import duckdb
import pytest

from commentary_monitor.warehouse.search import article_terms, index_new, search
from commentary_monitor.warehouse.store import Warehouse

from .multilingual import (CHINESE_OTHER_PARAGRAPHS, CHINESE_OTHER_TITLE, CHINESE_PARAGRAPHS, CHINESE_TITLE,
                           RUSSIAN_OTHER_PARAGRAPHS, RUSSIAN_OTHER_TITLE, RUSSIAN_PARAGRAPHS, RUSSIAN_TITLE)
from .test_warehouse import article, score

ARTICLES = [
    (RUSSIAN_TITLE, RUSSIAN_PARAGRAPHS, "ru"),
    (RUSSIAN_OTHER_TITLE, RUSSIAN_OTHER_PARAGRAPHS, "ru"),
    (CHINESE_TITLE, CHINESE_PARAGRAPHS, "zh"),
    (CHINESE_OTHER_TITLE, CHINESE_OTHER_PARAGRAPHS, "zh"),
    ("Arctic shipping", ["Shipping along the Northern Sea Route grows every summer, with Chinese cargo."], "en"),
]


def store(wh: Warehouse, in_workers: bool) -> None:
    arts = []
    for i, (title, paragraphs, lang) in enumerate(ARTICLES, start=1):
        a = article(i, datetime(2026, 11, 2 + i))
        a.title, a.text, a.language = title, "\n\n".join(paragraphs), lang
        if in_workers:
            a.extra["terms"] = article_terms(a.title, a.text)
        arts.append(a)
    wh.store_articles(wh.start_run("ingest"), arts, [[score("p", 0.9)] for _ in arts])


@pytest.mark.parametrize("in_workers", [True, False], ids=["terms from the workers", "terms from SQL"])
def test_each_language_is_found_by_its_own_words(tmp_path, in_workers):
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        store(wh, in_workers)
        assert index_new(wh.con) == (0 if in_workers else len(ARTICLES))

        def titles(query):
            return [h["title"] for h in search(wh.con, query)]

        # Russian: forms the text does not use find the article that uses another form
        assert titles("газопроводом") == [RUSSIAN_TITLE]            # text: газопровода
        assert titles("переговорами") == [RUSSIAN_TITLE]            # text: переговоры, переговорах
        assert titles("мостами") == [RUSSIAN_OTHER_TITLE]            # text: мост
        assert titles("ЦЕНЫ")[0] == RUSSIAN_TITLE                   # text: цену, цена; any case
        assert titles("и в на") == []                               # stop words only
        # Chinese: a word is found through its bigrams, the article using it first
        assert titles("天然气") == [CHINESE_TITLE]
        assert titles("集装箱") == [CHINESE_OTHER_TITLE]
        assert titles("管道谈判")[0] == CHINESE_TITLE
        assert titles("俄罗斯")[0] == CHINESE_TITLE
        # English as before, and one script never matches another
        assert titles("shipping") == ["Arctic shipping"]
        assert titles("pipeline") == []
        # a query mixing scripts finds both
        assert set(titles("газопровод 管道")) == {RUSSIAN_TITLE, CHINESE_TITLE}
        # and a phrase in quotes, in any script
        assert titles('"Сила Сибири"') == [RUSSIAN_TITLE]
        assert titles('"西伯利亚力量2号"') == [CHINESE_TITLE]


def test_the_sql_macro_tokenises_a_query_as_the_search_command_does(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        store(wh, True)
        index_new(wh.con)     # creates the macro
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("LOAD fts")
        for query, title in (("газопроводу", RUSSIAN_TITLE), ("天然气", CHINESE_TITLE), ("ships", "Arctic shipping")):
            rows = con.execute("SELECT a.title FROM search_bm25(?) s JOIN articles a USING (article_id) "
                               "ORDER BY s.bm25 DESC", [query]).fetchall()
            assert rows[0][0] == title, query
    finally:
        con.close()


def test_the_index_stores_russian_stems_and_chinese_bigrams(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        store(wh, False)
        index_new(wh.con)
        rid = wh.con.execute("SELECT article_id FROM articles WHERE title = ?", [RUSSIAN_TITLE]).fetchone()[0]
        zid = wh.con.execute("SELECT article_id FROM articles WHERE title = ?", [CHINESE_TITLE]).fetchone()[0]
        ru = dict(wh.con.execute("SELECT term, tf FROM search_terms WHERE article_id = ?", [rid]).fetchall())
        zh = dict(wh.con.execute("SELECT term, tf FROM search_terms WHERE article_id = ?", [zid]).fetchall())
    assert ru["газопровод"] == 2 and "переговор" in ru and "и" not in ru and "не" not in ru
    assert zh["管道"] == 3 and zh["天然"] == 3 and zh["中俄"] == 2


def test_migration_012_indexes_again_what_the_old_tokeniser_left_out(tmp_path):
    """A warehouse indexed before 012 had no terms for Cyrillic or Chinese words (an index
    row with nothing in it); 012 clears those articles' rows and the macro, and the next
    ingest's catch-up indexes them with the new tokeniser. English articles keep theirs."""
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        store(wh, False)
        index_new(wh.con)
        # as 009's tokeniser left it: a-z words only
        wh.con.execute("DELETE FROM search_terms WHERE NOT regexp_matches(term, '^[a-z]+$')")
        wh.con.execute("UPDATE search_docs SET len = 0 WHERE article_id IN "
                       "(SELECT article_id FROM articles WHERE NOT regexp_matches(title, '^[A-Za-z ]+$'))")
        wh.con.execute("DELETE FROM schema_migrations WHERE version = 12")
        english = wh.con.execute("SELECT count(*) FROM search_terms").fetchone()[0]
        assert search(wh.con, "газопровод") == []
    with Warehouse.open(path) as wh:     # migrates: 012 again
        assert wh.con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 1
        assert wh.con.execute("SELECT count(*) FROM search_terms").fetchone()[0] == english
        assert index_new(wh.con) == 4
        assert [h["title"] for h in search(wh.con, "газопроводом")] == [RUSSIAN_TITLE]
        assert [h["title"] for h in search(wh.con, "天然气")] == [CHINESE_TITLE]


def test_an_ingest_from_a_site_stores_the_languages_and_search_finds_each(tmp_path, site):
    """End to end, as a user runs it: a feed of Russian and Chinese pages that name no
    language (and one whose template says ``en``) served from a loopback server, ingested
    by the command line; the warehouse holds each article's language and ``search`` finds
    the Russian one by another form of its words and the Chinese one by a word."""
    from commentary_monitor.localsite import rss_feed

    from .conftest import last_week_day, write_config
    from .multilingual import page, sample_article
    from .test_cli import cli

    when = last_week_day(2)
    items = []
    for path, title, paragraphs, lang in (("/ru/1", RUSSIAN_TITLE, RUSSIAN_PARAGRAPHS, None),
                                          ("/ru/2", RUSSIAN_OTHER_TITLE, RUSSIAN_OTHER_PARAGRAPHS, "en"),
                                          ("/zh/1", CHINESE_TITLE, CHINESE_PARAGRAPHS, None),
                                          ("/zh/2", CHINESE_OTHER_TITLE, CHINESE_OTHER_PARAGRAPHS, "zh-CN")):
        site.add(path, page(title, paragraphs, lang, published=when))
        items.append(sample_article(site.url(path), title, paragraphs, when))
    site.add("/feed.xml", rss_feed("Восток", site.url("/"), items), "application/rss+xml")
    cfg = write_config(tmp_path, [site.url("/feed.xml")], [site.host_port])
    out = cli("--config", str(cfg), "ingest")
    assert out.returncode == 0, out.stderr
    out = cli("--config", str(cfg), "sql", "select title, language from articles order by url", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == [f"{RUSSIAN_TITLE},ru", f"{RUSSIAN_OTHER_TITLE},ru",
                                           f"{CHINESE_TITLE},zh", f"{CHINESE_OTHER_TITLE},zh"]
    out = cli("--config", str(cfg), "search", "газопроводом")
    assert out.returncode == 0 and RUSSIAN_TITLE in out.stdout and RUSSIAN_OTHER_TITLE not in out.stdout, out.stdout
    out = cli("--config", str(cfg), "search", "集装箱")
    assert out.returncode == 0 and CHINESE_OTHER_TITLE in out.stdout and CHINESE_TITLE not in out.stdout, out.stdout
