"""A topic profile on articles in the languages the multilingual model was not trained on
(`crosslingual.UNTRAINED_LANGUAGES`: the Cyrillic languages other than Russian, and the
twenty-one of hybrid-v29: Finnish, Czech, Greek ...): the model's closeness to the profile's
description, read in the article's own letters with the weights fitted on English pages, and in
Russian letters for the Slavic ones (`crosslingual.as_russian`) with two weights of their own,
under cross-validation with the outlets dealt into folds, beside the rankers a user could pick
instead (the boolean alert, BM25 of the seeds, the embedding centroid: nothing fitted). Prints
the held-out figures, then the two weights fitted on every page given (what
`scoring.CALIBRATION` ships as `multilingual_other`, `multilingual_other_bias`: fitted with the
default --sets on the 162 pages hybrid-v36 read as Cyrillic languages; hybrid-v37 reads one more
as an untrained language, and the same run now fits 3.63, -3.28). Log loss here leaves grade-1
pages out.

    python bench/untrained_topic.py [--sets cyr-a,cyr-b] [--pages eval/multilingual/pages] [--test cyr-c]

--test names batches kept out of every fit and scored once with the shipped weights.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate import fit as fit_logistic  # noqa: E402
from relevance_cv import group_folds  # noqa: E402

from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.relevance.crosslingual import UNTRAINED_LANGUAGES, as_russian  # noqa: E402
from commentary_monitor.relevance.evaluation import metrics  # noqa: E402
from commentary_monitor.relevance.profiles import build_profile  # noqa: E402
from commentary_monitor.relevance.anchors import ANCHORS, anchor_scores  # noqa: E402
from commentary_monitor.relevance.scoring import CALIBRATION, ArticleView, Scorer, multilingual_logit, sigmoid  # noqa: E402

THRESHOLD = 0.4


def load(pages: Path, names: list[str]) -> list[dict]:
    rows = []
    for name in names:
        path = pages / f"{name}.jsonl"
        if not path.exists():
            path = pages.parent / "fresh" / f"{name}.jsonl"
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def fit(x: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    """The closeness's weight and bias, fitted as bench/calibrate.py fits (grade 2 relevant,
    grade 0 not, a grade-1 page once each way; C = 1)."""
    lr = fit_logistic(x[:, None], g, 1.0)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def log_loss(p: np.ndarray, g: np.ndarray) -> float:
    keep = g != 1
    q = np.clip(np.where(g[keep] == 2, p[keep], 1 - p[keep]), 1e-9, 1)
    return float(-np.log(q).sum())


def row(label: str, p: np.ndarray, g: np.ndarray) -> str:
    m = metrics(label, list(p), list(g), THRESHOLD)
    prec = f"{m.precision:.3f}" if m.precision is not None else "-"
    return (f"| {label} | {m.ndcg10:.3f} | {m.ndcg30:.3f} | {m.auc2v0:.3f} | {m.rprec2:.3f} | "
            f"{prec} / {m.recall2:.3f} | {log_loss(p, g):.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=Path, default=ROOT / "eval/multilingual/pages")
    ap.add_argument("--sets", default="cyr-a,cyr-b", help="the batches fitted on, under cross-validation")
    ap.add_argument("--test", default="", help="batches never fitted on, scored with the shipped weights")
    ap.add_argument("--fold-seed", type=int, default=0)
    args = ap.parse_args()
    cfg = load_config(ROOT / "config/monitor.toml")
    scorer = Scorer([build_profile(next(p for p in cfg.profiles if p.name == "memory-politics"))])
    match = scorer._multilingual(0)

    def read(rows):
        own, russian, lang = [], [], []
        for r in rows:
            view = ArticleView.of(r.get("title") or "", r["body"])
            lang.append(view.language)
            own.append(match.closeness(view.passages))
            russian.append(match.closeness([as_russian(p, view.language, view.script == "latin") for p in view.passages]))
        return np.array(own), np.array(russian), lang

    rows = load(args.pages, args.sets.split(","))
    own, russian, lang = read(rows)
    g = np.array([int(r["labels"].get("memory_politics", 0)) for r in rows])
    keep = np.array([x in UNTRAINED_LANGUAGES for x in lang])
    print(f"{len(rows)} pages of {args.sets}; {int(keep.sum())} told as a language the model was not trained on "
          f"(the others are left out); grade 2 / 1 / 0: "
          f"{(g[keep] == 2).sum()} / {(g[keep] == 1).sum()} / {(g[keep] == 0).sum()}")
    own, russian, g = own[keep], russian[keep], g[keep]
    outlets = [r["outlet"] for r, k in zip(rows, keep) if k]
    folds = group_folds(outlets, 5, args.fold_seed)
    english = lambda x: np.array([sigmoid(multilingual_logit({"multilingual": v})) for v in x])  # noqa: E731

    def held_out(x):
        p = np.zeros(len(x))
        for f in range(5):
            a, b = fit(x[folds != f], g[folds != f])
            p[folds == f] = [sigmoid(a * v + b) for v in x[folds == f]]
        return p

    print("\n| memory-politics, held out by outlet | nDCG@10 | nDCG@30 | AUC 2v0 | R-prec | precision / recall(2) at 0.4 | log loss |")
    print("|---|---|---|---|---|---|---|")
    print(row("own letters, English weights (hybrid-v35, Cyrillic)", english(own), g))
    print(row("own letters, weights of their own", held_out(own), g))
    print(row("Russian letters (Slavic), English weights", english(russian), g))
    print(row("**Russian letters (Slavic), weights of their own**", held_out(russian), g))
    kept = [r for r, k in zip(rows, keep) if k]
    anchors = anchor_scores(scorer.profiles[0], scorer.encoder, [(r.get("title") or "", r["body"]) for r in kept])
    for name in ANCHORS:     # no threshold: their precision and recall are not theirs to report
        m = metrics(name, anchors[name], list(g), math.inf)
        print(f"| {name} | {m.ndcg10:.3f} | {m.ndcg30:.3f} | {m.auc2v0:.3f} | {m.rprec2:.3f} | | |")
    a, b = fit(russian, g)
    print(f"\nfitted on all {len(g)}: multilingual_other {a:.2f}, multilingual_other_bias {b:.2f} "
          f"(shipped: {CALIBRATION['multilingual_other']}, {CALIBRATION['multilingual_other_bias']})")
    by_lang = {}
    for x, v_own, v_ru, grade in zip([x for x, k in zip(lang, keep) if k], own, russian, g):
        by_lang.setdefault(x, []).append((v_own, v_ru, grade))
    print("\nper language, AUC 2v0 own letters -> Russian letters for the Slavic ones (grade 2 / 0):")
    for x, vals in sorted(by_lang.items()):
        gg = np.array([v[2] for v in vals])
        if (gg == 2).any() and (gg == 0).any():
            m0 = metrics(x, [v[0] for v in vals], list(gg), math.inf)
            m1 = metrics(x, [v[1] for v in vals], list(gg), math.inf)
            print(f"  {x}: {m0.auc2v0:.3f} -> {m1.auc2v0:.3f} ({(gg == 2).sum()} / {(gg == 0).sum()})")

    if args.test:
        rows = load(args.pages, args.test.split(","))
        grades = [int(r["labels"].get("memory_politics", 0)) for r in rows]
        scores = [s[0].score for s in scorer.score_many([(r.get("title") or "", r["body"]) for r in rows])]
        print(f"\nthe test, {args.test} ({len(rows)} pages, every language; the scorer as it ships):")
        print("| set | nDCG@10 | nDCG@30 | AUC 2v0 | R-prec | precision / recall(2) at 0.4 | log loss |")
        print("|---|---|---|---|---|---|---|")
        print(row(args.test, np.array(scores), np.array(grades)))


if __name__ == "__main__":
    main()
