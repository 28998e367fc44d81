import random

from commentary_monitor.digest.duplicates import groups, sketch, text_similarity, title_similarity

WORDS = ("moscow beijing energy yuan arctic border memory treaty summit trade sanctions grain port railway "
         "kremlin council market river navy exercise museum parade archive textbook history alliance").split()


def text(seed: int, n: int = 300) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def test_syndicated_copy_with_edits_is_the_same_story():
    original = text(1)
    edited = "Editor's note: this column first appeared elsewhere. " + original.replace("kremlin", "Russian government", 2)
    assert text_similarity(sketch(original), sketch(edited)) >= 0.5
    assert text_similarity(sketch(original), sketch(text(2))) < 0.1
    assert text_similarity(sketch("too short"), sketch("too short")) == 0.0   # short texts: titles decide


def test_titles_need_substance_to_match():
    assert title_similarity("Moscow's Pivot to Asia Becomes a Dependence", "Moscow’s pivot to Asia becomes a dependence") > 0.9
    assert title_similarity("Editorial", "Editorial") == 0.0
    assert title_similarity("China and Russia in the Arctic", "China and Russia in Central Asia") < 0.9


def test_groups_keep_rank_order_and_first_copy():
    a, b = text(1), text(2)
    titles = ["Story A", "Story B", "Story A (syndicated)", "Same Headline On Two Sites", "Same headline on two sites"]
    texts = [a, b, a, "short", "other short"]
    assert groups(titles, texts) == [[0, 2], [1], [3, 4]]
    assert groups([], []) == []
