"""The naive pipeline the benchmark compares against: feedparser + httpx + trafilatura + DuckDB,
sequential, no Prefect. ``python bench/naive.py WAREHOUSE FEED_URL ...``"""
import sys

import duckdb
import feedparser
import httpx
import trafilatura

db = duckdb.connect(sys.argv[1])
db.execute("CREATE TABLE IF NOT EXISTS articles (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
with httpx.Client(timeout=30) as client:
    for feed_url in sys.argv[2:]:
        for entry in feedparser.parse(client.get(feed_url).content).entries:
            if db.execute("SELECT 1 FROM articles WHERE url = ?", [entry.link]).fetchone():
                continue
            doc = trafilatura.bare_extraction(client.get(entry.link).content, url=entry.link, with_metadata=True)
            if doc is not None and doc.text:
                db.execute("INSERT INTO articles VALUES (?, ?, ?)", [entry.link, doc.title or entry.get("title"), doc.text])
db.close()
