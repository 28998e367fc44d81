"""Fit the scorer's few global calibration weights on a labeled set, and check them.

    python bench/calibrate.py ../shared

Computes each (article, profile)'s features with the shipped profiles
(config/monitor.toml) and fits the calibration in two stages, as the scorer applies it:

1. the **base** weights (``scoring.BASE_FEATURES`` and the bias): one logistic
   regression pooled over all profiles;
2. the **relationship** weights (relation, others, pairs, dyad): a logistic regression over
   the relationship profiles only (those whose description names two sides), with
   the base log-odds as a fixed offset. Other profiles never see them.

Labels: grade 2 relevant, grade 0 not, grade 1 counted once each way (its target is a
probability of one half, so grade-1 articles land between the two). Prints the
weights and the metrics of four checks: in-sample, 5-fold cross-validation over
articles (one split, and the mean over five different splits: one article more or
less in a fold moves a figure by a swap, so the mean is the steadier guide),
and leave-one-profile-out (a profile scored with weights fitted on the others only:
how the calibration carries to a profile it never saw; a relationship profile left
out gets no relationship weights when no other profile is one). The weights printed
are what ``scoring.CALIBRATION`` holds (rounded).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.evaluation import LabeledArticle, metrics, parse_labels  # noqa: E402
from commentary_monitor.profiles import build_profile  # noqa: E402
from commentary_monitor.scoring import BASE_FEATURES, ArticleView, Scorer, base_terms  # noqa: E402

BASE = list(BASE_FEATURES)
RELATION = ["others", "pairs", "dyad"]
C = 10.0     # inverse L2 strength, both stages
REPEATS = 5  # different 5-fold splits averaged


def load_eval_set(shared: Path) -> list[LabeledArticle]:
    from commentary_monitor.extract import extract_page

    arts = parse_labels((shared / "eval/dev/articles.jsonl").read_text(encoding="utf-8").splitlines(), "dev")
    keys = {k for a in arts for k in a.grades}
    for f in sorted((shared / "corpus/news-html").glob("*.html.gz")):
        ex = extract_page(gzip.decompress(f.read_bytes()), f"https://example.invalid/{f.name}")
        if ex:
            arts.append(LabeledArticle(f.name, ex.title or "", ex.text, {k: 0 for k in keys}))
    return arts


def feature_matrix(scorer: Scorer, arts: list[LabeledArticle]) -> np.ndarray:
    """profiles x articles x [base features as the logit reads them, others, pairs, dyad]"""
    out = np.zeros((len(scorer.profiles), len(arts), len(BASE) + len(RELATION)))
    for j, a in enumerate(arts):
        view = ArticleView.of(a.title, a.text, scorer.vocabulary)
        for i in range(len(scorer.profiles)):
            f = scorer.features(view, i)[0]
            out[i, j] = base_terms(f) + [f.get(k, 0.0) for k in RELATION]
    return out


def _soft(X: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # A grade-1 article (mainly about something else) appears once as relevant and once as
    # not: the fit aims it at 0.5, below the grade-2 pieces and above the grade-0 ones.
    mid = g == 1
    return np.concatenate([X, X[mid]]), np.concatenate([g >= 1, np.zeros(int(mid.sum()), dtype=bool)]), mid


def fit_base(X: np.ndarray, g: np.ndarray) -> np.ndarray:
    """[lexical, semantic, top, lead, bias]"""
    X2, y2, _ = _soft(X, g)
    m = LogisticRegression(C=C, max_iter=3000).fit(X2, y2)
    return np.concatenate([m.coef_[0], m.intercept_])


def fit_relation(A: np.ndarray, offset: np.ndarray, g: np.ndarray) -> np.ndarray:
    """[relation, others, pairs, dyad]: a logistic regression with the base log-odds as offset."""
    A2, y2, mid = _soft(A, g)
    off = np.concatenate([offset, offset[mid]])
    A2 = np.hstack([np.ones((len(A2), 1)), A2])
    y = y2.astype(float)

    def loss(w):
        z = off + A2 @ w
        p = 1.0 / (1.0 + np.exp(-z))
        grad = A2.T @ (p - y)
        grad[1:] += w[1:] / C
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 / C * np.sum(w[1:] ** 2)), grad

    return minimize(loss, np.zeros(A2.shape[1]), jac=True, method="L-BFGS-B").x


def base_z(w: np.ndarray, F: np.ndarray) -> np.ndarray:
    return F[:, :len(BASE)] @ w[:-1] + w[-1]


def fit(F: list[np.ndarray], G: list[np.ndarray], relational: list[bool]):
    """Both stages on these profiles' rows; returns a scoring function (profile features,
    is relational) -> probabilities, and the weights."""
    wb = fit_base(np.concatenate([f[:, :len(BASE)] for f in F]), np.concatenate(G))
    rel = [i for i, r in enumerate(relational) if r and len(F[i])]
    wr = None
    if rel:
        wr = fit_relation(np.concatenate([F[i][:, len(BASE):] for i in rel]),
                          np.concatenate([base_z(wb, F[i]) for i in rel]), np.concatenate([G[i] for i in rel]))

    def predict(f: np.ndarray, is_rel: bool) -> np.ndarray:
        z = base_z(wb, f)
        if is_rel and wr is not None:
            z = z + wr[0] + f[:, len(BASE):] @ wr[1:]
        return 1.0 / (1.0 + np.exp(-z))

    return predict, wb, wr


FIGURES = ("ndcg10", "ndcg30", "auc2v0", "auc1v0", "rprec2", "precision", "recall2")
LABELS = ("nDCG@10", "nDCG@30", "AUC2v0", "AUC1v0", "R-prec2", "P", "R2")


def show(tag: str, names: list[str], scores: list[list[np.ndarray]], grades: list[np.ndarray],
         thresholds: list[float]) -> None:
    """One line per profile: the metrics of each set of scores (one per split), averaged."""
    for i, (name, g, t) in enumerate(zip(names, grades, thresholds)):
        ms = [metrics(name, list(s[i]), list(g), t) for s in scores]
        vals = [float(np.mean([getattr(m, k) or 0.0 for m in ms])) for k in FIGURES]
        print(f"{tag:10s} {name:16s} " + " ".join(f"{lab} {v:.3f}" for lab, v in zip(LABELS, vals)))


def cross_validate(F, G, rel, seed: int) -> list[np.ndarray]:
    """5-fold over articles (the same folds for every profile): each article scored with
    weights fitted on the other four fifths."""
    fold = np.random.default_rng(seed).integers(0, 5, size=len(F[0]))
    cv = [np.zeros(len(F[0])) for _ in F]
    for k in range(5):
        tr = fold != k
        p, _, _ = fit([f[tr] for f in F], [g[tr] for g in G], rel)
        for i in range(len(F)):
            cv[i][~tr] = p(F[i][~tr], rel[i])
    return cv


def main(shared: str) -> int:
    cfg = load_config(ROOT / "config" / "monitor.toml")
    profiles = [build_profile(p) for p in cfg.profiles]
    scorer = Scorer(profiles, cheap_stage=False)
    arts = load_eval_set(Path(shared))
    keys = [p.name.replace("-", "_") for p in profiles]
    G = [np.array([a.grades.get(k, 0) for a in arts]) for k in keys]
    F = list(feature_matrix(scorer, arts))
    rel = [bool(p.reference.get("pairs")) for p in profiles]
    names = [p.name for p in profiles]
    th = [p.threshold for p in profiles]
    predict, wb, wr = fit(F, G, rel)
    weights = dict(zip(BASE + ["bias"], wb))
    if wr is not None:
        weights.update(zip(["relation"] + RELATION, wr))
    print("weights: " + ", ".join(f"{k} {v:.3f}" for k, v in weights.items()))
    print("CALIBRATION = {" + ", ".join(f'"{k}": {v:.2f}' for k, v in weights.items()) + "}")
    print("relationship profiles: " + (", ".join(n for n, r in zip(names, rel) if r) or "none"))
    show("in-sample", names, [[predict(F[i], rel[i]) for i in range(len(names))]], G, th)
    show("5-fold", names, [cross_validate(F, G, rel, 0)], G, th)
    show(f"5-fold x{REPEATS}", names, [cross_validate(F, G, rel, seed) for seed in range(REPEATS)], G, th)
    if len(names) > 1:
        lopo = []
        for i in range(len(names)):
            others = [j for j in range(len(names)) if j != i]
            p, _, _ = fit([F[j] for j in others], [G[j] for j in others], [rel[j] for j in others])
            lopo.append(p(F[i], rel[i]))
        show("leave-out", names, [lopo], G, th)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared"))
