"""``commentary-monitor demo``: a bundled sample of commentary served on 127.0.0.1.

Twenty short articles written for this project (``articles.json``), published by two
fictional outlets, one with an RSS feed and one with an Atom feed. Their dates fall
in the last complete ISO week, so the default digest covers them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path

from commentary_monitor.config import Config
from commentary_monitor.digest.weeks import last_complete_week
from commentary_monitor.localsite import LocalSite, SampleArticle, article_page, atom_feed, rss_feed

OUTLETS = {
    "eurasia-desk": ("Eurasia Desk", "rss"),
    "world-opinion": ("World Opinion Review", "atom"),
}


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    feed: str
    title: str
    author: str
    summary: str
    body: str
    day: int
    expected: dict[str, int]


def load_articles() -> list[DemoArticle]:
    raw = resources.files(__package__).joinpath("articles.json").read_text(encoding="utf-8")
    return [DemoArticle(**obj) for obj in json.loads(raw)]


def build_site(site: LocalSite, articles: list[DemoArticle], now: datetime, tz: str) -> list[str]:
    """Add the outlets' feeds and pages to a started ``site``; returns the feed URLs."""
    week = last_complete_week(now, tz)
    feeds = []
    for key, (name, kind) in OUTLETS.items():
        items = []
        for a in articles:
            if a.feed != key:
                continue
            published = datetime.combine(week.monday + timedelta(days=a.day), time(9, 30), timezone.utc)
            sample = SampleArticle(
                # Feeds often add tracking parameters: the warehouse stores the canonical URL.
                link=site.url(f"/{key}/{a.slug}/") + "?utm_source=rss&utm_medium=feed",
                title=a.title, author=a.author, summary=a.summary, body=a.body, published=published,
            )
            site.add(f"/{key}/{a.slug}/", article_page(sample, name))
            items.append(sample)
        if kind == "rss":
            feeds.append(site.add(f"/{key}/feed.xml", rss_feed(name, site.url(f"/{key}/"), items), "application/rss+xml"))
        else:
            feeds.append(site.add(f"/{key}/atom.xml", atom_feed(name, site.url(f"/{key}/"), items), "application/atom+xml"))
    return feeds


def _toml_str(s: str) -> str:
    return json.dumps(s)   # a JSON string is a valid TOML basic string


def demo_config_text(base: Config, site: LocalSite, feed_urls: list[str], workdir: Path) -> str:
    """A config for the demo: the user's profiles, the demo outlets, a warehouse of its own."""
    names = {url: OUTLETS[url.split("/")[3]][0] for url in feed_urls}
    lines = [
        "# Written by `commentary-monitor demo`; the site it names only exists while the demo runs.",
        "[warehouse]",
        f"path = {_toml_str(str(workdir / 'demo.duckdb'))}",
        "[digest]",
        f"dir = {_toml_str(str(workdir / 'digests'))}",
        f"timezone = {_toml_str(base.digest.timezone)}",
        "[fetch]",
        f"allow_private = [{_toml_str(site.host_port)}]",
        "min_text_chars = 300",
        "per_host_concurrency = 8   # our own server on 127.0.0.1: no need to be gentle",
        "per_host_delay = 0.0",
    ]
    for url in feed_urls:
        lines += ["[[feeds]]", f"url = {_toml_str(url)}", f"name = {_toml_str(names[url])}"]
    for p in base.profiles:
        lines += [
            f"[profiles.{p.name}]",
            "seeds = [" + ", ".join(_toml_str(str(s.path.resolve())) for s in p.seeds) + "]",
            f"description = {_toml_str(p.description)}",
            f"threshold = {p.threshold}",
        ]
    return "\n".join(lines) + "\n"
