"""A topic profile on Russian and Chinese articles: the multilingual model's closeness to the
profile's description (commentary_monitor.relevance.multilingual), its two weights fitted on
the English real pages' memory-politics grades and measured on Russian and Chinese pages
never fitted on, beside the scorer as it ships (which must give the same figures).

    python bench/multilingual_topic.py --pages DIR_WITH_ru-all.jsonl_AND_zh-all.jsonl [--real eval/real/pages]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.relevance.anchors import load_real_pages  # noqa: E402
from commentary_monitor.relevance.evaluation import metrics  # noqa: E402
from commentary_monitor.relevance.profiles import build_profile  # noqa: E402
from commentary_monitor.relevance.scoring import ArticleView, Scorer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=Path, required=True, help="a folder with ru-all.jsonl and zh-all.jsonl (labels format)")
    ap.add_argument("--real", type=Path, default=ROOT / "eval/real/pages")
    ap.add_argument("--batches", default="rpA,rpB,rpC,rpD,rpE,rpF,rpG,rpH,rpI,rpJ,rpK,rpL",
                    help="the English batches the two weights are fitted on")
    args = ap.parse_args()
    cfg = load_config(ROOT / "config/monitor.toml")
    prof = build_profile(next(p for p in cfg.profiles if p.name == "memory-politics"))
    scorer = Scorer([prof])
    match = scorer._multilingual(0)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}")
    batches = set(args.batches.split(","))
    english = [a for a, _ in load_real_pages(args.real) if a.id.split("-")[0] in batches]
    t = time.process_time()
    x = np.array([match.closeness(ArticleView.of(a.title, a.text).passages) for a in english])
    g = np.array([a.grades.get("memory_politics", 0) for a in english])
    print(f"{len(english)} English pages ({', '.join(sorted(batches))}): "
          f"{(time.process_time() - t) / len(english) * 1000:.1f} ms of CPU an article")
    mid = g == 1       # grade 1 counted once each way, as bench/calibrate.py fits
    lr = LogisticRegression(C=1.0).fit(np.concatenate([x, x[mid]])[:, None], np.concatenate([g >= 1, np.zeros(mid.sum(), bool)]))
    print(f"fitted: multilingual {lr.coef_[0][0]:.2f}, multilingual_bias {lr.intercept_[0]:.2f} "
          f"(shipped: {scorer.calibration['multilingual']}, {scorer.calibration['multilingual_bias']})")
    print("\n| set | n | grade 2 / 1 | nDCG@10 | nDCG@30 | AUC 2v0 | R-prec | precision / recall(2) at 0.4 |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("ru-all", "zh-all"):
        rows = [json.loads(line) for line in (args.pages / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        scores = [r[0].score for r in scorer.score_many([(r.get("title", ""), r["body"]) for r in rows])]
        grades = [int(r["labels"].get("memory_politics", 0)) for r in rows]
        m = metrics(name, scores, grades, 0.4)
        print(f"| {name} | {len(rows)} | {grades.count(2)} / {grades.count(1)} | {m.ndcg10:.3f} | {m.ndcg30:.3f} | "
              f"{m.auc2v0:.3f} | {m.rprec2:.3f} | {m.precision:.3f} / {m.recall2:.3f} |")


if __name__ == "__main__":
    main()
