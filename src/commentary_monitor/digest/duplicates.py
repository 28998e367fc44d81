"""Syndicated copies and near-duplicates: which articles tell the same story.

Two articles are copies when their titles are nearly the same (at least four words,
difflib ratio >= 0.9) or their texts share most word 5-shingles. Texts are compared
by bottom-k sketches (a "MinHash-lite": one hash function, the k smallest shingle
hashes), so a week of articles compares in milliseconds without a new dependency.
"""

from __future__ import annotations

import hashlib
import re
from difflib import SequenceMatcher
from typing import Sequence

SHINGLE_WORDS = 5
SKETCH_SIZE = 128
TEXT_SIMILARITY = 0.5          # estimated Jaccard of shingle sets
TITLE_SIMILARITY = 0.9
MIN_TITLE_WORDS = 4            # "Editorial" or "Letters" are not the same story
MIN_TEXT_WORDS = 40            # shorter texts (feed summaries) are compared by title only
MAX_WORDS = 3000

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())[:MAX_WORDS]


def sketch(text: str, size: int = SKETCH_SIZE) -> frozenset[int]:
    """The ``size`` smallest 64-bit hashes of the text's word 5-shingles (empty for short texts)."""
    words = _words(text)
    if len(words) < MIN_TEXT_WORDS:
        return frozenset()
    hashes = {
        int.from_bytes(hashlib.blake2b(" ".join(words[i:i + SHINGLE_WORDS]).encode(), digest_size=8).digest(), "big")
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    return frozenset(sorted(hashes)[:size])


def text_similarity(a: frozenset[int], b: frozenset[int], size: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard similarity of two shingle sets from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    both = a & b
    if len(both) < TEXT_SIMILARITY * min(size, len(a), len(b)):
        return len(both) / size     # a cheap bound: below the threshold whatever the union holds
    union_sketch = sorted(a | b)[:size]
    return sum(1 for h in union_sketch if h in both) / len(union_sketch)


def _title_key(title: str) -> str:
    """Lower-case words only; empty when too short to identify a story."""
    words = _words(title)
    return " ".join(words) if len(words) >= MIN_TITLE_WORDS else ""


def title_similarity(a: str, b: str) -> float:
    ka, kb = _title_key(a), _title_key(b)
    return _key_similarity(ka, kb)


def _key_similarity(ka: str, kb: str) -> float:
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    if matcher.real_quick_ratio() < TITLE_SIMILARITY or matcher.quick_ratio() < TITLE_SIMILARITY:
        return 0.0       # cheap upper bounds first: most pairs are different stories
    return matcher.ratio()


def groups(titles: Sequence[str], texts: Sequence[str]) -> list[list[int]]:
    """Indices grouped into copies of one story, each group and the list in input order.

    Input order is the ranking, so the first index of a group is the copy to show."""
    n = len(titles)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sketches = [sketch(t) for t in texts]
    keys = [_title_key(t) for t in titles]
    for i in range(n):
        for j in range(i + 1, n):
            if find(i) == find(j):
                continue
            if (_key_similarity(keys[i], keys[j]) >= TITLE_SIMILARITY
                    or text_similarity(sketches[i], sketches[j]) >= TEXT_SIMILARITY):
                parent[max(find(i), find(j))] = min(find(i), find(j))
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(find(i), []).append(i)
    return sorted(out.values(), key=lambda g: g[0])
