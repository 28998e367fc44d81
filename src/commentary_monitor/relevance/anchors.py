"""The simple rankers a user could pick instead of a profile, measured beside it by ``eval``.

- **boolean alert**: what a user would type into a keyword alert, built from the
  profile's own evidence. For a relationship profile (two sides, see
  :mod:`.profiles`), an expert's query: both sides named in one passage, or a pair
  phrase ("Sino-Russian", "Moscow-Beijing"); ranked by how many passages match. For
  any other profile: two of its ten strongest terms in one passage.
- **BM25 of the seeds**: Okapi BM25 over the scored articles, the seed essays as the query.
- **embedding centroid**: cosine of the article to the mean of its seed passages'
  embeddings (the packaged static model).

Also reads a folder of gathered real pages (``*.jsonl`` in the labels format with a
``url``), refusing pages reserved for evaluation elsewhere.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from commentary_monitor.errors import UsageError
from commentary_monitor.relevance.labels import LabeledArticle, parse_labels
from commentary_monitor.relevance.lexical import ACTOR_FOLD, _CAPITALISED, normalise, term_counts
from commentary_monitor.relevance.profiles import Profile, split_passages

ANCHORS = ("boolean alert", "BM25 of the seeds", "embedding centroid")
_PAIR_PHRASE = re.compile(r"\b([A-Z][a-z]+)[-–](?:[A-Z][a-z]+)\b")


def _passages(text: str) -> list[str]:
    return split_passages(text, min_words=12, max_words=160) or [text]


def boolean_alert(profile: Profile, title: str, text: str) -> float:
    """Passages matching the profile's keyword query (see the module's docstring)."""
    from commentary_monitor.relevance.crosslingual import FOREIGN_LANGUAGE, ForeignSides, foreign_mentions, script_of

    script = script_of(f"{title} {text[:2000]}")
    if script != "latin":     # the sides' names in the article's language, when the profile has them
        lang = FOREIGN_LANGUAGE.get(script)
        names = (profile.reference.get("foreign_sides") or {}).get(lang)
        if not names:
            return 0.0
        from commentary_monitor.relevance.scoring import ArticleView    # the article's passages as the scorer cuts them, whatever the script
        return float(foreign_mentions(ArticleView.of(title, text).passages, ForeignSides(*map(tuple, names)), lang).both)
    passages = _passages(f"{title}\n\n{text}" if title else text)
    sides = profile.reference.get("sides")
    if sides and sides[0] and sides[1]:
        a, b = frozenset(sides[0]), frozenset(sides[1])
        hits = 0
        for p in passages:
            names = {normalise(w)[:ACTOR_FOLD] for w in _CAPITALISED.findall(p) if w[0].isupper()}
            hyphen = False
            for m in _PAIR_PHRASE.finditer(p):
                parts = {normalise(x)[:ACTOR_FOLD] for x in m.group(0).replace("–", "-").split("-")}
                hyphen = hyphen or bool(parts & a and parts & b)
            hits += 2 if hyphen else (1 if (names & a and names & b) else 0)
        return float(hits)
    top = [t.text for t in profile.terms if " " not in t.text][:10]
    hits = 0
    for p in passages:
        c = term_counts(p)
        hits += sum(1 for t in top if c.get(t)) >= 2
    return float(hits)


def bm25_seeds(profile: Profile, docs: list[tuple[str, str]], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 of each document with the profile's seed essays as the query."""
    counts = [term_counts(f"{t}\n{x}") for t, x in docs]
    lengths = [sum(c.values()) for c in counts]
    avg = (sum(lengths) / len(lengths)) if lengths else 1.0
    df: Counter = Counter()
    for c in counts:
        df.update(c.keys())
    query = Counter()
    for p in profile.passages:
        if p.source != "description":
            query.update(term_counts(p.text))
    n = len(docs)
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in query if df.get(t)}
    out = []
    for c, dl in zip(counts, lengths):
        s = 0.0
        for t, w in idf.items():
            f = c.get(t)
            if f:
                s += w * f * (k1 + 1) / (f + k1 * (1 - b + b * dl / (avg or 1.0)))
        out.append(s)
    return out


def centroid_cosine(profile: Profile, encoder, docs: list[tuple[str, str]]) -> list[float]:
    """Cosine of each document (its first 2,000 characters) to the seed passages' mean embedding."""
    seeds = [i for i, p in enumerate(profile.passages) if p.source != "description"] or list(range(len(profile.passages)))
    c = profile.passage_vectors[seeds].mean(axis=0)
    c = c / (np.linalg.norm(c) or 1.0)
    vecs = encoder.encode([f"{t}\n{x[:2000]}" for t, x in docs])
    return [float(v @ c) for v in vecs]


def anchor_scores(profile: Profile, encoder, docs: list[tuple[str, str]]) -> dict[str, list[float]]:
    return {
        "boolean alert": [boolean_alert(profile, t, x) for t, x in docs],
        "BM25 of the seeds": bm25_seeds(profile, docs),
        "embedding centroid": centroid_cosine(profile, encoder, docs),
    }


# --- gathered real pages ---------------------------------------------------------------------

def url_key(url: str) -> str:
    """A URL as the reserved list compares it: no scheme, no leading www., no trailing /."""
    u = url.strip()
    parts = urlsplit(u if "://" in u else "http://" + u)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return (host + rest).rstrip("/")


def reserved_keys(path: Path | None) -> frozenset[str]:
    if path is None or not path.exists():
        return frozenset()
    return frozenset(url_key(x) for x in path.read_text(encoding="utf-8").splitlines()
                     if x.strip() and not x.startswith("#"))


def load_real_pages(folder: Path, reserved: Path | None = None) -> list[tuple[LabeledArticle, str]]:
    """The labeled pages of every ``*.jsonl`` in ``folder`` with their outlets (the URL's
    host); a page on the ``reserved`` list is an error naming its file and line."""
    refuse = reserved_keys(reserved)
    out = []
    for f in sorted(folder.glob("*.jsonl")):
        lines = f.read_text(encoding="utf-8").splitlines()
        arts = parse_labels(lines, str(f))
        objs = [json.loads(x) for x in lines if x.strip()]
        for n, (a, o) in enumerate(zip(arts, objs), 1):
            url = o.get("url", "")
            if url_key(url) in refuse:
                raise UsageError(f"{f}:{n}: {url} is reserved for evaluation elsewhere: remove it")
            host = urlsplit(url).hostname or o.get("outlet", "") or a.id
            out.append((a, host[4:] if host.startswith("www.") else host))
    return out
