import json
from datetime import datetime
from pathlib import Path

import pytest

from commentary_monitor.errors import FeedError
from commentary_monitor.feeds.parse import parse_feed

from .data.feeds.regen import expected

FEEDS = Path(__file__).parent / "data" / "feeds"
GOLDEN = sorted(p for p in FEEDS.iterdir() if p.suffix in (".rss", ".atom"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_real_world_feeds_parse_as_their_golden_file(path):
    golden = json.loads(path.with_name(path.name + ".expected.json").read_text(encoding="utf-8"))
    assert expected(path) == golden


def test_golden_files_say_something():
    heise = json.loads((FEEDS / "heise.atom.expected.json").read_text())
    assert len(heise["entries"]) == 15 and heise["entries"][0]["published"] == "2016-02-01T16:22:00"
    # An entry without a link cannot become an article.
    assert json.loads((FEEDS / "incomplete-fields.atom.expected.json").read_text())["entries"] == []
    assert "error" in json.loads((FEEDS / "unrecognized.rss.expected.json").read_text())


NOW = datetime(2026, 11, 22, 12, 0)


def rss(items: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://ex.org/</link>
    {items}</channel></rss>""".encode()


def test_rss_fields_relative_links_and_dates():
    feed = parse_feed(rss("""
      <item><title>Hello &amp; goodbye</title><link>/a/1</link><guid isPermaLink="false">g-1</guid>
        <author>x@ex.org (Ann)</author><pubDate>Fri, 20 Nov 2026 10:00:00 +0100</pubDate>
        <description>&lt;p&gt;Short&lt;/p&gt;</description></item>"""), "https://ex.org/feed.xml", NOW)
    (e,) = feed.entries
    assert feed.title == "T"
    assert e.link == "https://ex.org/a/1"
    assert e.guid == "g-1"
    assert e.title == "Hello & goodbye"
    assert e.published == datetime(2026, 11, 20, 9, 0)
    assert "Short" in e.summary_html


def test_non_web_links_are_dropped():
    feed = parse_feed(rss("""
      <item><title>a</title><link>javascript:alert(1)</link></item>
      <item><title>b</title><link>file:///etc/passwd</link></item>
      <item><title>c</title><link>data:text/html,hi</link></item>
      <item><title>d</title><link>https://ex.org/ok</link></item>"""), "https://ex.org/feed.xml", NOW)
    assert [e.title for e in feed.entries] == ["d"]


def test_implausible_dates_are_unknown():
    feed = parse_feed(rss("""
      <item><title>epoch</title><link>https://ex.org/1</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
      <item><title>future</title><link>https://ex.org/2</link><pubDate>Mon, 01 Jan 2035 00:00:00 GMT</pubDate></item>
      <item><title>garbage</title><link>https://ex.org/3</link><pubDate>yesterday-ish</pubDate></item>"""),
        "https://ex.org/feed.xml", NOW)
    assert [e.published for e in feed.entries] == [None, None, None]


def test_content_encoded_is_preferred_when_longer():
    feed = parse_feed(b"""<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
      <channel><title>T</title><item><title>x</title><link>https://ex.org/x</link><description>short</description>
      <content:encoded><![CDATA[<p>A much longer body of the article.</p>]]></content:encoded></item></channel></rss>""",
        "https://ex.org/f", NOW)
    assert "much longer body" in feed.entries[0].summary_html


def test_entities_are_not_expanded():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&lol2;</title>
      <item><title>&xxe;</title><link>https://ex.org/1</link></item></channel></rss>"""
    try:
        feed = parse_feed(bomb, "https://ex.org/f", NOW)
    except FeedError:
        return
    assert "root:" not in (feed.entries[0].title if feed.entries else "")
    assert "lollol" not in (feed.title or "")


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", "https://ex.org/", NOW)


# --- every common kind of feed, discovery, OPML ------------------------------------------

from commentary_monitor.feeds.parse import discover_feeds, parse_opml, write_opml  # noqa: E402


def test_json_feed_1_1():
    doc = {
        "version": "https://jsonfeed.org/version/1.1", "title": "JSON Outlet",
        "items": [
            {"id": "j1", "url": "https://ex.org/j/1", "title": "First", "content_html": "<p>Body one</p>",
             "date_published": "2026-11-20T10:00:00+01:00", "authors": [{"name": "Ann"}]},
            {"id": "j2", "external_url": "/j/2", "title": "Relative", "content_text": "plain <text>",
             "date_published": "1970-01-01T00:00:00Z"},
            {"id": "j3", "url": "javascript:alert(1)", "title": "bad"},
            "not an item",
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), "https://ex.org/feed.json", NOW)
    assert feed.title == "JSON Outlet" and [e.guid for e in feed.entries] == ["j1", "j2"]
    first, second = feed.entries
    assert first.published == datetime(2026, 11, 20, 9, 0) and first.author == "Ann" and "Body one" in first.summary_html
    assert second.link == "https://ex.org/j/2" and second.published is None and "&lt;text&gt;" in second.summary_html
    assert feed.problem == "2 item(s) without an http(s) url skipped"
    with pytest.raises(FeedError):
        parse_feed(b'{"version": "1", "items": []}', "https://ex.org/f", NOW)


def test_rss_091_and_rss_1_0():
    rss091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title><link>https://ex.org/</link>
      <item><title>Ninety-one</title><link>https://ex.org/91</link><description>d</description></item></channel></rss>"""
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://ex.org/"><title>RDF</title><link>https://ex.org/</link></channel>
      <item rdf:about="https://ex.org/rdf/1"><title>One point oh</title><link>https://ex.org/rdf/1</link>
        <dc:date>2026-11-20T08:00:00Z</dc:date></item></rdf:RDF>"""
    assert [e.link for e in parse_feed(rss091, "https://ex.org/f", NOW).entries] == ["https://ex.org/91"]
    (e,) = parse_feed(rdf, "https://ex.org/f", NOW).entries
    assert e.title == "One point oh" and e.published == datetime(2026, 11, 20, 8, 0)


def test_malformed_feed_keeps_recoverable_items_and_records_the_problem():
    broken = rss("""<item><title>one</title><link>https://ex.org/1</link></item>
      <item><title>two</title><link>https://ex.org/2</link></item><item><title>three</title><link>https://ex.org/th""")
    broken = broken[: broken.index(b"</channel>")]
    feed = parse_feed(broken, "https://ex.org/f", NOW)
    assert [e.title for e in feed.entries][:2] == ["one", "two"] and feed.problem


def test_autodiscovery_finds_announced_feeds():
    page = b"""<html><head><link rel="stylesheet" href="/s.css">
      <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed/">
      <link rel="alternate" type="application/atom+xml" href="https://ex.org/atom.xml">
      <link rel="alternate" type="text/html" href="/other">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)"></head><body></body></html>"""
    assert discover_feeds(page, "https://ex.org/blog/") == ["https://ex.org/feed/", "https://ex.org/atom.xml"]
    assert discover_feeds(b"", "https://ex.org/") == []


def test_opml_round_trip_nested_and_hostile():
    text = write_opml([("https://a.org/feed", "A & B"), ("https://b.org/rss", None)])
    assert parse_opml(text.encode()) == [("https://a.org/feed", "A & B"), ("https://b.org/rss", "https://b.org/rss")]
    nested = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <opml version="1.0"><body><outline text="Group"><outline text="&xxe;" xmlUrl="https://c.org/f"/>
      <outline text="x" xmlURL="file:///etc/passwd"/></outline></body></opml>"""
    assert parse_opml(nested) == [("https://c.org/f", None)]
    with pytest.raises(FeedError):
        parse_opml(b"<html><body>not opml</body></html>")


def test_dropped_links_and_odd_dates_are_recorded_as_a_problem():
    feed = parse_feed(rss("""
      <item><title>a</title><link>javascript:alert(1)</link></item>
      <item><title>b</title><link>https://ex.org/b</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
      <item><title>c</title><link>https://ex.org/c</link><pubDate>yesterday-ish</pubDate></item>
      <item><title>d</title><link>https://ex.org/d</link></item>"""), "https://ex.org/feed.xml", NOW)
    assert [e.title for e in feed.entries] == ["b", "c", "d"]
    assert feed.problem == "1 entry without an http(s) link dropped; 2 entries with an implausible or unparseable date"


def test_a_very_long_feed_is_read_up_to_max_entries_and_its_size_recorded():
    items = "".join(f"<item><title>n{i}</title><link>https://ex.org/{i}</link></item>" for i in range(30))
    feed = parse_feed(rss(items), "https://ex.org/f", NOW, max_entries=10)
    assert [e.title for e in feed.entries] == [f"n{i}" for i in range(10)]
    assert feed.total == 30 and feed.problem == "only the first 10 of 30 entries read"
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            + "".join(f'<entry><title>a{i}</title><link href="https://ex.org/a{i}"/></entry>' for i in range(5))
            + "</feed>").encode()
    short = parse_feed(atom, "https://ex.org/f", NOW, max_entries=3)
    assert [e.title for e in short.entries] == ["a0", "a1", "a2"] and short.total == 5
    whole = parse_feed(atom, "https://ex.org/f", NOW, max_entries=5)
    assert len(whole.entries) == 5 and whole.total is None and whole.problem is None
