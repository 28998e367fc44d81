import json

import pytest

from commentary_monitor.errors import UsageError
from commentary_monitor.relevance.evaluation import auc, metrics, ndcg
from commentary_monitor.relevance.labels import parse_labels


def test_ndcg_and_auc_on_known_rankings():
    assert ndcg([2, 1, 0, 0], 10) == pytest.approx(1.0)
    assert ndcg([0, 0, 1, 2], 10) < 0.6
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([], [0.1]) is None


def test_metrics_at_threshold():
    m = metrics("p", scores=[0.9, 0.8, 0.6, 0.4, 0.1], grades=[2, 0, 2, 1, 0], threshold=0.5)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall2 == 1.0
    assert m.auc2v0 == pytest.approx(0.75)
    assert m.rprec2 == 0.5
    assert m.p10 == pytest.approx(3 / 5)      # fewer than ten articles: the share of all of them
    many = metrics("p", scores=[1 - i / 20 for i in range(20)], grades=[2, 1, 0] + [2] * 7 + [0] * 10, threshold=0.5)
    assert many.p10 == pytest.approx(9 / 10)  # grade 1 counts, as in BASELINES.md


def test_tied_articles_count_at_their_groups_mean_whatever_the_files_order():
    """A boolean alert ties often; the order of the labels file must not break its ties."""
    grades = [2, 2, 0, 0]
    first, last = metrics("p", [1, 1, 1, 1], grades, 0.5), metrics("p", [1, 1, 1, 1], grades[::-1], 0.5)
    assert first.rprec2 == last.rprec2 == pytest.approx(0.5)
    assert first.ndcg10 == pytest.approx(last.ndcg10) and first.ndcg10 < 1.0
    assert first.p10 == pytest.approx(0.5)
    # a tie across the cut-off (three grade-2 articles: the third place is one of two) counts half
    m = metrics("p", [3, 2, 1, 1], [2, 2, 0, 2], 0.5)
    assert m.rprec2 == pytest.approx(2.5 / 3) and m.ndcg10 < 1.0


def test_labels_file_errors_name_the_line():
    good = json.dumps({"id": "a", "title": "t", "dek": "d", "body": "b", "labels": {"sino_russian": 2}})
    arts = parse_labels([good, ""], "f.jsonl")
    assert arts[0].grades == {"sino_russian": 2} and arts[0].text == "d\n\nb"
    with pytest.raises(UsageError, match=r"f.jsonl:2: not a labeled article"):
        parse_labels([good, '{"title": "no labels"}'], "f.jsonl")


def test_a_grade_outside_0_1_2_or_an_empty_article_is_refused_naming_the_line():
    with pytest.raises(UsageError, match=r"f.jsonl:1: labels.sino_russian: a grade is 0, 1 or 2, not 5"):
        parse_labels([json.dumps({"title": "t", "body": "b", "labels": {"sino_russian": 5}})], "f.jsonl")
    with pytest.raises(UsageError, match=r"f.jsonl:1: labels.memory-politics: a grade is 0, 1 or 2, not True"):
        parse_labels([json.dumps({"title": "t", "body": "b", "labels": {"memory-politics": True}})], "f.jsonl")
    with pytest.raises(UsageError, match=r"f.jsonl:2: no title, dek or body"):
        parse_labels([json.dumps({"title": "t", "labels": {"x": 1}}), json.dumps({"id": 1, "labels": {"x": 0}})], "f.jsonl")
