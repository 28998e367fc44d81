"""How far two graders agree, and how the scorer ranks against each of them.

    python bench/agreement.py [--second eval/real/second-grading.jsonl] [--pages eval/real/pages]

``--second`` holds a second, blind grading of some of the real pages (their ids, the two
profiles' grades and a reason), made from the stored texts alone by a grader who saw
neither the first grades nor the scorer. Prints, per profile, the two graders' agreement
(exact, and Cohen's kappa with quadratic weights), their table of grades, and the shipped
scorer's AUC (grade 2 against grade 0) and R-precision against each grader's labels and on
the pages they agree on. The first grades are the pages' own (``--pages``, git-ignored).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.relevance.labels import parse_labels  # noqa: E402
from commentary_monitor.relevance.profiles import build_profile  # noqa: E402
from commentary_monitor.relevance.scoring import Scorer  # noqa: E402


def auc(scores: np.ndarray, grades: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    m = grades != 1
    return float(roc_auc_score(grades[m] == 2, scores[m]))


def r_precision(scores: np.ndarray, grades: np.ndarray) -> float:
    r = int((grades == 2).sum())
    return float((grades[np.argsort(-scores, kind="stable")[:r]] == 2).mean()) if r else float("nan")


def main() -> None:
    from sklearn.metrics import cohen_kappa_score

    ap = argparse.ArgumentParser()
    ap.add_argument("--second", type=Path, default=ROOT / "eval/real/second-grading.jsonl")
    ap.add_argument("--pages", type=Path, default=ROOT / "eval/real/pages")
    args = ap.parse_args()
    second = [json.loads(line) for line in args.second.read_text(encoding="utf-8").splitlines() if line.strip()]
    pages = {}
    for f in sorted(args.pages.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                o = json.loads(line)
                pages[o["id"]] = line
    missing = [s["id"] for s in second if s["id"] not in pages]
    if missing:
        raise SystemExit(f"{len(missing)} graded pages are not in {args.pages} (e.g. {missing[0]})")
    arts = parse_labels([pages[s["id"]] for s in second], str(args.pages))
    cfg = load_config(ROOT / "config/monitor.toml")
    profiles = [build_profile(p) for p in cfg.profiles]
    results = Scorer(profiles).score_many([(a.title, a.text) for a in arts])
    print(f"{len(second)} pages graded twice; scorer {results[0][0].model}")
    for i, prof in enumerate(profiles):
        key = prof.name.replace("-", "_")
        a = np.array([x.grades[key] for x in arts])
        b = np.array([s["labels"][key] for s in second])
        s = np.array([r[i].score for r in results])
        table = np.zeros((3, 3), int)
        for x, y in zip(a, b):
            table[x, y] += 1
        agree = a == b
        print(f"\n## {prof.name}: exact agreement {agree.mean():.3f}, "
              f"Cohen's kappa (quadratic) {cohen_kappa_score(a, b, weights='quadratic'):.3f}")
        print("| first \\ second | 0 | 1 | 2 |\n|---|---|---|---|")
        for g in range(3):
            print(f"| {g} | {table[g, 0]} | {table[g, 1]} | {table[g, 2]} |")
        print(f"scorer AUC 2v0 / R-prec: against the first grades {auc(s, a):.3f} / {r_precision(s, a):.3f}; "
              f"against the second {auc(s, b):.3f} / {r_precision(s, b):.3f}; on the {int(agree.sum())} pages they "
              f"agree on {auc(s[agree], a[agree]):.3f} / {r_precision(s[agree], a[agree]):.3f}")
        print(f"the second grader's grades as a ranking of the first's: AUC 2v0 {auc(b.astype(float), a):.3f} "
              f"(ties counted half)")


if __name__ == "__main__":
    main()
