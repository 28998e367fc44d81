"""Fit the scorer's calibration and measure it under cross-validation with folds grouped by outlet.

    python bench/calibrate.py --shared ../shared [--real eval/real/pages] [--errors] [--cache FILE --refresh] [--no-topic]
                              [--test rpE]

Features of every (article, profile) with the profiles of config/monitor.toml: both shipped
profiles, and sino-russian from its essays alone (no description). One logistic regression
pooled over the relationship profiles' rows (sino-russian shipped and from its essays alone;
a grade-1 article counts once relevant and once not: the fit aims it at one half); then, for
a profile without sides (memory-politics), corrections of the topical weights fitted on its
rows alone beside the first model's log-odds (the shared weights, which every relationship
profile and the foreign path use, stay as they are). With ``--no-topic`` the topic profile's
rows join the pooled fit instead. Folds: the outlets dealt into five folds, so an article is always scored
by weights fitted on other outlets' articles; the figures printed are those held-out
scores, per set, and their log loss. The weights printed are fitted on everything but the
fresh test (``--test``: a batch of real pages gathered last and kept out of every fit, then
scored once by those weights; rpD was one until hybrid-v9, rpE for hybrid-v9, rpF for hybrid-v10, rpG for hybrid-v11, rpH for hybrid-v12, rpI and rpJ for hybrid-v13, rpK for hybrid-v14, rpL for hybrid-v15, rpM and rpN for hybrid-v16, rpO for hybrid-v17, rpP for a change reverted, rpQ for hybrid-v19): they are what ``scoring.CALIBRATION`` holds (rounded).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from relevance_cv import HEAD, group_folds, load_sets, report  # noqa: E402

from commentary_monitor.relevance.scoring import BASE_FEATURES, RELATION_FEATURES, ArticleView, Scorer, base_terms  # noqa: E402

REL = list(RELATION_FEATURES)
COLS = list(BASE_FEATURES) + ["relation"] + REL    # the weights' names in scoring.CALIBRATION


def featurize(args):
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import build_profile
    from commentary_monitor.relevance.semantic import default_encoder

    rows = load_sets(args.shared, args.real)
    cfg = load_config(ROOT / "config/monitor.toml")
    enc = default_encoder()
    variants = {}
    for variant in ("shipped", "seeds"):
        pcfgs = [dataclasses.replace(p, description="") if variant == "seeds" else p for p in cfg.profiles]
        if variant == "seeds":
            pcfgs = [p for p in pcfgs if p.name == "sino-russian"]
        profiles = [build_profile(p, enc) for p in pcfgs]
        scorer = Scorer(profiles, enc, cheap_stage=False)
        for i, prof in enumerate(profiles):
            X, F = [], []
            for _, a, _ in rows:
                view = ArticleView.of(a.title, a.text, scorer.vocabulary)
                f = scorer.features(view, i)[0]
                F.append(f)
                rel = [1.0 if "pairs" in f else 0.0] + [f.get(k, 0.0) for k in REL]
                X.append(base_terms(f) + rel)
            variants[(variant, prof.name)] = (np.array(X), F, prof.threshold)
    return rows, variants


def with_vectors(rows, variants, texts: Path, vectors: Path):
    """The same features with the semantic ones (semantic, top, lead, description,
    description_top) from another model's vectors: ``texts`` (JSONL, {"text"}) and ``vectors``
    (.npy, one row per line) as written by bench/embed_candidates.py for the article
    passages, seed passages and descriptions. Profiles as shipped; weights as build_profile."""
    import json

    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import build_profile

    V = np.load(vectors)
    lookup = {json.loads(x)["text"]: V[i] for i, x in enumerate(texts.read_text(encoding="utf-8").splitlines())}
    cfg = load_config(ROOT / "config/monitor.toml")
    cols = {c: COLS.index(c) for c in ("semantic", "top", "lead", "description", "description_top")}
    views = [ArticleView.of(a.title, a.text) for _, a, _ in rows]
    art = [np.stack([lookup[p] for p in v.passages]) for v in views]
    out = {}
    for (variant, name), (X, F, thr) in variants.items():
        pc = next(p for p in cfg.profiles if p.name == name)
        prof = build_profile(dataclasses.replace(pc, description="") if variant == "seeds" else pc)
        seeds = [i for i, p in enumerate(prof.passages) if p.source != "description"]
        S = np.stack([lookup[prof.passages[i].text] for i in seeds])
        w = prof.passage_weights[seeds].astype(np.float64)
        c = (S * w[:, None]).sum(axis=0)
        c /= np.linalg.norm(c)
        d = None
        if prof.description:
            d = lookup[prof.passages[-1].text]
            c = c + d
            c /= np.linalg.norm(c)
        ww = w / w.sum()
        sem_ref = float(ww @ (S @ c))
        d_ref = float(ww @ (S @ d)) if d is not None else None
        X = X.copy()
        for j, A in enumerate(art):
            sims = (A @ c) / sem_ref
            X[j, cols["semantic"]] = sims.mean()
            X[j, cols["top"]] = np.sort(sims)[::-1][:2].mean()
            X[j, cols["lead"]] = sims[0]
            if d is not None:
                ds = (A @ d) / d_ref
                X[j, cols["description"]], X[j, cols["description_top"]] = ds.mean(), ds.max()
            else:
                X[j, cols["description"]], X[j, cols["description_top"]] = sims.mean(), X[j, cols["top"]]
        out[(variant, name)] = (X, F, thr)
    return out


def multilingual_rows(F) -> tuple[np.ndarray, np.ndarray]:
    """Which of a topic profile's rows the scorer reads in the multilingual model (an article
    in another language it reads: stage "multilingual"), and the log-odds it gives them there
    (``scoring.multilingual_logit``: the ``multilingual`` weights, fitted on English pages by
    bench/multilingual_topic.py, or ``multilingual_other`` for a language the model was not
    trained on, bench/untrained_topic.py; not here). Their topical features are all zero: they
    are left out of the fits below and scored as the scorer scores them, not as English articles
    with no evidence."""
    from commentary_monitor.relevance.scoring import multilingual_logit

    ml = np.array([f.get("stage") == "multilingual" for f in F])
    z = np.array([multilingual_logit({"multilingual": 0.0, **f}) for f in F])
    return ml, z


def fit(X, g, C):
    mid = g == 1
    Xa = np.concatenate([X, X[mid]])
    ya = np.concatenate([g >= 1, np.zeros(int(mid.sum()), dtype=bool)])
    m = LogisticRegression(C=C, max_iter=5000)
    m.fit(Xa, ya)
    return m


def fit_offset(X, g, offset, C):
    """A logistic regression of grades ``g`` on ``X`` beside a fixed log-odds ``offset``
    (L2 penalty as scikit-learn's: C * loss + |w|^2 / 2, the intercept unpenalised),
    grade 1 counted both ways as in :func:`fit`. Returns (weights, intercept)."""
    from scipy.optimize import minimize

    mid = g == 1
    Xa, oa = np.concatenate([X, X[mid]]), np.concatenate([offset, offset[mid]])
    ya = np.concatenate([g >= 1, np.zeros(int(mid.sum()), dtype=bool)]).astype(float)

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = oa + Xa @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        nll = np.sum(np.logaddexp(0.0, z) - ya * z)
        grad = Xa.T @ (p - ya)
        return C * nll + 0.5 * w @ w, np.append(C * grad + w, C * np.sum(p - ya))

    res = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B")
    return res.x[:-1], res.x[-1]


def held_out_loss(p, g) -> float:
    """The log loss of held-out scores ``p`` against grades ``g``, summed (a grade-1 article
    counts once each way, as :func:`fit` counts it): a proper scoring rule that every
    article moves, where the ranking figures move by whole articles."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.sum(np.where(g >= 1, np.log(p), 0.0) + np.where(g <= 1, np.log(1 - p), 0.0)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--real", type=Path, default=ROOT / "eval/real/pages")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cvfeat.pkl"),
                    help="where the features are kept between runs (--refresh recomputes them)")
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--fold-seed", type=int, default=0, help="another deal of the outlets into folds")
    ap.add_argument("--cols", default=",".join(COLS))
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--no-topic", dest="topic", action="store_false",
                    help="no corrections of the topical weights for profiles without sides (one pooled fit)")
    ap.add_argument("--C-topic", dest="C_topic", type=float, default=1.0)
    ap.add_argument("--vectors", type=Path, help="another model's vectors for the semantic features (with --texts)")
    ap.add_argument("--texts", type=Path)
    ap.add_argument("--threshold", type=float, default=0.4, help="precision and recall at this score (the profiles' default)")
    ap.add_argument("--dump", type=Path, help="write every article's held-out score per profile here (JSON lines)")
    ap.add_argument("--test", default="rpM,rpN",
                    help="batches of real pages (ids' prefix, comma-separated) kept out of every fit and "
                         "scored once by the weights fitted on the rest: a fresh test ('' for none)")
    args = ap.parse_args()
    if args.cache.exists() and not args.refresh:
        rows, variants = pickle.loads(args.cache.read_bytes())
    else:
        rows, variants = featurize(args)
        args.cache.write_bytes(pickle.dumps((rows, variants)))
    if args.vectors:
        variants = with_vectors(rows, variants, args.texts, args.vectors)
    cols = [COLS.index(c) for c in args.cols.split(",")]
    test_batches = {b for b in args.test.split(",") if b}
    test = np.array([s == "real" and a.id.split("-")[0] in test_batches for s, a, _ in rows])
    folds = np.full(len(rows), -1)     # the fresh test in no fold: never fitted on
    folds[~test] = group_folds([o for j, (_, _, o) in enumerate(rows) if not test[j]], 5, args.fold_seed)
    keys = list(variants)
    grades = {k: np.array([a.grades.get(k[1].replace("-", "_"), 0) for _, a, _ in rows]) for k in keys}
    pred = {k: np.zeros(len(rows)) for k in keys}
    # profiles without sides (a topic profile: no relation features) get corrections of the
    # topical weights, fitted on their rows alone beside the shared model's log-odds: the
    # shared weights, which the foreign path and every relationship profile use, stay as
    # the pooled fit makes them
    topic_keys = [k for k in keys if not variants[k][0][:, COLS.index("relation")].any()] if args.topic else []
    base_cols = list(range(len(BASE_FEATURES)))
    ml = {k: multilingual_rows(variants[k][1]) for k in topic_keys}

    def fit_both(mask):
        shared = [k for k in keys if k not in topic_keys]    # the relationship profiles' rows
        m = fit(np.concatenate([variants[k][0][mask][:, cols] for k in shared]),
                np.concatenate([grades[k][mask] for k in shared]), args.C)
        corr = None
        if topic_keys:
            Xt = np.concatenate([variants[k][0][mask & ~ml[k][0]] for k in topic_keys])
            off = m.decision_function(Xt[:, cols])
            corr = fit_offset(Xt[:, base_cols], np.concatenate([grades[k][mask & ~ml[k][0]] for k in topic_keys]), off,
                              args.C_topic)
        return m, corr

    def predict(m, corr, k, mask):
        X = variants[k][0][mask]
        z = m.decision_function(X[:, cols])
        if corr is not None and k in topic_keys:
            z = z + X[:, base_cols] @ corr[0] + corr[1]
            z = np.where(ml[k][0][mask], ml[k][1][mask], z)
        return 1.0 / (1.0 + np.exp(-z))

    for f in range(5):
        tr, te = (folds != f) & ~test, folds == f
        m, corr = fit_both(tr)
        for k in keys:
            pred[k][te] = predict(m, corr, k, te)
    full, corr = fit_both(~test)
    if test.any():
        for k in keys:
            pred[k][test] = predict(full, corr, k, test)
    print("weights (all data):", {COLS[c]: round(w, 2) for c, w in zip(cols, full.coef_[0])}, "bias", round(full.intercept_[0], 2))
    if corr is not None:
        print("topic corrections (all data):", {f"topic_{BASE_FEATURES[c]}": round(w, 2) for c, w in zip(base_cols, corr[0])},
              "topic_bias", round(corr[1], 2))
    if test.any():
        print(f"fresh test ({', '.join(sorted(test_batches))}, {int(test.sum())} pages): scored by the weights above, "
              "fitted without them; the folds' figures and log loss below leave them out")
    if args.dump:
        with args.dump.open("w") as out:
            for j, (s, a, o) in enumerate(rows):
                out.write(json.dumps({"id": a.id, "set": s, "outlet": o, "test": bool(test[j]),
                                      **{"/".join(k): [round(float(pred[k][j]), 4), int(grades[k][j])] for k in keys}}) + "\n")
    losses = {k: held_out_loss(pred[k][~test], grades[k][~test]) for k in keys}
    print("held-out log loss (lower is better; grade 1 counted both ways, as fitted):",
          {"/".join(k): round(x, 1) for k, x in losses.items()}, "total", round(sum(losses.values()), 1))
    for k in keys:
        print(f"\n## {k} under outlet-grouped 5-fold CV")
        print(HEAD)
        for part in ("real", "dev", "all"):
            idx = [j for j, (s, _, _) in enumerate(rows) if (part == "all" or s == part or (part == "dev" and s == "news"))
                   and not test[j]]
            print(report(part, pred[k][idx], grades[k][idx], args.threshold))
            if part == "real":    # each batch of gathered pages (its ids' prefix: rpA, rpB, ...) by itself too
                batches = sorted({rows[j][1].id.split("-")[0] for j in idx})
                for b in batches if len(batches) > 1 else ():
                    sub = [j for j in idx if rows[j][1].id.split("-")[0] == b]
                    print(report(f"real, {b}", pred[k][sub], grades[k][sub], args.threshold))
        if test.any():
            idx = np.flatnonzero(test)
            print(report("fresh test (" + ", ".join(sorted(test_batches)) + ")", pred[k][idx], grades[k][idx], args.threshold))
        if args.errors:
            idx = [j for j, (s, _, _) in enumerate(rows) if s == "real" and not test[j]]
            bad = sorted(idx, key=lambda j: -abs(pred[k][j] - grades[k][j] / 2))[:12]
            for j in bad:
                a = rows[j][1]
                print(f"  g{grades[k][j]} p{pred[k][j]:.2f} {rows[j][2]} {a.title[:60] or a.text[:60]!r}",
                      {c: round(variants[k][1][j].get(c, 0), 2) for c in ("pairs", "joint", "others", "description", "semantic")})


if __name__ == "__main__":
    main()
