"""Relevance scores: (article, profile) -> score in [0, 1] with an explanation.

Version 1 is deliberately simple and honest: TF-IDF (word uni- and bigrams) fitted
on the profiles' seed passages; an article's raw similarity is its cosine to the
centroid of a profile's passages, squashed into [0, 1] by a fixed logistic curve
so that 0.5 sits where related commentary starts (measured on the dev set, see
README "Scoring"). The explanation names the terms that contributed most, the
article passage closest to the profile and the closest seed passage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .profiles import Profile, split_passages

MODEL_NAME = "tfidf-centroid-v1"
# Logistic calibration of the raw cosine: score = 1 / (1 + exp(-(cos - MIDPOINT) / SCALE)).
MIDPOINT = 0.19
SCALE = 0.03
MAX_ARTICLE_CHARS = 40_000


@dataclass(frozen=True)
class Score:
    profile: str
    score: float
    relevant: bool
    explanation: str          # one line for people
    terms: tuple[str, ...]
    article_passage: str
    seed_passage: str
    seed_source: str
    raw: float
    profile_version: str = ""
    model: str = MODEL_NAME


def calibrate(raw: float) -> float:
    z = (raw - MIDPOINT) / SCALE
    if z < -60:
        return 0.0
    return round(1.0 / (1.0 + math.exp(-z)), 6)


def _clip(text: str, n: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


class Scorer:
    """Scores articles against a fixed set of profiles (built once per run)."""

    model = MODEL_NAME

    def __init__(self, profiles: list[Profile] | tuple[Profile, ...]) -> None:
        self.profiles = tuple(profiles)
        corpus = [p.text for prof in self.profiles for p in prof.passages]
        self.vectorizer = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1, dtype=np.float32
        )
        if corpus:
            self.vectorizer.fit(corpus)
            self.features = self.vectorizer.get_feature_names_out()
        self._passage_vecs = []
        self._centroids = []
        for prof in self.profiles:
            pv = self.vectorizer.transform([p.text for p in prof.passages])
            centroid = normalize(np.asarray(pv.mean(axis=0)))
            self._passage_vecs.append(pv)
            self._centroids.append(centroid.ravel())

    def score_articles(self, articles: list) -> list[list[Score]]:
        """Scores of articles (anything with ``title`` and ``text``), one list per article."""
        return self.score_many([(a.title or "", a.text) for a in articles])

    def score_text(self, title: str, text: str) -> list[Score]:
        """Scores of one article against every profile, in profile order."""
        return self.score_many([(title, text)])[0]

    def score_many(self, articles: list[tuple[str, str]]) -> list[list[Score]]:
        if not articles or not self.profiles:
            return [[] for _ in articles]
        docs = [f"{t}\n\n{x[:MAX_ARTICLE_CHARS]}" for t, x in articles]
        X = self.vectorizer.transform(docs)
        out: list[list[Score]] = []
        for row, (title, text) in zip(X, articles):
            paragraphs = split_passages(text, min_words=12, max_words=160) or [text[:2000] or title]
            P = self.vectorizer.transform(paragraphs)
            scores = []
            for prof, centroid, pv in zip(self.profiles, self._centroids, self._passage_vecs):
                raw = float((row @ centroid)[0])
                value = calibrate(raw)
                contrib = row.multiply(centroid).tocsr()
                order = np.argsort(-contrib.data)[:8]
                terms = tuple(str(self.features[contrib.indices[i]]) for i in order if contrib.data[i] > 0)
                best_par = int(np.argmax(P @ centroid)) if P.shape[0] else 0
                seed_sims = (pv @ row.T).toarray().ravel()
                best_seed = int(np.argmax(seed_sims)) if seed_sims.size else 0
                seed = prof.passages[best_seed] if prof.passages else None
                relevant = value >= prof.threshold
                explanation = (
                    f"{'relevant' if relevant else 'below threshold'} ({value:.2f} vs {prof.threshold:.2f}); "
                    f"terms: {', '.join(terms[:6]) or 'none'}"
                    + (f"; closest seed passage ({seed.source}): \"{_clip(seed.text, 120)}\"" if seed else "")
                )
                scores.append(
                    Score(
                        profile=prof.name,
                        score=value,
                        relevant=relevant,
                        explanation=explanation,
                        terms=terms,
                        article_passage=_clip(paragraphs[best_par], 400),
                        seed_passage=_clip(seed.text, 400) if seed else "",
                        seed_source=seed.source if seed else "",
                        raw=raw,
                        profile_version=prof.version,
                    )
                )
            out.append(scores)
        return out
