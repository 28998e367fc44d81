"""Feedback that teaches: a per-profile correction learned from the reader's labels.

In the spirit of arxiv-sanity's per-tag classifier, each profile with labels gets a
small logistic model over the profile's features (the four evidence figures and the
article's 128-dimension embedding). It is fitted *on top of* the calibrated score: the
base log-odds is an offset, so the model learns only what the labels say the base
score gets wrong. The seed passages stay in the training set as relevant examples
(together weighing as much as one label), so feedback can sharpen a profile but never
make it forget its essays; an L2 penalty keeps a few labels from swinging it far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .profiles import Profile
from .scoring import LEXICAL_FLOOR, ArticleView, Scorer, logit

L2 = 0.3                # penalty on the correction's weights (labels are few)
SEED_WEIGHT = 1.0       # all seed passages together count as this many labels
EMBEDDING_SCALE = 3.0   # embedding coordinates are ~0.1: scale them to the evidence figures' size


@dataclass(frozen=True)
class LabeledText:
    article_id: str
    title: str
    text: str
    relevant: bool


@dataclass(frozen=True)
class FeedbackModel:
    profile: str
    n_labels: int
    n_relevant: int
    coef: np.ndarray          # [intercept, lexical, semantic, top, lead, embedding...]

    def correction(self, feats: dict, embedding: np.ndarray) -> float:
        return float(self.coef @ _phi(feats, embedding))

    def evidence_weights(self) -> dict[str, float]:
        """The learned weights of the four evidence figures (for ``profiles show``)."""
        return {"intercept": round(float(self.coef[0]), 3), "lexical": round(float(self.coef[1]), 3),
                "semantic": round(float(self.coef[2]), 3), "top": round(float(self.coef[3]), 3),
                "lead": round(float(self.coef[4]), 3)}


def _phi(feats: dict, embedding: np.ndarray) -> np.ndarray:
    head = [1.0, math.log(feats["lexical"] + LEXICAL_FLOOR), feats["semantic"], feats["top"], feats["lead"]]
    return np.concatenate([np.asarray(head), EMBEDDING_SCALE * np.asarray(embedding, dtype=np.float64)])


def _examples(scorer: Scorer, index: int, items: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    phis, offsets = [], []
    for title, text in items:
        view = ArticleView.of(title, text)
        feats = scorer.features(view, index)[0]
        phis.append(_phi(feats, view.embedding))
        offsets.append(logit(feats, scorer.calibration))
    return np.asarray(phis), np.asarray(offsets)


def train(profile: Profile, labels: list[LabeledText], encoder=None) -> FeedbackModel | None:
    """The profile's feedback model, or None without labels."""
    if not labels:
        return None
    scorer = Scorer([profile], encoder, cheap_stage=False)
    X, off = _examples(scorer, 0, [(x.title, x.text) for x in labels])
    y = np.asarray([1.0 if x.relevant else 0.0 for x in labels])
    w = np.ones(len(labels))
    seeds = [("", p.text) for p in profile.passages if p.source != "description"]
    if seeds:
        Xs, offs = _examples(scorer, 0, seeds)
        X = np.vstack([X, Xs])
        off = np.concatenate([off, offs])
        y = np.concatenate([y, np.ones(len(seeds))])
        w = np.concatenate([w, np.full(len(seeds), SEED_WEIGHT / len(seeds))])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = off + X @ theta
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))
        ll = -(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum()
        grad = X.T @ (w * (p - y)) + L2 * theta
        return ll + 0.5 * L2 * float(theta @ theta), grad

    res = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B")
    return FeedbackModel(profile.name, len(labels), int(y[: len(labels)].sum()), res.x)


def train_all(profiles: list[Profile], labels: dict[str, list[LabeledText]], encoder=None) -> dict[str, FeedbackModel]:
    out = {}
    for prof in profiles:
        model = train(prof, labels.get(prof.name, []), encoder)
        if model is not None:
            out[prof.name] = model
    return out


def scorer_for(cfg, labels: dict[str, list[LabeledText]] | None = None, encoder=None) -> Scorer:
    """The scorer of a configuration: its profiles (from the cache beside the warehouse,
    rebuilt when their inputs changed) with the feedback models their labels teach."""
    from .profiles import load_profiles

    profiles = load_profiles(cfg.profiles, cfg.warehouse_path.parent / "profiles", encoder)
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
