from datetime import datetime

from commentary_monitor.config import ProfileConfig, SeedEssay
from commentary_monitor.relevance.feedback import LabeledText, rescore, train
from commentary_monitor.runs.pipeline import Article, article_id
from commentary_monitor.relevance.profiles import build_profile
from commentary_monitor.relevance.scoring import MODEL_NAME, Scorer
from commentary_monitor.warehouse.store import Warehouse

from .conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS, SEEDS
from .test_scoring import TRAP_PARAGRAPHS


def profile():
    essays = tuple(SeedEssay(p, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))
    return build_profile(ProfileConfig("sino-russian", essays, "Relations between Moscow and Beijing."))


def traps(n: int) -> list[tuple[str, str]]:
    """Variations of an article that compares the two economies side by side."""
    out = []
    for i in range(n):
        paras = TRAP_PARAGRAPHS[i % 3:] + TRAP_PARAGRAPHS[: i % 3]
        out.append((f"Economic outlook {i}", "\n\n".join(paras) + f"\n\nForecast revision number {i} follows in spring."))
    return out


def test_negative_feedback_lowers_similar_articles_but_never_the_seeds():
    prof = profile()
    base = Scorer([prof], cheap_stage=False)    # in full, as a profile with feedback is scored
    trap_texts = traps(4)
    relation = ("Moscow and Beijing", "\n\n".join(RELATION_PARAGRAPHS))
    before = [s[0].score for s in base.score_many(trap_texts[3:] + [relation])]
    labels = [LabeledText(f"t{i}", t, x, False) for i, (t, x) in enumerate(trap_texts[:3])]
    model = train(prof, labels)
    assert model.n_labels == 3 and model.n_relevant == 0
    taught = Scorer([prof], feedback={prof.name: model})
    unseen_trap, rel = [s[0] for s in taught.score_many(trap_texts[3:] + [relation])]
    # the unseen trap learned from its siblings: at least half of what they missed by taken off
    assert model.misses[:3].max() < 0
    assert unseen_trap.score < before[0] and unseen_trap.features["feedback"] < 0.5 * model.misses[:3].mean()
    assert "feedback" in unseen_trap.explanation
    assert rel.relevant and rel.score > 0.5                 # the seeds are not forgotten
    assert unseen_trap.model.startswith(f"{MODEL_NAME}+feedback3")


def test_positive_feedback_raises_a_kind_of_article_the_seeds_missed():
    prof = profile()
    arctic = ["Icebreakers from both countries now escort cargo along the Northern Sea Route, and the port of "
              "Murmansk ships liquefied gas all through the summer months.",
              "Joint research stations, shared satellite data and a new shipping company register the growing "
              "Arctic presence that Moscow once kept for itself. Beijing calls itself a near-Arctic state."]
    docs = [(f"Arctic note {i}", "\n\n".join(arctic[i % 2:] + arctic[: i % 2]) + f" Season {i}.") for i in range(4)]
    before = Scorer([prof]).score_many(docs[3:])[0][0].score
    model = train(prof, [LabeledText(f"a{i}", t, x, True) for i, (t, x) in enumerate(docs[:3])])
    after = Scorer([prof], feedback={prof.name: model}).score_many(docs[3:])[0][0].score
    assert after > before


def test_a_label_moves_articles_like_it_and_leaves_unlike_ones_alone():
    prof = profile()
    relation = ("Moscow and Beijing", "\n\n".join(RELATION_PARAGRAPHS))
    trams = [("Trams", "\n\n".join(OFFTOPIC_PARAGRAPHS)), ("Trams again", "\n\n".join(OFFTOPIC_PARAGRAPHS[::-1]))]
    base = Scorer([prof]).score_many([trams[1], relation])
    # a reader who wants tram news: a label the calibrated score misses by far
    model = train(prof, [LabeledText("t0", *trams[0], True)])
    assert model.summary()["missed labels"] == 1 and model.summary()["largest raise"] > 2
    taught = Scorer([prof], feedback={prof.name: model}).score_many([trams[1], relation])
    tram, rel = taught[0][0], taught[1][0]
    assert tram.features["feedback"] > 2 and tram.score > base[0][0].score   # like the label: moves toward it
    assert "like \"Trams\", marked relevant" in tram.explanation
    assert abs(rel.score - base[1][0].score) < 0.01                 # unlike it: keeps its score


def test_the_feedback_model_pickles():
    import pickle

    prof = profile()
    model = train(prof, [LabeledText("t0", "Trams", "\n\n".join(OFFTOPIC_PARAGRAPHS), False)])
    scorer = Scorer([prof], feedback={prof.name: model})
    copy = pickle.loads(pickle.dumps(scorer))
    assert copy.feedback[prof.name].n_labels == 1
    text = ("Trams", "\n\n".join(OFFTOPIC_PARAGRAPHS[::-1]))
    assert copy.score_many([text])[0][0].score == scorer.score_many([text])[0][0].score


def stored_article(n: int, title: str, text: str) -> Article:
    url = f"https://ex.org/{n}"
    return Article(article_id(url), url, url, url, "https://ex.org/feed", "Ex", title, None,
                   datetime(2026, 11, 10), datetime(2026, 11, 11), "en", text, "page", "ok")


def test_rescore_keeps_the_replaced_scores_and_applies_feedback(tmp_path):
    prof = profile()
    scorer = Scorer([prof], cheap_stage=False)    # in full, as a profile with feedback is scored
    arts = [stored_article(1, "Moscow and Beijing", "\n\n".join(RELATION_PARAGRAPHS)),
            stored_article(2, "Trams", "\n\n".join(OFFTOPIC_PARAGRAPHS)),
            *[stored_article(3 + i, t, x) for i, (t, x) in enumerate(traps(3))]]
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.store_articles(wh.start_run("ingest"), arts, scorer.score_articles(arts))
        assert wh.find_article(arts[0].url) == (arts[0].article_id, "url")
        assert wh.find_article(arts[0].article_id) == (arts[0].article_id, "id")
        assert wh.find_article("https://ex.org/404") is None
        wh.add_feedback(arts[2].article_id, prof.name, True, "id")
        wh.add_feedback(arts[2].article_id, prof.name, False, "id")     # the latest label wins
        wh.add_feedback(arts[3].article_id, prof.name, False, "url")
        labels = wh.feedback_labels()[prof.name]
        assert [(x.article_id, x.relevant) for x in labels] == [(arts[2].article_id, False), (arts[3].article_id, False)]
        old = dict(wh.con.execute("select article_id, score from scores").fetchall())
        model = train(prof, labels)
        result = rescore(wh, Scorer([prof], feedback={prof.name: model}))
        assert (result.articles, result.scores, result.replaced) == (5, 5, 5)
        assert wh.con.execute("select count(*) from score_history").fetchone()[0] == 5
        hist = dict(wh.con.execute("select article_id, score from score_history").fetchall())
        assert hist == old
        new = dict(wh.con.execute("select article_id, score from scores").fetchall())
        assert new[arts[4].article_id] < old[arts[4].article_id]         # the unlabeled trap went down
        row = wh.con.execute("select model, feedback from scored_articles where article_id = ?", [arts[3].article_id]).fetchone()
        assert row == (f"{MODEL_NAME}+feedback2", False)
