"""Measure a scorer on labeled articles: nDCG, AUC, P@10, R-precision, precision and recall per profile.

The labels file has one JSON object per line in the format of
``shared/eval/dev/articles.jsonl``: ``title``, ``dek``, ``body`` and ``labels`` (a
grade 0/1/2 per profile; ``sino_russian`` matches the profile ``sino-russian``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from commentary_monitor.errors import UsageError
from commentary_monitor.relevance.anchors import ANCHORS, anchor_scores
from commentary_monitor.relevance.labels import LabeledArticle, profile_key
from commentary_monitor.relevance.scoring import Scorer


@dataclass(frozen=True)
class ProfileMetrics:
    profile: str
    n: int
    n2: int
    n1: int
    ndcg10: float
    ndcg30: float
    auc2v0: float | None
    auc1v0: float | None
    p10: float              # share of the top 10 with grade 1 or 2 (as in BASELINES.md)
    rprec2: float | None
    precision: float | None
    recall2: float | None
    recall_any: float | None
    threshold: float


def dcg(grades: list[int], k: int) -> float:
    """Discounted cumulative gain of the first ``k`` grades (gain 2^g - 1)."""
    return _discounted([2**g - 1 for g in grades[:k]])


def _discounted(gains: list[float]) -> float:
    return sum(x / math.log2(i + 2) for i, x in enumerate(gains))


def tie_groups(scores: list[float]) -> list[list[int]]:
    """The articles' indices by rank, best first, articles of equal score in one group."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and scores[groups[-1][0]] == scores[i]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def per_position(groups: list[list[int]], values: list[float]) -> list[float]:
    """``values`` (one per article) by rank position (``groups``: :func:`tie_groups`), each
    position given the mean of its tie group: what a ranking shows there on average over the
    orders its ties could take. Without it, ties keep the order of the labels file, and a
    ranker that ties often (a boolean alert counting passages) is credited with the order its
    grader wrote."""
    out: list[float] = []
    for group in groups:
        mean = sum(values[i] for i in group) / len(group)
        out.extend([mean] * len(group))
    return out


def ndcg(ranked_grades: list[int], k: int) -> float:
    ideal = dcg(sorted(ranked_grades, reverse=True), k)
    return dcg(ranked_grades, k) / ideal if ideal else 0.0


def auc(pos: list[float], neg: list[float]) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half)."""
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))


def metrics(profile: str, scores: list[float], grades: list[int], threshold: float) -> ProfileMetrics:
    """The figures of one ranking; tied articles count at their tie group's mean (see
    :func:`per_position`), as AUC counts a tie as half a win."""
    groups = tie_groups(scores)
    gains = per_position(groups, [2**g - 1 for g in grades])
    ideal = sorted(grades, reverse=True)
    relevant = per_position(groups, [1.0 if g >= 1 else 0.0 for g in grades])
    top = per_position(groups, [1.0 if g == 2 else 0.0 for g in grades])
    s2 = [s for s, g in zip(scores, grades) if g == 2]
    s1 = [s for s, g in zip(scores, grades) if g == 1]
    s0 = [s for s, g in zip(scores, grades) if g == 0]
    n2 = len(s2)
    picked = [g for s, g in zip(scores, grades) if s >= threshold]
    relevant_any = len(s1) + n2
    return ProfileMetrics(
        profile=profile,
        n=len(scores),
        n2=n2,
        n1=len(s1),
        ndcg10=_discounted(gains[:10]) / dcg(ideal, 10) if any(ideal) else 0.0,
        ndcg30=_discounted(gains[:30]) / dcg(ideal, 30) if any(ideal) else 0.0,
        auc2v0=auc(s2, s0),
        auc1v0=auc(s1, s0),
        p10=sum(relevant[:10]) / min(10, len(relevant)) if relevant else 0.0,
        rprec2=(sum(top[:n2]) / n2) if n2 else None,
        precision=(sum(1 for g in picked if g >= 1) / len(picked)) if picked else None,
        recall2=(sum(1 for s in s2 if s >= threshold) / n2) if n2 else None,
        recall_any=(sum(1 for g in picked if g >= 1) / relevant_any) if relevant_any else None,
        threshold=threshold,
    )


def evaluate_anchors(scorer: Scorer, articles: list[LabeledArticle]) -> list[tuple[str, list[ProfileMetrics]]]:
    """The same figures for the simple rankers a user could pick instead (see
    :mod:`.anchors`), per profile: [(ranker, [metrics per profile])]. They have no
    threshold, so precision and recall are not theirs to report."""
    docs = [(a.title, a.text) for a in articles]
    per_profile = []
    for prof in scorer.profiles:
        key = profile_key(prof.name)
        if not any(key in a.grades for a in articles):
            continue
        grades = [a.grades.get(key, 0) for a in articles]
        per_profile.append((prof.name, grades, anchor_scores(prof, scorer.encoder, docs)))
    return [(name, [dataclasses.replace(metrics(p, vals[name], grades, math.inf), precision=None, recall2=None,
                                        recall_any=None) for p, grades, vals in per_profile])
            for name in ANCHORS]


def evaluate(scorer: Scorer, articles: list[LabeledArticle]) -> list[ProfileMetrics]:
    all_scores = scorer.score_many([(a.title, a.text) for a in articles])
    results = []
    for i, prof in enumerate(scorer.profiles):
        key = profile_key(prof.name)
        if not any(key in a.grades for a in articles):
            continue
        grades = [a.grades.get(key, 0) for a in articles]
        results.append(metrics(prof.name, [s[i].score for s in all_scores], grades, prof.threshold))
    return results


FEEDBACK_RELEVANT_GRADE = 2   # the simulated reader marks grade 2 relevant and grade 0 not relevant
UNLABELED_GRADES = (1,)       # a partly relevant piece gets no thumb either way (the metrics count it a hit)


def evaluate_with_feedback(scorer: Scorer, articles: list[LabeledArticle], n: int, draws: int = 5,
                           seed: int = 0) -> tuple[list[ProfileMetrics], list[ProfileMetrics]]:
    """Feed ``n`` labeled articles to every profile (grade 2 as relevant, 0 as not; a
    reader leaves a grade-1 piece, partly relevant, unlabeled: marking it "not relevant"
    would teach the profile against what precision and recall count as hits), score the
    others, and return the metrics without and with that feedback, each averaged over
    ``draws`` random draws of the ``n`` articles. The draws come from the articles with a
    grade for some profile other than the extra negatives (``--html-dir`` pages), as a
    reader labels what the digest shows."""
    import random

    from commentary_monitor.relevance.feedback import LabeledText, train_all

    labeled = [i for i, a in enumerate(articles) if not a.id.endswith((".html", ".html.gz"))]
    if n <= 0 or n >= len(labeled):
        raise UsageError(f"--feedback: N must be between 1 and {len(labeled) - 1}")
    rng = random.Random(seed)
    base_scores = scorer.score_many([(a.title, a.text) for a in articles])
    before: list[list[ProfileMetrics]] = []
    after: list[list[ProfileMetrics]] = []
    for _ in range(draws):
        fed = set(rng.sample(labeled, n))
        rest = [i for i in range(len(articles)) if i not in fed]
        labels = {p.name: [LabeledText(articles[i].id, articles[i].title, articles[i].text,
                                       articles[i].grades.get(profile_key(p.name), 0) >= FEEDBACK_RELEVANT_GRADE)
                           for i in sorted(fed) if articles[i].grades.get(profile_key(p.name), 0) not in UNLABELED_GRADES]
                  for p in scorer.profiles}
        taught = Scorer(scorer.profiles, scorer.encoder, train_all(list(scorer.profiles), labels, scorer.encoder),
                        scorer.calibration)
        new_scores = taught.score_many([(articles[i].title, articles[i].text) for i in rest])
        b, a = [], []
        for k, prof in enumerate(scorer.profiles):
            key = profile_key(prof.name)
            if not any(key in articles[i].grades for i in rest):
                continue
            grades = [articles[i].grades.get(key, 0) for i in rest]
            b.append(metrics(prof.name, [base_scores[i][k].score for i in rest], grades, prof.threshold))
            a.append(metrics(prof.name, [s[k].score for s in new_scores], grades, prof.threshold))
        before.append(b)
        after.append(a)
    return _mean_metrics(before), _mean_metrics(after)


def _mean_metrics(runs: list[list[ProfileMetrics]]) -> list[ProfileMetrics]:
    def avg(values):
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else None

    out = []
    for k in range(len(runs[0])):
        ms = [r[k] for r in runs]
        out.append(ProfileMetrics(
            profile=ms[0].profile, n=ms[0].n, n2=round(avg([m.n2 for m in ms])), n1=round(avg([m.n1 for m in ms])),
            ndcg10=avg([m.ndcg10 for m in ms]), ndcg30=avg([m.ndcg30 for m in ms]), auc2v0=avg([m.auc2v0 for m in ms]),
            auc1v0=avg([m.auc1v0 for m in ms]), p10=avg([m.p10 for m in ms]), rprec2=avg([m.rprec2 for m in ms]), precision=avg([m.precision for m in ms]),
            recall2=avg([m.recall2 for m in ms]), recall_any=avg([m.recall_any for m in ms]), threshold=ms[0].threshold,
        ))
    return out


def render(results: list[ProfileMetrics], anchors: list[tuple[str, list[ProfileMetrics]]] = ()) -> str:
    """The figures as a Markdown table; with ``anchors``, each profile's row is followed
    by the anchors' rows for the same profile."""
    def f(x: float | None) -> str:
        return "  n/a" if x is None else f"{x:.3f}"

    def row(m: ProfileMetrics, ranker: str) -> str:
        threshold = f"{m.threshold:.2f}" if math.isfinite(m.threshold) else "  n/a"
        return (f"| {m.profile} | {ranker} | {m.n} | {m.n2} / {m.n1} | {f(m.ndcg10)} | {f(m.ndcg30)} | {f(m.auc2v0)} | "
                f"{f(m.auc1v0)} | {f(m.p10)} | {f(m.rprec2)} | {threshold} | {f(m.precision)} | {f(m.recall2)} | "
                f"{f(m.recall_any)} |")

    head = ("| profile | ranker | n | grade 2 / 1 | nDCG@10 | nDCG@30 | AUC 2v0 | AUC 1v0 | P@10 | R-prec 2 | threshold "
            "| precision | recall(2) | recall(1+2) |")
    lines = [head, "|---" * 14 + "|"]
    for m in results:
        lines.append(row(m, "profile"))
        for name, ms in anchors:
            lines.extend(row(a, name) for a in ms if a.profile == m.profile)
    return "\n".join(lines)
