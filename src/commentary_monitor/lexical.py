"""Lexical evidence: a profile's distinctive terms and phrases, weighted against
ordinary English, and how much of them an article passage contains.

A term's weight is the log-ratio of its frequency in the profile's seed passages (each
passage weighted by how close it is to the user's description) to its frequency in
ordinary English and news text (``wordfreq``), times the square root of the share of
seed passages that use it, so that a word the whole essay keeps returning to counts
more than a name that appears in one paragraph.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .stopwords import ENGLISH_STOP_WORDS

_WORD = re.compile(r"([^\W\d_]+(?:['’][^\W\d_]+)?)|[.,;:!?()\[\]\"“”—–/]|\d+")
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "also", "would", "could", "one", "two", "new", "year", "years"}
_KEEP_S = frozenset({"perhaps", "always", "news", "whereas", "series", "species", "sometimes", "afterwards",
                      "towards", "besides", "nevertheless", "thus", "various", "previous", "serious", "famous"})
MIN_BACKGROUND = 1e-7      # wordfreq's floor: a word it has never seen is at least this rare
MAX_TERMS = 400


@lru_cache(maxsize=200_000)
def normalise(word: str) -> str:
    """Fold possessives and regular plurals so 'Moscow's' and 'commemorations' match
    'moscow' and 'commemoration'."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("'"):
        w = w[:-1]
    if len(w) <= 3 or not w.endswith("s") or w in _KEEP_S or w.endswith(("ss", "us", "is", "ics")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("oes", "ches", "shes", "xes")):
        return w[:-2]
    return w[:-1]


def words(text: str, keep_stop: bool = False) -> list[str]:
    """Content words of a text, normalised; punctuation and numbers become empty
    placeholders so that phrases never span them, and so do stop words and words under
    3 letters unless ``keep_stop`` (then they come back as ``None``)."""
    out = []
    for m in _WORD.finditer(text):
        if m.group(1) is None:      # punctuation or a number: a phrase boundary
            out.append("")
            continue
        w = normalise(m.group(1))
        out.append(w if len(w) > 2 and w not in _STOP else (None if keep_stop else ""))
    return out


def term_counts(text: str) -> Counter:
    """Unigram and phrase counts of a text's content words. A phrase is two content
    words in a row, up to two stop words apart ("Moscow and Beijing" gives
    "moscow beijing", "the Power of Siberia" "power siberia"), never across punctuation."""
    ws = words(text, keep_stop=True)
    c: Counter = Counter(w for w in ws if w)
    prev, gap = "", 0
    for w in ws:
        if w is None:
            gap += 1
            continue
        if w and prev and gap <= 2:
            c[f"{prev} {w}"] += 1
        prev, gap = w, 0
    return c


@dataclass(frozen=True)
class Term:
    text: str
    weight: float
    source: str = "seeds"     # 'seeds', 'description' or 'include'


def background_frequency(term: str) -> float:
    from wordfreq import word_frequency   # imported lazily: only profile building needs it

    return max(word_frequency(term, "en"), MIN_BACKGROUND)


def distinctive_terms(weighted_texts: list[tuple[str, float]], description: str, include: tuple[str, ...] = (),
                      background=background_frequency, max_terms: int = MAX_TERMS) -> tuple[Term, ...]:
    """The profile's distinctive terms and phrases, best first.

    ``weighted_texts`` are seed passages with their weights (mean 1). The description
    counts as a tenth of the seeds, spread over its words: the user's own words for the
    theme always matter, however short the description is.
    """
    count: Counter = Counter()
    spread: Counter = Counter()
    raw: Counter = Counter()          # unweighted passages using the term
    total_weight = sum(w for _, w in weighted_texts) or 1.0
    for text, w in weighted_texts:
        c = term_counts(text)
        raw.update(c.keys())
        for t, n in c.items():
            count[t] += w * n
            spread[t] += w
    desc_terms = term_counts(description) if description else Counter()
    if desc_terms:
        boost = 0.1 * total_weight
        for t in desc_terms:
            count[t] += boost
            spread[t] += boost
    unigrams = sum(n for t, n in count.items() if " " not in t) or 1.0
    terms: list[Term] = []
    for t, n in count.items():
        # A term of the seeds must recur: in two passages (a phrase in three), unless the
        # user's description names it.
        if t not in desc_terms and raw[t] < (3 if " " in t else 2):
            continue
        if t in desc_terms and " " in t and not raw[t]:
            continue    # a phrase of the description counts when the essays use it too
        ratio = math.log((n / unigrams) / background(t))
        if ratio <= 0:
            continue
        share = min(1.0, spread[t] / total_weight)
        terms.append(Term(t, round(ratio * math.sqrt(share), 4), "description" if t in desc_terms else "seeds"))
    terms.sort(key=lambda x: (-x.weight, x.text))
    terms = terms[:max_terms]
    if include:
        # include terms are the user's boost: as strong as the profile's strongest term.
        top = terms[0].weight if terms else 1.0
        wanted = list(dict.fromkeys(t for r in include for t in _include_terms(r)))
        terms = [x for x in terms if x.text not in wanted] + [Term(t, top, "include") for t in wanted]
        terms.sort(key=lambda x: (-x.weight, x.text))
    return tuple(terms)


def _include_terms(raw: str) -> list[str]:
    """The terms an include entry matches as: its word, or its phrase; a longer phrase
    ("Northern Sea Route") as its two-word pieces, since passages count words and pairs."""
    ws = [w for w in words(raw) if w]
    if len(ws) <= 2:
        return [" ".join(ws)] if ws else []
    return [f"{a} {b}" for a, b in zip(ws, ws[1:])]


def passage_evidence(counts: Counter, n_words: int, weights: dict[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """A passage's lexical score (sum of its matched terms' weights, damped by repetition,
    per square root of length) and the matched terms with their contributions."""
    matched = []
    for t, n in counts.items():
        w = weights.get(t)
        if w:
            matched.append((t, w * (1.0 + math.log(n))))
    score = sum(c for _, c in matched) / math.sqrt(max(n_words, 50))
    return score, matched
