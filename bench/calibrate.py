"""Fit the scorer's few global calibration weights on a labeled set, and check them.

    python bench/calibrate.py ../shared

Computes each (article, profile)'s five features with the shipped profiles
(config/monitor.toml), fits one logistic regression pooled over the profiles
(grade 2 relevant, grade 0 not, grade 1 counted once each way: its target is a
probability of one half, so grade-1 articles land between the two), and prints the weights and the
metrics of three checks: in-sample, 5-fold cross-validation over articles, and
leave-one-profile-out (weights fitted on the other profile only: how the calibration
carries to a profile it never saw). The weights printed are what
``scoring.CALIBRATION`` holds (rounded).
"""

from __future__ import annotations

import gzip
import math
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.evaluation import LabeledArticle, metrics, parse_labels  # noqa: E402
from commentary_monitor.profiles import build_profile  # noqa: E402
from commentary_monitor.scoring import LEXICAL_FLOOR, ArticleView, Scorer  # noqa: E402


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
    """profiles x articles x [log lexical, semantic, top, lead, others]"""
    out = np.zeros((len(scorer.profiles), len(arts), 5))
    for j, a in enumerate(arts):
        view = ArticleView.of(a.title, a.text)
        for i in range(len(scorer.profiles)):
            f = scorer.features(view, i)[0]
            out[i, j] = [math.log(f["lexical"] + LEXICAL_FLOOR), f["semantic"], f["top"], f["lead"], f["others"]]
    return out


def fit(X: np.ndarray, g: np.ndarray) -> LogisticRegression:
    # A grade-1 article (mainly about something else) appears once as relevant and once as
    # not: the fit aims it at 0.5, below the grade-2 pieces and above the grade-0 ones.
    mid = g == 1
    X2 = np.concatenate([X, X[mid]])
    y2 = np.concatenate([g >= 1, np.zeros(int(mid.sum()), dtype=bool)])
    return LogisticRegression(C=10.0, max_iter=3000).fit(X2, y2)


def show(tag: str, names: list[str], scores: list[np.ndarray], grades: list[np.ndarray], thresholds: list[float]) -> None:
    for name, s, g, t in zip(names, scores, grades, thresholds):
        m = metrics(name, list(s), list(g), t)
        print(f"{tag:10s} {name:16s} nDCG@10 {m.ndcg10:.3f} nDCG@30 {m.ndcg30:.3f} AUC2v0 {m.auc2v0:.3f} "
              f"AUC1v0 {m.auc1v0:.3f} R-prec2 {m.rprec2:.3f} P {m.precision or 0:.3f} R2 {m.recall2:.3f}")


def main(shared: str) -> int:
    cfg = load_config(ROOT / "config" / "monitor.toml")
    profiles = [build_profile(p) for p in cfg.profiles]
    scorer = Scorer(profiles, cheap_stage=False)
    arts = load_eval_set(Path(shared))
    keys = [p.name.replace("-", "_") for p in profiles]
    G = [np.array([a.grades.get(k, 0) for a in arts]) for k in keys]
    F = feature_matrix(scorer, arts)
    names = [p.name for p in profiles]
    th = [p.threshold for p in profiles]
    X = np.concatenate(list(F))
    y = np.concatenate(G)
    model = fit(X, y)
    w = model.coef_[0]
    print(f"weights: lexical {w[0]:.3f}, semantic {w[1]:.3f}, top {w[2]:.3f}, lead {w[3]:.3f}, others {w[4]:.3f}, "
          f"bias {model.intercept_[0]:.3f}")
    show("in-sample", names, [model.predict_proba(F[i])[:, 1] for i in range(len(names))], G, th)
    # 5-fold CV over articles (the same folds for every profile).
    rng = np.random.default_rng(0)
    fold = rng.integers(0, 5, size=len(arts))
    cv = [np.zeros(len(arts)) for _ in names]
    for k in range(5):
        tr = fold != k
        m = fit(np.concatenate([F[i][tr] for i in range(len(names))]), np.concatenate([g[tr] for g in G]))
        for i in range(len(names)):
            cv[i][~tr] = m.predict_proba(F[i][~tr])[:, 1]
    show("5-fold", names, cv, G, th)
    if len(names) > 1:
        lopo = []
        for i in range(len(names)):
            others = [j for j in range(len(names)) if j != i]
            m = fit(np.concatenate([F[j] for j in others]), np.concatenate([G[j] for j in others]))
            lopo.append(m.predict_proba(F[i])[:, 1])
        show("leave-out", names, lopo, G, th)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared"))
