import numpy as np
import pytest

from commentary_monitor.relevance import profiles as profiles_module
from commentary_monitor.config import ProfileConfig, SeedEssay, load_config
from commentary_monitor.errors import ConfigError
from commentary_monitor.filters import QueryError, muted_by, parse_query
from commentary_monitor.relevance.lexical import normalise, words
from commentary_monitor.relevance.profiles import build_profile, load_profiles, seed_body

from .conftest import SEEDS, write_config


def essays():
    return tuple(SeedEssay(p, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))


MEMORY = "How states use history and war remembrance in politics: commemorations, parades, memory laws, textbooks, monuments."


def test_seed_body_drops_the_author_box_and_related_links():
    text = "\n\n".join(["An essay paragraph about Moscow and Beijing. " * 8] * 4) + \
        "\n\n## About the author:\n\n**Dr X** (PhD) researches things at Leiden.\n\nRelated articles"
    assert "About the author" not in seed_body(text) and "Leiden" not in seed_body(text)
    assert seed_body("Short.\n\nReferences\n\n" + "Body. " * 100).startswith("Short.")   # a heading too early is kept


def test_normalisation_folds_plurals_and_possessives_and_phrases_stop_at_punctuation():
    assert [normalise(w) for w in ["Moscow’s", "commemorations", "memories", "heroes", "politics", "gas", "laws"]] == \
        ["moscow", "commemoration", "memory", "hero", "politics", "gas", "law"]
    assert words("memory laws, textbooks") == ["memory", "law", "", "textbook"]


def test_build_is_deterministic_and_terms_are_weighted_against_ordinary_english():
    cfg = ProfileConfig("sino-russian", essays(), "Relations between Moscow and Beijing.", include=("power of siberia",))
    a, b = build_profile(cfg), build_profile(cfg)
    assert a.version == b.version and a.terms == b.terms
    assert np.array_equal(a.passage_vectors, b.passage_vectors) and np.array_equal(a.centroid, b.centroid)
    texts = [t.text for t in a.terms]
    assert {"moscow", "beijing", "sino soviet"} <= set(texts[:40])
    assert not {"the", "said", "also", "people"} & set(texts)          # ordinary English carries no weight
    siberia = next(t for t in a.terms if t.text == "power siberia")
    assert siberia.source == "include" and siberia.weight == max(t.weight for t in a.terms)
    assert abs(float(np.linalg.norm(a.centroid)) - 1) < 1e-5
    assert a.reference["lexical"] > 0 and 0 < a.reference["semantic"] <= 1


def test_the_description_focuses_a_profile_whose_essay_ranges_wider():
    plain = build_profile(ProfileConfig("m", essays()[:1]))
    focused = build_profile(ProfileConfig("m", essays()[:1], MEMORY))
    assert focused.reference["focus"] > 0.5
    top = [t.text for t in focused.terms[:15]]
    assert "commemoration" in top or "remembrance" in top
    assert [t.text for t in plain.terms[:5]] != top[:5]
    # the seed passage about commemorations outweighs the ones about trade
    weights = dict(zip((p.text for p in focused.passages), focused.passage_weights))
    best = max(weights, key=weights.get)
    assert any(w in best.lower() for w in ("victory", "memory", "commemorat", "war"))


def test_version_changes_with_every_input():
    base = ProfileConfig("p", essays()[:1], "d")
    versions = {build_profile(c).version for c in (
        base,
        ProfileConfig("p", essays()[:1], "d2"),
        ProfileConfig("p", essays()[:1], "d", include=("x",)),
        ProfileConfig("p", essays()[:1], "d", exclude=("x",)),
        ProfileConfig("p", essays()[:1], "d", require="china"),
        ProfileConfig("p", (SeedEssay(essays()[0].path, essays()[0].text + "\n\nOne more paragraph."),), "d"),
    )}
    assert len(versions) == 6


def test_cache_is_used_and_rebuilt_when_a_seed_changes(tmp_path, monkeypatch):
    cfg = ProfileConfig("p", essays()[:1], "d")
    cache = tmp_path / "profiles"
    (first,) = load_profiles([cfg], cache)
    assert [f.name for f in cache.iterdir()] == [f"p-{first.version}.npz"]

    def no_build(*a, **k):
        raise AssertionError("rebuilt although nothing changed")

    monkeypatch.setattr(profiles_module, "build_profile", no_build)
    (again,) = load_profiles([cfg], cache)
    assert again.version == first.version and again.terms == first.terms
    assert np.array_equal(again.centroid, first.centroid) and again.passages == first.passages
    monkeypatch.undo()
    edited = ProfileConfig("p", (SeedEssay(cfg.seeds[0].path, cfg.seeds[0].text.replace("Beijing", "Peking")),), "d")
    (rebuilt,) = load_profiles([edited], cache)
    assert rebuilt.version != first.version
    assert [f.name for f in cache.iterdir()] == [f"p-{rebuilt.version}.npz"]   # the stale entry is gone


def test_require_queries_and_exclude_terms():
    q = parse_query('(china OR beijing) AND (russia OR "the kremlin") NOT taiwan')
    assert q.matches("Beijing and the Kremlin agree") and not q.matches("Beijing, the Kremlin and Taiwan")
    assert not q.matches("China alone")
    assert parse_query("commemorat* war").matches("Commemorations of the war")
    for bad in ("", "(china", "china AND", "OR russia"):
        with pytest.raises(QueryError):
            parse_query(bad)
    assert muted_by("The chess Olympiad in Budapest", ("olympiad", "football")) == "olympiad"
    assert muted_by("Moscow and Beijing", ("olympiad",)) is None


def test_config_reads_filters_and_refuses_a_broken_query(tmp_path):
    extra = '[profiles.p]\nseeds = ["seeds/chang-*.txt"]\ninclude = ["Power of Siberia"]\nexclude = ["chess"]\nrequire = "china AND russia"\n'
    cfg = load_config(write_config(tmp_path, [], [], extra))
    p = next(p for p in cfg.profiles if p.name == "p")
    assert p.include == ("Power of Siberia",) and p.exclude == ("chess",) and p.require == "china AND russia"
    (tmp_path / "config" / "monitor.toml").unlink()
    bad = write_config(tmp_path, [], [], '[profiles.p]\nseeds = ["seeds/chang-*.txt"]\nrequire = "(china"\n')
    with pytest.raises(ConfigError, match=r"profiles\.p\.require: not a valid query"):
        load_config(bad)


def test_version_changes_with_the_build_parameters(monkeypatch):
    cfg = ProfileConfig("p", essays()[:1], "d")
    before = profiles_module.profile_digest(cfg, "m")
    monkeypatch.setattr(profiles_module, "DESCRIPTION_TEMPERATURE", 0.5)
    assert profiles_module.profile_digest(cfg, "m") != before
    assert profiles_module.profile_digest(cfg, "other-model") != profiles_module.profile_digest(cfg, "m")


def test_a_long_include_phrase_matches_as_its_word_pairs():
    from commentary_monitor.relevance.scoring import Scorer

    plain = build_profile(ProfileConfig("p", essays()[1:]))
    boosted = build_profile(ProfileConfig("p", essays()[1:], include=("Northern Sea Route",)))
    assert {"northern sea", "sea route"} <= {t.text for t in boosted.terms if t.source == "include"}
    text = ("Cargo on the Northern Sea Route grew again this summer. " * 3 + "Ports and ships were busy. " * 6)
    before = Scorer([plain]).score_text("Shipping", text)[0]
    after = Scorer([boosted]).score_text("Shipping", text)[0]
    assert after.features["lexical"] > before.features["lexical"] and "sea route" in after.terms


def test_description_words_count_by_the_information_they_carry_beyond_an_average_word():
    from commentary_monitor.relevance.lexical import description_weights, english_entropy

    assert 6.0 < english_entropy() < 9.0          # nats a word of running English carries on average
    words = description_weights("How states use history: commemorations, memorials and war remembrance as statecraft.")
    assert "use" not in words and words["state"] < 0.1       # no (or hardly) more informative than an average word
    assert words["statecraft"] > words["commemoration"] > words["history"] > 0
    assert description_weights("use state", baseline=0.0).keys() == {"use", "state", "use state"}


def test_the_semantic_evidence_leaves_out_what_all_english_shares():
    from commentary_monitor.relevance.semantic import common_directions, default_encoder, without_common

    prof = build_profile(ProfileConfig("p", essays(), "Commemorations, victory parades and memorials as statecraft."))
    common = np.asarray(prof.reference["common"], dtype=np.float32)
    assert np.allclose(common, common_directions(default_encoder()), atol=1e-5)
    assert np.allclose(prof.centroid @ common.T, 0, atol=1e-4)
    seeds = without_common(prof.passage_vectors[:-1], common)
    assert abs(float(np.dot(prof.passage_weights[:-1] / prof.passage_weights[:-1].sum(), seeds @ prof.centroid))
               - prof.reference["semantic"]) < 1e-4
