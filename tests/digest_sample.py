"""A deterministic warehouse for digest tests: twelve weeks of scored articles, syndicated
copies, near-misses, hostile titles and links, and feeds failing or gone quiet.

The digest week is 2026-W46 (9-15 November 2026); ``NOW`` is the Monday after.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from commentary_monitor.config import DigestSettings, ProfileConfig, SeedEssay, WarehouseLocation
from commentary_monitor.digest.weeks import IsoWeek
from commentary_monitor.runs.pipeline import Article, article_id
from commentary_monitor.relevance.profiles import build_profile
from commentary_monitor.relevance.scoring import Score
from commentary_monitor.warehouse.store import Warehouse

WEEK = IsoWeek(2026, 46)
NOW = datetime(2026, 11, 16, 7, 0, tzinfo=timezone.utc)
MONDAY = datetime(2026, 11, 9, 9, 0)
PROFILES = ("sino-russian", "memory-politics")
FEEDS = {
    "https://eurasia.example/feed.xml": "Eurasia Desk",
    "https://review.example/atom.xml": "World Opinion Review",
    "https://wire.example/rss": "Global Wire",
    "https://gone.example/feed": "Gone Gazette",
    "https://sleepy.example/rss": "Sleepy Quarterly",
}
SEED = "radchenko-2023-legacies-of-sino-russian-relations.txt"
SEED_PASSAGE = ("The Sino-Soviet split of the 1960s was not only about ideology: it was about status, and about "
                "who would lead the communist world.")

_VOCAB = ("moscow beijing partnership yuan energy pipeline arctic border treaty alliance memory war "
          "commemoration parade archive textbook history summit trade sanctions kremlin xi putin asia "
          "council market grain river port railway oil gas navy exercise rhetoric dispute museum").split()


def _text(rng: random.Random, sentences: int = 12) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(_VOCAB) for _ in range(rng.randint(9, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def profiles():
    return [build_profile(ProfileConfig(p, (SeedEssay(Path("s.txt"), "x " * 40),), threshold=0.5)) for p in PROFILES]


def settings(directory: Path) -> DigestSettings:
    return DigestSettings(directory, "UTC", 25, 240, mention_band=0.15, max_mentions=5, quiet_days=14)


def _score(profile: str, value: float, terms: tuple[str, ...], passage: str) -> Score:
    return Score(profile=profile, score=value, relevant=value >= 0.5, explanation=f"score {value}", terms=terms,
                 article_passage=passage, seed_passage=SEED_PASSAGE, seed_source=f"seeds/{SEED}", raw=0.2,
                 profile_version="v1", model="model-x")


def _article(url: str, feed: str, title: str, author: str | None, published: datetime, text: str) -> Article:
    return Article(article_id=article_id(url), url=url, link=url, guid=url, feed_url=feed, outlet=FEEDS[feed],
                   title=title, author=author, published_at=published, fetched_at=published + timedelta(hours=1),
                   language="en", text=text, text_source="page", page_status="ok")


def build(path: Path | WarehouseLocation) -> None:
    """Fill a fresh warehouse at ``path`` (a file, or the lake a config's ``store`` names)."""
    rng = random.Random(46)
    eurasia, review, wire, gone, sleepy = FEEDS
    arts: list[Article] = []
    scores: list[list[Score]] = []

    def add(url, feed, title, author, published, text, sino, memory, sino_terms=("moscow", "beijing"),
            memory_terms=("memory", "war"), passage=None):
        arts.append(_article(url, feed, title, author, published, text))
        first = passage or text.split(". ")[0] + ". " + text.split(". ")[1] + "."
        scores.append([_score("sino-russian", sino, sino_terms, first), _score("memory-politics", memory, memory_terms, first)])

    # History: eleven earlier weeks, a few relevant articles each (rising towards this week).
    for k in range(11, 0, -1):
        start = MONDAY - timedelta(weeks=k)
        for i in range((12 - k) % 4 + 1):
            add(f"https://eurasia.example/w{k}/{i}/", eurasia, f"Archive piece {k}.{i}", "A. Archivist",
                start + timedelta(days=i), _text(rng), 0.6 + 0.01 * i, 0.55 if i == 0 and k % 3 == 0 else 0.2,
                sino_terms=("moscow", "beijing", "trade"))

    syndicated = ("Moscow's pivot to Asia has become a dependence. " + _text(rng, 14))
    add("https://eurasia.example/2026/11/pivot-dependence/", eurasia, "Moscow's Pivot to Asia Becomes a Dependence",
        "Paul Ostrander", MONDAY + timedelta(days=1), syndicated, 0.94, 0.31,
        sino_terms=("yuan", "pipeline", "moscow", "beijing"),
        passage="Moscow's pivot to Asia has become a dependence: the yuan now settles most of its trade with Beijing, "
                "and the Power of Siberia 2 pipeline is on Chinese terms. The Kremlin calls this partnership; "
                "its own economists call it something else.")
    # The same column on a wire service, a day later, lightly edited: one item, "also published by".
    add("https://wire.example/opinion/pivot-to-asia-dependence", wire, "Moscow’s pivot to Asia becomes a dependence",
        "Paul Ostrander", MONDAY + timedelta(days=2), syndicated.replace("Kremlin", "Russian government", 1),
        0.93, 0.30, sino_terms=("yuan", "pipeline", "moscow"))
    # A third copy that scored just below the threshold: listed with the story, not as a mention.
    add("https://review.example/syndication/pivot/", review, "Moscow's pivot to Asia becomes a dependence", None,
        MONDAY + timedelta(days=3, hours=8), syndicated, 0.45, 0.30)
    add("https://review.example/arctic-route/", review, "The Arctic Route Neither Side Trusts", "Mei Lin Harrow",
        MONDAY + timedelta(days=3), "The Northern Sea Route is where cooperation is most advertised. " + _text(rng),
        0.81, 0.22, sino_terms=("arctic", "yuan", "navy"),
        passage="The Northern Sea Route is where cooperation is most advertised and least practised. Chinese "
                "shippers want guarantees that Rosatom cannot give.")
    add("https://review.example/script/", review, "<script>alert('x')</script> Beijing & the *Kremlin* [analysis]",
        "Eve <img src=x onerror=alert(1)>", MONDAY + timedelta(days=4), _text(rng), 0.72, 0.12,
        sino_terms=("kremlin", "arctic"), passage="<b>Bold</b> claims & [links](javascript:alert(1)) in an excerpt.")
    add("https://review.example/victory-parades/", review, "Victory Parades and the Uses of 1945", None,
        MONDAY + timedelta(days=4, hours=3), "Every May the parade rehearses a version of history. " + _text(rng),
        0.47, 0.88, memory_terms=("parade", "commemoration", "war", "memory"),
        passage="Every May the parade rehearses a version of history in which the alliance of 1945 prefigures the "
                "partnership of today. The archives tell a more awkward story.")
    add("https://eurasia.example/2026/11/textbooks/", eurasia, "Whose Border Treaties? Textbooks on Both Sides",
        "Sergei Volkov", MONDAY + timedelta(days=5), _text(rng), 0.52, 0.76,
        memory_terms=("textbook", "border", "treaty", "memory"))
    # Near-misses: the "also mentioned" band (0.35-0.50) and one just below it.
    add("https://wire.example/markets/grain-corridor", wire, "Grain, Rail and the Amur Bridge", "Wire staff",
        MONDAY + timedelta(days=2, hours=5), _text(rng), 0.44, 0.05)
    add("javascript:alert(document.cookie)", wire, "A link that must not be a link", None,
        MONDAY + timedelta(days=3, hours=5), _text(rng), 0.38, 0.36)
    add("https://wire.example/sport/", wire, "Weekend football round-up", None, MONDAY + timedelta(days=6),
        _text(rng), 0.10, 0.02)
    add("https://review.example/museum-wars/", review, "Museum Wars", "T. Keeper", MONDAY + timedelta(days=6, hours=2),
        _text(rng), 0.20, 0.41, memory_terms=("museum", "memory"))
    # Next week: must not appear.
    add("https://eurasia.example/next-week/", eurasia, "Next Week's Column", None, MONDAY + timedelta(days=7, hours=1),
        _text(rng), 0.99, 0.99)

    with Warehouse.open(path) as wh:
        wh.upsert_feeds([(u, n) for u, n in FEEDS.items()])
        run = wh.start_run("ingest")
        wh.store_articles(run, arts, scores)
        wh.finish_run(run, "ok", "sample", articles_new=len(arts))
        # Fetch history: three daily runs before NOW.
        for day, run_id in ((3, "run-a"), (2, "run-b"), (1, "run-c")):
            at = (NOW - timedelta(days=day)).replace(tzinfo=None)
            rows = [
                (run_id, eurasia, at, "ok", 200, 20, 2, None, None),
                (run_id, review, at, "ok", 200, 15, 1, None, None),
                (run_id, wire, at, "ok", 200, 30, 3, None, None),
                (run_id, gone, at, "error", None, None, 0, "dns", "cannot resolve gone.example: Name or service not known"),
                (run_id, sleepy, at, "ok", 304, 0, 0, None, None),
            ]
            wh.con.executemany("INSERT INTO fetches (run_id, feed_url, fetched_at, status, http_status, items, new_items, error_kind, error) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        old = (NOW - timedelta(days=30)).replace(tzinfo=None)
        wh.con.executemany("INSERT INTO fetches (run_id, feed_url, fetched_at, status, http_status, items, new_items, error_kind, error) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            ("run-old", gone, old, "ok", 200, 10, 1, None, None),
            ("run-old", sleepy, old, "ok", 200, 8, 2, None, None),
        ])
