"""Feedback that teaches: a per-profile correction learned from the reader's labels.

A label says "this article is (not) what I want". What it teaches is local: an article
*like* a labeled one should move toward the label, one unlike any label should keep its
score. Each profile with labels gets a small model that remembers its labeled articles
(their embeddings) and, for each, how far the calibrated score missed it: the log-odds
it would need to be confidently on the label's side (:data:`MARGIN`: about 0.88 for
relevant, 0.12 for not) minus the log-odds it has, zero when it is there already. An
article's correction is the similarity-weighted mean of those misses (a kernel over the
cosine of the embeddings, :data:`BANDWIDTH`), shrunk toward zero by a prior worth
:data:`PRIOR` labels, so one label moves its near neighbours and nothing else.

This is arxiv-sanity's per-tag classifier made local: the same labels, but no global
weights to swing on a handful of examples. Measured on the development set (README,
"Feedback"), a logistic correction over the evidence figures and the embedding, fitted
on top of the calibrated score, moved whole profiles: one relevant label on a piece with
little of the essays' vocabulary lifted unrelated news, and grade-1 pieces marked not
relevant pulled relationship pieces below the threshold. The seed essays are never
forgotten: they stay in the model as relevant examples the calibrated score already gets
right (no miss, but their weight dilutes a negative label's pull on articles like them),
and the calibrated score itself is untouched away from the labels. Every correction
names the labeled article that drives it most, so a reader can see why a score moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commentary_monitor.relevance.profiles import Profile
from commentary_monitor.relevance.scoring import ArticleView, Scorer
from commentary_monitor.warehouse.store import LabeledText

MARGIN = 2.0        # log-odds a labeled article should reach on its label's side (p 0.88 / 0.12)
BANDWIDTH = 0.05    # kernel exp((cos - 1) / BANDWIDTH): cos 0.95 weighs 0.37, 0.90 0.14, 0.85 0.05
PRIOR = 1.0         # shrinkage: the weight of "no change" against the labels' pull


@dataclass(frozen=True)
class FeedbackModel:
    profile: str
    n_labels: int
    n_relevant: int
    embeddings: np.ndarray    # one row per example: the labels, then the seed essays
    misses: np.ndarray        # log-odds each example's calibrated score misses its label by (0: no miss)
    names: tuple[str, ...]    # the labeled articles' titles (or ids), then the seed essays' file names
    relevant: tuple[bool, ...]

    def _weights(self, embedding: np.ndarray) -> np.ndarray:
        return np.exp((self.embeddings @ np.asarray(embedding, dtype=np.float32) - 1.0) / BANDWIDTH)

    def correction(self, feats: dict, embedding: np.ndarray) -> float:
        """The log-odds to add to an article's calibrated score (``feats`` unused: the
        evidence is already in the calibrated score)."""
        k = self._weights(embedding)
        return float(k @ self.misses / (PRIOR + k.sum()))

    def driver(self, embedding: np.ndarray) -> tuple[str, bool] | None:
        """The labeled article whose miss moves this article most, and its label."""
        pull = self._weights(embedding) * np.abs(self.misses)
        if not pull.size or pull.max() <= 0:
            return None
        i = int(np.argmax(pull))
        return self.names[i], self.relevant[i]

    def summary(self) -> dict[str, float]:
        """What the labels taught (for ``profiles show``): the largest raise and cut the
        model applies near a labeled article, in log-odds, and how many labels the
        calibrated score missed."""
        n = self.n_labels
        return {"missed labels": float(np.count_nonzero(self.misses[:n])),
                "largest raise": round(float(max(self.misses[:n].max(initial=0.0), 0.0)), 3),
                "largest cut": round(float(min(self.misses[:n].min(initial=0.0), 0.0)), 3)}


def miss(z: float, relevant: bool) -> float:
    """How far the calibrated log-odds ``z`` is from confidently on the label's side."""
    return max(0.0, MARGIN - z) if relevant else min(0.0, -MARGIN - z)


def train(profile: Profile, labels: list[LabeledText], encoder=None) -> FeedbackModel | None:
    """The profile's feedback model, or None without labels."""
    if not labels:
        return None
    scorer = Scorer([profile], encoder, cheap_stage=False)
    emb, misses = [], []
    for x in labels:
        view = ArticleView.of(x.title, x.text, scorer.vocabulary)
        feats = scorer.features(view, 0)[0]
        emb.append(view.embedding)
        misses.append(miss(scorer.log_odds(view, 0, feats), x.relevant))
    essays: dict[str, list[int]] = {}
    for i, p in enumerate(profile.passages):
        if p.source != "description":
            essays.setdefault(p.source, []).append(i)
    for rows in essays.values():
        v = profile.passage_vectors[rows].mean(axis=0)
        emb.append(v / (np.linalg.norm(v) or 1.0))
        misses.append(0.0)
    return FeedbackModel(profile.name, len(labels), sum(x.relevant for x in labels),
                         np.asarray(emb, dtype=np.float32), np.asarray(misses),
                         tuple((x.title or x.article_id) for x in labels) + tuple(essays),
                         tuple(x.relevant for x in labels) + (True,) * len(essays))


def train_all(profiles: list[Profile], labels: dict[str, list[LabeledText]], encoder=None) -> dict[str, FeedbackModel]:
    out = {}
    for prof in profiles:
        model = train(prof, labels.get(prof.name, []), encoder)
        if model is not None:
            out[prof.name] = model
    return out


def scorer_for(cfg, labels: dict[str, list[LabeledText]] | None = None, encoder=None, profiles=None) -> Scorer:
    """The scorer of a configuration: its profiles (from the cache beside the warehouse,
    rebuilt when their inputs changed; or ``profiles``, loaded already) with the feedback
    models their labels teach."""
    from commentary_monitor.relevance.profiles import load_profiles

    if profiles is None:
        profiles = load_profiles(cfg.profiles, cfg.profile_cache, encoder)
    return Scorer(profiles, encoder, train_all(profiles, labels or {}, encoder))


@dataclass(frozen=True)
class RescoreResult:
    articles: int
    scores: int
    replaced: int
    relevant: dict[str, int]

    def render(self) -> str:
        lines = [f"rescore: {self.articles} articles, {self.scores} scores written ({self.replaced} earlier scores kept in score_history)"]
        lines += [f"  relevant to {name}: {n}" for name, n in self.relevant.items()]
        return "\n".join(lines)


def rescore(wh, scorer: Scorer, profile: str | None = None, batch: int = 200) -> RescoreResult:
    """Score every stored article again (nothing is fetched), for one profile or all."""
    index = [i for i, p in enumerate(scorer.profiles) if profile is None or p.name == profile]
    sub = Scorer([scorer.profiles[i] for i in index], scorer.encoder, scorer.feedback, scorer.calibration)
    n_articles = n_scores = n_replaced = 0
    relevant = {p.name: 0 for p in sub.profiles}
    for rows in wh.iter_articles(batch):
        scores = sub.score_many([(title or "", text) for _, title, text in rows])
        pairs = [(aid, s) for (aid, _, _), per in zip(rows, scores) for s in per]
        n_replaced += wh.replace_scores(pairs)
        n_articles += len(rows)
        n_scores += len(pairs)
        for _, s in pairs:
            relevant[s.profile] += s.relevant
    return RescoreResult(n_articles, n_scores, n_replaced, relevant)
