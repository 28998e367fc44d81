"""A topic profile's third stage: its description's meaning, for English articles it might take.

    python bench/topic_meaning.py --shared ../shared [--cache FILE] [--gate 0.2] [--gate-high 0.9] [--test rpM,rpN] [--fold-seed 0]

A profile without sides (memory-politics) ranks by topical evidence alone: its terms, the
static model's cosines, its description's words. Where that evidence gives an English article
a probability of at least ``--gate``, hybrid-v17 adds one more figure: how close the article's
opening (its first two passages' first 600 characters) is to the description in the multilingual sentence encoder (:mod:`.multilingual`, the
model a topic profile reads Russian and Chinese with), relative to the seed passages' level,
unless the probability is ``--gate-high`` or more already (such an article is taken, and the
stage would only cost time), through two weights (``topic_meaning``, ``topic_meaning_bias``): z += w * closeness + b.

Measured under the folds of ``bench/calibrate.py`` (outlets dealt into five folds): in each
fold the base weights and the topic corrections are refitted (as calibrate.py does), then the
stage's two weights beside them on the fold's training rows above the gate; the held-out
scores with and without the stage are compared, and the test batches (``--test``) are scored
by weights fitted without them. The weights printed last are the ones shipped: the two fitted
beside the shipped calibration's log-odds (``scoring.CALIBRATION``) on every row but the test
batches. Features come from ``bench/calibrate.py``'s cache (``--cache``, made by it); the
encoder's vectors of each article's opening are kept beside it.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import calibrate as C  # noqa: E402
from relevance_cv import HEAD, group_folds, report  # noqa: E402

from commentary_monitor.relevance.scoring import CALIBRATION, MEANING_GATE, logit  # noqa: E402


def openings(rows, cache: Path):
    """Each article's first passages (as the scorer splits them) in the multilingual encoder,
    and, per profile variant, the description's vector and the seed passages' level."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.multilingual import MEANING_CHARS, MEANING_PASSAGES, _unit, encoder, profile_match
    from commentary_monitor.relevance.profiles import build_profile
    from commentary_monitor.relevance.scoring import ArticleView, Scorer
    from commentary_monitor.relevance.semantic import default_encoder

    cfg = load_config(ROOT / "config/monitor.toml")
    enc = default_encoder()
    profiles = [build_profile(p, enc) for p in cfg.profiles]
    scorer = Scorer(profiles, enc)
    matches = {}
    for p in profiles:
        m = profile_match(p)
        if m is not None:
            matches[p.name] = (m.vector, m.reference)
    vecs = []
    for _, a, _ in rows:
        view = ArticleView.of(a.title, a.text, scorer.vocabulary)
        head = [x[:MEANING_CHARS] for x in view.passages[:MEANING_PASSAGES] if x.strip()] or [""]
        vecs.append(_unit(encoder().encode(head)).astype(np.float32))
    out = (vecs, matches)
    cache.write_bytes(pickle.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--real", type=Path, default=ROOT / "eval/real/pages")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cvfeat.pkl"), help="bench/calibrate.py's feature cache")
    ap.add_argument("--gate", type=float, default=MEANING_GATE[0])
    ap.add_argument("--gate-high", type=float, default=MEANING_GATE[1])
    ap.add_argument("--test", default="rpM,rpN")
    ap.add_argument("--fold-seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=0.4)
    ap.add_argument("--by-batch", action="store_true", help="also each batch of real pages by itself")
    args = ap.parse_args()
    rows, variants = pickle.loads(args.cache.read_bytes())
    vecs, matches = openings(rows, Path(str(args.cache) + ".meaning.pkl"))
    keys = list(variants)
    topic = [k for k in keys if not variants[k][0][:, C.COLS.index("relation")].any() and k[1] in matches]
    shared = [k for k in keys if variants[k][0][:, C.COLS.index("relation")].any()]
    closeness = {}
    for k in topic:
        v, ref = matches[k[1]]
        closeness[k] = np.array([float((A @ v).max()) / ref for A in vecs])
    grades = {k: np.array([a.grades.get(k[1].replace("-", "_"), 0) for _, a, _ in rows]) for k in keys}
    test_b = {b for b in args.test.split(",") if b}
    test = np.array([s == "real" and a.id.split("-")[0] in test_b for s, a, _ in rows])
    folds = np.full(len(rows), -1)
    folds[~test] = group_folds([o for j, (_, _, o) in enumerate(rows) if not test[j]], 5, args.fold_seed)
    base_cols = list(range(len(C.BASE_FEATURES)))
    # articles the scorer reads in the multilingual model (other languages): its own log-odds,
    # out of every fit here, and never within the gate (see calibrate.multilingual_rows)
    ml = {k: C.multilingual_rows(variants[k][1]) for k in topic}

    def base_fit(mask):
        m = C.fit(np.concatenate([variants[k][0][mask] for k in shared]), np.concatenate([grades[k][mask] for k in shared]), 1.0)
        Xt = np.concatenate([variants[k][0][mask & ~ml[k][0]] for k in topic])
        corr = C.fit_offset(Xt[:, base_cols], np.concatenate([grades[k][mask & ~ml[k][0]] for k in topic]),
                            m.decision_function(Xt), 1.0)
        return lambda k, mk: np.where(ml[k][0][mk], ml[k][1][mk], m.decision_function(variants[k][0][mk])
                                      + variants[k][0][mk][:, base_cols] @ corr[0] + corr[1])

    def stage_fit(z_of, mask):
        Z, U, G = [], [], []
        for k in topic:
            z = z_of(k, mask)
            p = 1 / (1 + np.exp(-z))
            gate = (p >= args.gate) & (p < args.gate_high) & ~ml[k][0][mask]
            Z.append(z[gate]), U.append(closeness[k][mask][gate]), G.append(grades[k][mask][gate])
        w, b = C.fit_offset(np.concatenate(U)[:, None], np.concatenate(G), np.concatenate(Z), 1.0)
        return float(w[0]), float(b)

    def with_stage(z, u, wb, foreign):
        p = 1 / (1 + np.exp(-z))
        gate = (p >= args.gate) & (p < args.gate_high) & ~foreign
        return p, 1 / (1 + np.exp(-(z + gate * (wb[0] * u + wb[1])))), gate

    p0 = {k: np.zeros(len(rows)) for k in topic}
    p1 = {k: np.zeros(len(rows)) for k in topic}
    gated = {k: np.zeros(len(rows), bool) for k in topic}
    for f in [*range(5), "test"]:
        tr, te = ((~test, test) if f == "test" else ((folds != f) & ~test, folds == f))
        if not te.any():
            continue
        z_of = base_fit(tr)
        wb = stage_fit(z_of, tr)
        for k in topic:
            p0[k][te], p1[k][te], gated[k][te] = with_stage(z_of(k, te), closeness[k][te], wb, ml[k][0][te])
    news = np.array([s == "news" for s, _, _ in rows])
    for k in topic:
        print(f"\n## {'/'.join(k)}: held out (outlets in five folds; the test batches by weights fitted without them)")
        print(f"articles within the gate ({args.gate}-{args.gate_high}): news pages {gated[k][news].mean():.1%}, "
              f"dev and real pages {gated[k][~news].mean():.1%}")
        print("held-out log loss:", round(C.held_out_loss(p0[k][~test], grades[k][~test]), 1), "without the stage,",
              round(C.held_out_loss(p1[k][~test], grades[k][~test]), 1), "with it")
        print(HEAD)
        for part in ("real", "dev", "test"):
            idx = np.flatnonzero(test) if part == "test" else np.array(
                [j for j, (s, _, _) in enumerate(rows) if (s == part or (part == "dev" and s == "news")) and not test[j]])
            if len(idx):
                print(report(f"{part}, without", p0[k][idx], grades[k][idx], args.threshold))
                print(report(f"{part}, with the stage", p1[k][idx], grades[k][idx], args.threshold))
            if part == "real" and args.by_batch:
                for b in sorted({rows[j][1].id.split("-")[0] for j in idx}):
                    sub = [j for j in idx if rows[j][1].id.split("-")[0] == b]
                    print(report(f"real, {b}, without", p0[k][sub], grades[k][sub], args.threshold))
                    print(report(f"real, {b}, with the stage", p1[k][sub], grades[k][sub], args.threshold))
    # the shipped weights: beside the shipped calibration's log-odds, every row but the test batches
    shipped = {k: np.where(ml[k][0], ml[k][1], np.array([logit(f, CALIBRATION) for f in variants[k][1]])) for k in topic}
    wb = stage_fit(lambda k, mk: shipped[k][mk], ~test)
    print(f"\nshipped: topic_meaning {wb[0]:.2f}, topic_meaning_bias {wb[1]:.2f} "
          f"(beside scoring.CALIBRATION's log-odds, {int((~test).sum())} articles, test batches left out)")


if __name__ == "__main__":
    main()
