import json
from datetime import datetime
from pathlib import Path

import pytest

from commentary_monitor.errors import FeedError
from commentary_monitor.feeds import parse_feed

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
