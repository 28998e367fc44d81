"""Regenerate the golden files: python -m tests.data.feeds.regen (review the diff!)."""

import json
from datetime import datetime
from pathlib import Path

from commentary_monitor.errors import FeedError
from commentary_monitor.feeds.parse import parse_feed

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 22)   # fixed, so "future date" checks are stable


def expected(path: Path) -> dict:
    try:
        feed = parse_feed(path.read_bytes(), f"https://feeds.example.org/{path.name}", now=NOW)
    except FeedError as exc:
        return {"error": exc.message.split(" (")[0]}
    return {
        "title": feed.title,
        "entries": [
            {"link": e.link, "guid": e.guid, "title": e.title, "author": e.author,
             "published": e.published.isoformat() if e.published else None,
             "summary_chars": len(e.summary_html)}
            for e in feed.entries
        ],
    }


if __name__ == "__main__":
    for p in sorted(HERE.iterdir()):
        if p.suffix in (".rss", ".atom", ".xml"):
            out = p.with_name(p.name + ".expected.json")
            out.write_text(json.dumps(expected(p), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print("wrote", out.name)
