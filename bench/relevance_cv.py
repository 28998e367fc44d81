"""Relevance under cross-validation on real pages and the development set, beside the anchors.

    python bench/relevance_cv.py --shared ../shared [--real eval/real/pages] [--variant shipped|seeds]

Loads the labeled sets (the 50-article dev set and the 181 news pages as negatives from
``--shared``; the gathered real pages from ``--real`` when present), computes each
(article, profile)'s features with the profiles of config/monitor.toml (``--variant seeds``:
the descriptions removed), and fits the calibration with folds grouped by outlet: an
article is always scored by weights fitted on other outlets' articles. Prints the
figures per set beside the anchors a user could pick instead (see
``commentary_monitor.relevance.anchors``).
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commentary_monitor.relevance.evaluation import metrics  # noqa: E402
from commentary_monitor.relevance.labels import LabeledArticle, parse_labels  # noqa: E402


def host(url: str) -> str:
    h = urlsplit(url).hostname or url
    return h[4:] if h.startswith("www.") else h


def load_sets(shared: Path | None, real: Path | None):
    """[(set name, article, outlet)]"""
    out = []
    if shared:
        dev_lines = (shared / "eval/dev/articles.jsonl").read_text(encoding="utf-8").splitlines()
        outlets = [json.loads(x).get("outlet", "") for x in dev_lines if x.strip()]
        for a, o in zip(parse_labels(dev_lines, "dev"), outlets):
            out.append(("dev", a, "dev:" + o))
        from commentary_monitor.extraction.extract import extract_page
        truth = json.loads((shared / "corpus/news-html/ground-truth.json").read_text())
        for f in sorted((shared / "corpus/news-html").glob("*.html.gz")):
            key = f.name.split(".")[0]
            ex = extract_page(gzip.decompress(f.read_bytes()), f"https://example.invalid/{f.name}")
            if ex:
                out.append(("news", LabeledArticle(f.name, ex.title or "", ex.text,
                                                   {"sino_russian": 0, "memory_politics": 0}),
                            host(truth.get(key, {}).get("url", key))))
    if real and real.exists():
        from commentary_monitor.relevance.anchors import load_real_pages
        for a, o in load_real_pages(real, shared / "eval/reserved-urls.txt" if shared else None):
            out.append(("real", a, o))
    return out


def group_folds(groups: list[str], k: int = 5, seed: int = 0) -> np.ndarray:
    """A fold per outlet: outlets shuffled and dealt into k folds, largest first."""
    rng = np.random.default_rng(seed)
    uniq = sorted(set(groups))
    rng.shuffle(uniq)
    size = {g: groups.count(g) for g in uniq}
    load = [0] * k
    assign = {}
    for g in sorted(uniq, key=lambda g: -size[g]):
        f = int(np.argmin(load))
        assign[g] = f
        load[f] += size[g]
    return np.array([assign[g] for g in groups])


def report(name, scores, grades, threshold):
    m = metrics(name, list(scores), list(grades), threshold)
    f = lambda x: "  n/a" if x is None else f"{x:.3f}"  # noqa: E731
    return (f"| {name} | {m.n} | {m.n2}/{m.n1} | {f(m.ndcg10)} | {f(m.ndcg30)} | {f(m.auc2v0)} | {f(m.rprec2)} "
            f"| {f(m.precision)} | {f(m.recall2)} |")


HEAD = "| ranker | n | g2/g1 | nDCG@10 | nDCG@30 | AUC 2v0 | R-prec | precision | recall(2) |\n|---|---|---|---|---|---|---|---|---|"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--real", type=Path, default=ROOT / "eval/real/pages")
    ap.add_argument("--variant", default="shipped", choices=["shipped", "seeds"])
    ap.add_argument("--current", action="store_true", help="also the shipped scorer as it is, uncalibrated")
    args = ap.parse_args()

    from commentary_monitor.relevance.anchors import anchor_scores
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import build_profile
    from commentary_monitor.relevance.scoring import Scorer
    from commentary_monitor.relevance.semantic import default_encoder

    rows = load_sets(args.shared, args.real)
    cfg = load_config(ROOT / "config/monitor.toml")
    pcfgs = [dataclasses.replace(p, description="") if args.variant == "seeds" else p for p in cfg.profiles]
    enc = default_encoder()
    profiles = [build_profile(p, enc) for p in pcfgs]
    scorer = Scorer(profiles, enc)
    docs = [(a.title, a.text) for _, a, _ in rows]
    scored = scorer.score_many(docs)
    sets = sorted({s for s, _, _ in rows})
    for i, prof in enumerate(profiles):
        key = prof.name.replace("-", "_")
        anchors = anchor_scores(prof, enc, docs)
        print(f"\n## {prof.name} ({args.variant})\n")
        for part in sets + ["all"]:
            idx = [j for j, (s, _, _) in enumerate(rows) if part == "all" or s == part or (part == "dev" and s == "news")]
            if part == "news":
                continue
            g = [rows[j][1].grades.get(key, 0) for j in idx]
            print(f"\n{part} (+news negatives)" if part == "dev" else f"\n{part}")
            print(HEAD)
            print(report("scorer (in-sample: held-out figures come from bench/calibrate.py)", [scored[j][i].score for j in idx], g, prof.threshold))
            for name, vals in anchors.items():
                print(report(name, [vals[j] for j in idx], g, float("inf")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
