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
    union_sketch = sorted(a | b)[:size]
    both = a & b
    return sum(1 for h in union_sketch if h in both) / len(union_sketch)


def title_similarity(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    if min(len(wa), len(wb)) < MIN_TITLE_WORDS:
        return 0.0
    return SequenceMatcher(None, " ".join(wa), " ".join(wb), autojunk=False).ratio()


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
    for i in range(n):
        for j in range(i + 1, n):
            if find(i) == find(j):
                continue
            if (title_similarity(titles[i], titles[j]) >= TITLE_SIMILARITY
                    or text_similarity(sketches[i], sketches[j]) >= TEXT_SIMILARITY):
                parent[max(find(i), find(j))] = min(find(i), find(j))
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(find(i), []).append(i)
    return sorted(out.values(), key=lambda g: g[0])
