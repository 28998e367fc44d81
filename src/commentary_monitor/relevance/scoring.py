"""Relevance scores: (article, profile) -> score in [0, 1] with an explanation.

Version 7 is hybrid and passage-based. The article is split into passages (the title
joins the first). For each profile:

- **lexical evidence**: each passage's weight of the profile's distinctive terms and
  phrases (see :mod:`.lexical`), averaged over the article and divided by the level
  of a typical seed passage, so the figure says "how much of this article reads like
  the essays" whatever the profile;
- **semantic evidence**: each passage's cosine to the profile's centroid (static
  MiniLM embeddings, see :mod:`.semantic`; both without the directions every English
  text shares, :func:`.semantic.common_directions`), averaged, as the mean of the best two, and
  for the lead (the title and first passage: what a piece says it is about), each
  divided by the seed passages' own level;
- **description evidence**: the same two kinds against the description alone, the
  user's own words for the theme: its words weighted by the information they carry beyond an average English word
  (``description_lexical``) and the passages' mean cosine to its embedding
  (``description``), relative to the seed passages' levels. Essays range wider than
  their theme (and a centroid of many passages blurs it); the description does not. A
  profile without a description lets the essays speak for it (the figures are then
  the lexical and semantic ones);
- **relationship evidence**, for a profile whose description names two sides that its
  essays pair ("Moscow and Beijing"; see :func:`.lexical.relationship_sides`): of the
  passages naming either side, the share naming both (``pairs``), and how much a third
  party is named against the side the article names less (``others``, with ``balance``
  between the two sides: :func:`.lexical.third_party_and_balance`): a piece about
  India's dealings with both is mainly about India; and how often those passages
  speak of the two as a pair ("between", "both governments", "reciprocal": ``dyad``, see
  :func:`.lexical.dyadic_rate`): a piece comparing two economies names both sides
  without ever relating them; and how much of the whole article names them (``reach``,
  ``reach_both``): a piece mainly about something else relates them in one paragraph.

A logistic function with a few global weights (:data:`CALIBRATION`, fitted once on
real pages and the development set and checked by cross-validation, see docs/scoring.md)
turns them into a score in [0, 1]; the profile's threshold decides relevance. The
article's embedding is only computed when the lexical and relationship evidence leave the article
a chance to reach a threshold: most articles from a general feed are decided by the
cheap first stage. ``exclude`` terms mute an article, a failed ``require`` query caps
its score below half the threshold, and a profile's feedback model (see
:mod:`.feedback`) adds its learned correction: articles like one the reader labeled move
toward the label.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from commentary_monitor.filters import muted_by
from commentary_monitor.relevance.foreign_names import country_of, country_phrases, english_name_words, side_regions
from commentary_monitor.relevance.lexical import (ACTOR_FOLD, Vocabulary, is_caseless, length_damping, name_mentions,
                                                  lowercased_names, normalise, placed_names, proper_names, recased, side_mentions,
                                                  term_counts, third_party_and_balance)
from commentary_monitor.relevance.crosslingual import (FOREIGN_LANGUAGE, MEANING_LANGUAGES, RUSSIAN_LETTERS, UNTRAINED_LANGUAGES,
                                                       ForeignSides, as_russian, cjk_passages, cyrillic_language, foreign_mentions,
                                                       foreign_third_party_and_balance, latin_language, script_of)
from commentary_monitor.relevance.multilingual import MEANING_CHARS, MEANING_PASSAGES
from commentary_monitor.relevance.profiles import Profile, split_passages
from commentary_monitor.relevance.semantic import without_common

MODEL_NAME = "hybrid-v39"
MAX_ARTICLE_CHARS = 40_000
LEXICAL_FLOOR = 0.01
SEMANTIC_BOUND = 1.15    # the cheap stage assumes at most this (relative) semantic evidence
SEMANTIC_LOW = -0.5      # ... and at least this (an unrelated text: relative cosines seldom go below -0.4)
MEANING_GATE = (0.2, 0.9)    # a topic profile's English article with a probability in [low, high) is also read
                             # for its description's meaning (the multilingual encoder): ~3% of a news feed's
                             # pages; below, it is far from the threshold, above, it is taken whatever it adds
# z = sum of weight * feature over BASE_FEATURES (lexical ones as log(x + floor); cosines and
#     evidence relative to a seed passage's) + bias; for a profile without sides (a topic
#     profile) + the topic_ corrections of the same weights and topic_bias (see base_logit);
#     for a relationship profile (see relation_logit) + relation + others * third-party share
#     + pairs * share of the passages naming either side that name both + dyad * pair phrases
#     per such passage + joint * log(1 + passages naming both) + close * share of the
#     sentences naming either that name both + contrast * comparison words per sentence
#     naming both + reach * share of all passages naming either side + reach_both * share
#     naming both + linked * share of the sentences naming both that relate them + balance *
#     the less-named side's mentions over the more-named one's. One
#     logistic regression pooled over the relationship profiles' rows (sino-russian
#     shipped and from its essays alone), then the topic corrections on the
#     topic profile's rows beside it, on the real pages of eval/real, the dev set and the news pages
#     (bench/calibrate.py; docs/scoring.md gives the figures under folds grouped by outlet).
#     multilingual, multilingual_bias: a topic profile's Russian or Chinese article (see
#     .multilingual), logit = multilingual * closeness + bias, fitted on the English real pages'
#     memory-politics grades (bench/multilingual_topic.py) and measured on Russian and Chinese ones.
#     multilingual_other, multilingual_other_bias: the same for an article in a language the
#     model was not trained on (crosslingual.UNTRAINED_LANGUAGES; the Slavic ones read in Russian
#     letters), fitted on the graded Cyrillic pages of cyr-a and cyr-b (bench/untrained_topic.py).
#     topic_meaning, topic_meaning_bias: a topic profile's English article whose probability is in
#     MEANING_GATE, z += topic_meaning * its opening's closeness to the description in that
#     model + topic_meaning_bias, fitted beside the rest on rpE-rpN and the dev set
#     (bench/topic_meaning.py).
CALIBRATION = {"lexical": -0.82, "semantic": -1.61, "top": -1.20, "lead": 0.49, "description": 0.37,
               "description_lexical": 0.66, "description_top": -0.35, "lexical_top": 1.04, "bias": -0.92,
               "relation": -0.46, "others": -2.76, "pairs": 0.16, "dyad": 0.60, "joint": 0.65, "close": 2.15,
               "contrast": -0.86, "reach": 0.98, "reach_both": 1.47, "linked": 1.87, "balance": 1.46,
               "topic_lexical": -0.03, "topic_semantic": 0.56, "topic_top": 0.79, "topic_lead": -0.15,
               "topic_description": 2.13, "topic_description_lexical": 1.28, "topic_description_top": 1.71,
               "topic_lexical_top": -0.43, "topic_bias": -0.06,
               "multilingual": 6.02, "multilingual_bias": -6.84, "topic_meaning": 1.59, "topic_meaning_bias": -1.66,
               "multilingual_other": 3.69, "multilingual_other_bias": -3.30}


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's English name from its code (CLDR): 'de' -> 'German'; the code when CLDR has none."""
    from babel import Locale

    return Locale.parse("en").languages.get(code, code)


MUTED_SCORE_FACTOR = 0.05
ACTOR_WORDS = 3000   # the words whose actors say whom an article is about (a book's first chapter)
OTHER_ACTOR_NOTE = 0.5   # a third party named as often as the less-named side: the explanation says so
COMPARISON_NOTE = 0.5    # comparison words per sentence naming both sides the explanation mentions


@dataclass(frozen=True)
class Score:
    profile: str
    score: float
    relevant: bool
    explanation: str          # one line for people
    terms: tuple[str, ...]
    article_passage: str
    seed_passage: str
    seed_source: str
    raw: float
    profile_version: str = ""
    model: str = MODEL_NAME
    features: dict = field(default_factory=dict)


def sigmoid(z: float) -> float:
    if z < -60:
        return 0.0
    if z > 60:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


def calibrate(raw: float) -> float:
    """The score of a calibrated log-odds value, rounded for storage."""
    return round(sigmoid(raw), 6)


def _clip(text: str, n: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


@dataclass
class ArticleView:
    """An article prepared once for all profiles: passages, their term counts and
    (lazily) their embeddings."""
    title: str
    text: str
    passages: list[str]
    counts: list
    lengths: list[int]
    vectors: np.ndarray | None = None
    script: str = "latin"     # 'cyrillic' or 'cjk' for an article the English profiles cannot read
    language: str | None = None     # the language the script does not tell, when it is read: not English, not Russian
                                    # (crosslingual.latin_language, cyrillic_language)
    _actors: Counter | None = None
    _head: str | None = None
    _names: Counter | None = None
    _lexical: tuple | None = None     # (scorer, its per-profile evidence): see Scorer._evidence

    @property
    def actors(self) -> Counter:
        """The actors the article names (see :func:`.lexical.actor_mentions`), all through
        it: a piece about a third country between the two sides keeps naming it. The title
        is left out: headline capitals are not names."""
        if self._actors is None:
            self._actors = Counter()
            for w, n in self.names.items():
                self._actors[w[:ACTOR_FOLD]] += n
        return self._actors

    @property
    def names(self) -> Counter:
        """The names the article writes, whole (see :func:`.lexical.name_mentions`); the actors
        are their first letters."""
        if self._names is None:
            self._names = name_mentions(self.head)
        return self._names

    @property
    def head(self) -> str:
        """The article's first :data:`ACTOR_WORDS` words, where whom it is about is read."""
        if self._head is None:
            self._head = " ".join(self.text.split(maxsplit=ACTOR_WORDS)[:ACTOR_WORDS])
        return self._head

    @classmethod
    def of(cls, title: str, text: str, vocabulary: Vocabulary | None = None) -> "ArticleView":
        """The article's view; with a ``vocabulary`` (a scorer's), only its terms are counted."""
        text = text[:MAX_ARTICLE_CHARS]
        script = script_of(f"{title} {text[:2000]}")
        language = latin_language(f"{title}\n{text}") if script == "latin" else \
            cyrillic_language(f"{title}\n{text}") if script == "cyrillic" else None
        if script == "latin" and vocabulary is not None and vocabulary.names and is_caseless(text):
            names = vocabulary.names | english_name_words()
            text = recased(text, names)
            title = title if any(c.isupper() for c in title) else recased(title, names)
        elif script == "latin" and vocabulary is not None and vocabulary.side_names:
            names = lowercased_names(f"{title}\n{text}", vocabulary.side_names)
            if names:     # a side's name written in lower case on purpose ('russia'): still the side's
                text, title = recased(text, names), recased(title, names)
        if script in ("cjk", "kana"):     # Chinese and Japanese: no spaces to count words by
            passages = cjk_passages(text) or [title or ""]
        else:
            # Runs of sentences, 80-160 words, across paragraph breaks: an extracted page has one
            # paragraph a line, a pasted text blank lines between them, and both read alike.
            passages = split_passages(text, min_words=12, max_words=160, paragraphs=False) or [
                " ".join(text[:2000].split()) or title or ""]
        head = " ".join(title.split())
        if head and not passages[0].startswith(head):     # extracted text often opens with the headline
            passages[0] = f"{head}. {passages[0]}".strip()
        return cls(title, text, passages, [term_counts(p, vocabulary) for p in passages],
                   [len(p.split()) for p in passages], script=script, language=language)

    @property
    def embedding(self) -> np.ndarray:
        """The article's embedding: the mean of its passage embeddings, normalised."""
        v = self.vectors.mean(axis=0)
        return v / (np.linalg.norm(v) or 1.0)


BASE_FEATURES = ("lexical", "semantic", "top", "lead", "description", "description_lexical", "description_top",
                 "lexical_top")
LOG_FEATURES = frozenset({"lexical", "description_lexical", "lexical_top"})    # enter the logit as log(x + floor)


def base_terms(feats: dict) -> list[float]:
    """The base features as the logit reads them (:data:`BASE_FEATURES` order)."""
    return [math.log(feats[k] + LEXICAL_FLOOR) if k in LOG_FEATURES else feats[k] for k in BASE_FEATURES]


TOPIC_FEATURES = tuple(f"topic_{k}" for k in BASE_FEATURES)    # a topic profile's own corrections
RELATION_FEATURES = ("others", "pairs", "dyad", "joint", "close", "contrast", "reach", "reach_both", "linked",
                     "balance")    # a relationship profile's own


def base_logit(feats: dict, cal: dict = CALIBRATION) -> float:
    """The topical evidence's share of the log-odds. A profile without sides (a *topic*
    profile, such as memory-politics) adds its own correction to each weight (the
    ``topic_`` weights): its topical evidence is all it has, where a relationship profile
    weighs it beside whether the article discusses the two sides together."""
    terms = base_terms(feats)
    z = sum(cal.get(k, 0.0) * x for k, x in zip(BASE_FEATURES, terms)) + cal["bias"]
    if "pairs" not in feats:
        z += sum(cal.get(k, 0.0) * x for k, x in zip(TOPIC_FEATURES, terms)) + cal.get("topic_bias", 0.0)
    return z


def relation_logit(feats: dict, cal: dict = CALIBRATION) -> float:
    """What a relationship profile adds: whether the article's opening is about the two
    sides or about a third party (``others``), how many of its passages name both
    sides (``pairs``), how often they speak of the two as a pair (``dyad``) and how
    often they set the two side by side in comparison (``contrast``) or relate them in a
    sentence (``linked``: "Russian crude to China"), and how much of
    the whole article names them (``reach``, ``reach_both``). Nothing for other
    profiles (their features carry no ``pairs``)."""
    if "pairs" not in feats:
        return 0.0
    return cal.get("relation", 0.0) + sum(cal.get(k, 0.0) * feats.get(k, 0.0) for k in RELATION_FEATURES)


def logit(feats: dict, cal: dict = CALIBRATION) -> float:
    """The calibrated log-odds of an article's evidence (see :data:`CALIBRATION`)."""
    return base_logit(feats, cal) + relation_logit(feats, cal)


SEMANTIC_FEATURES = ("semantic", "top", "lead", "description", "description_top")


def multilingual_logit(feats: dict, cal: dict = CALIBRATION) -> float:
    """The log-odds of a topic profile's article read by the multilingual model (stage
    "multilingual"): its closeness to the description, weighed by the weights of a language
    the model was trained on (fitted on English pages) or of one it was not
    (:data:`.crosslingual.UNTRAINED_LANGUAGES`: fitted on Cyrillic pages, bench/untrained_topic.py)."""
    if feats.get("language") in UNTRAINED_LANGUAGES:
        return cal["multilingual_other"] * feats["multilingual"] + cal["multilingual_other_bias"]
    return cal["multilingual"] * feats["multilingual"] + cal["multilingual_bias"]


def needs_semantics(feats: dict, threshold: float, cal: dict = CALIBRATION, description_bound: float = SEMANTIC_BOUND) -> bool:
    """Whether the article could reach ``threshold`` with the most favourable semantic
    evidence, given its lexical and relationship evidence (``feats``, already known); if
    not, the cheap stage decides. The semantic features are taken where their weights
    together score highest (:func:`favourable_semantics`)."""
    topic = "pairs" not in feats
    weights = tuple(cal.get(k, 0.0) + (cal.get(f"topic_{k}", 0.0) if topic else 0.0) for k in SEMANTIC_FEATURES)
    best = dict(feats)
    best.update(zip(SEMANTIC_FEATURES, favourable_semantics(weights, description_bound)))
    return sigmoid(logit(best, cal)) >= min(threshold, 0.5) * 0.2


@lru_cache(maxsize=64)
def favourable_semantics(weights: tuple, description_bound: float) -> tuple:
    """The semantic features (:data:`SEMANTIC_FEATURES` order) that score highest under
    ``weights``, each between as low as an unrelated text gets (:data:`SEMANTIC_LOW`) and as
    high as a seed passage itself (1.0 relative to the centroid, ``description_bound`` to the
    description, with margin), as they can occur together: the mean of the passages is at most
    the best two's (``semantic`` <= ``top``, ``description`` <= ``description_top``), and the
    best two are at least halfway from the lowest to the lead (2 ``top`` >= ``lead`` + low).
    The fitted weights of correlated evidence can have either sign, and each feature alone at
    its favourable end would allow pairs no article has (a lead passage at the seed level with
    the best two at the unrelated one). A linear function is highest at a vertex, whose values
    are the bounds and the midpoint between them."""
    lo, hi = SEMANTIC_LOW, SEMANTIC_BOUND
    w_s, w_t, w_l, w_d, w_dt = weights
    vals = (lo, (lo + hi) / 2, hi)
    s, t, l = max(((s, t, l) for s in vals for t in vals for l in vals if s <= t and 2 * t >= l + lo),
                  key=lambda v: w_s * v[0] + w_t * v[1] + w_l * v[2])
    d, dt = max(((d, dt) for d in (lo, description_bound) for dt in (lo, description_bound) if d <= dt),
                key=lambda v: w_d * v[0] + w_dt * v[1])
    return s, t, l, d, dt


class Scorer:
    """Scores articles against a fixed set of profiles (built once per run)."""

    model = MODEL_NAME

    def __init__(self, profiles, encoder=None, feedback: dict | None = None, calibration: dict | None = None,
                 cheap_stage: bool = True) -> None:
        from commentary_monitor.relevance.semantic import default_encoder

        self.profiles = tuple(profiles)
        self.encoder = encoder or default_encoder()
        self.feedback = dict(feedback or {})        # profile name -> FeedbackModel
        self.calibration = dict(calibration or CALIBRATION)
        self.cheap_stage = cheap_stage
        self._weights = [p.term_weights for p in self.profiles]
        self._description_weights = [p.reference.get("description_terms") for p in self.profiles]
        self._seed_index: dict[int, tuple] = {}
        self._multilingual_match: dict[int, object] = {}     # profile -> its DescriptionMatch (or None), made on first need
        # a relationship's sides, with the own actors that speak for one ('Putin', 'Xi')
        self._sides = [tuple(tuple(s) + tuple(x) for s, x in zip(p.reference["sides"], p.reference.get("side_actors") or ((), ())))
                       if p.reference.get("sides") else None for p in self.profiles]
        # the names an article cannot place on a side: the profile's own actors and third countries
        self._known = [frozenset(p.reference.get("actors", ())) | frozenset(p.reference.get("countries") or ())
                       for p in self.profiles]
        # a relationship's sides' own regions and cities, whole words ('khabarovsk', 'heilongjiang')
        self._regions = [side_regions(s, k) if s else None for s, k in zip(self._sides, self._known)]
        # per profile: the directions its semantic evidence leaves out, and its description's
        # vector without them (None without a description)
        self._semantic = []
        for p in self.profiles:
            common = np.asarray(p.reference["common"], dtype=np.float32) if p.reference.get("common") else None
            dvec = p.description_vector if "description" in p.reference else None
            self._semantic.append((common, without_common(dvec, common)[0] if dvec is not None else None))
        # Every profile's terms and description words in one table, term -> ((slot, weight),
        # ...), slot 2i profile i's terms, 2i+1 its description's: a passage's counts are
        # walked once for all of them (see _evidence).
        merged: dict[str, list] = {}
        for i, (tw, dw) in enumerate(zip(self._weights, self._description_weights)):
            for slot, weights in ((2 * i, tw), (2 * i + 1, dw or {})):
                for t, w in weights.items():
                    if w:
                        merged.setdefault(t, []).append((slot, w))
        self._merged = {t: tuple(e) for t, e in merged.items()}
        # an article's passages count only these; a text written without capitals gets the
        # names the profiles' texts capitalise back (and the countries' and languages': ArticleView.of),
        # and any text the sides' names it writes in lower case on purpose ('russia')
        names = proper_names(x.text for p in self.profiles for x in p.passages)
        on_sides = {a for s in self._sides if s for side in s for a in side}
        self.vocabulary = Vocabulary.of(self._merged, names,
                                        {n for n in names if n.isalpha() and normalise(n)[:ACTOR_FOLD] in on_sides})

    def _evidence(self, view: ArticleView) -> list[tuple[np.ndarray, list, np.ndarray]]:
        """Per profile: each passage's lexical evidence (:func:`.lexical.passage_evidence`
        of the profile's terms, relative to a seed passage's level), the terms it matched,
        and each passage's evidence of the description's words; computed once per article.
        (passage_evidence for every profile at once: the same sums, one walk of the counts.)"""
        if view._lexical is not None and view._lexical[0] is self:
            return view._lexical[1]
        n_profiles = len(self.profiles)
        sums = np.zeros((len(view.counts), 2 * n_profiles))
        matched: list[list[list]] = [[[] for _ in view.counts] for _ in range(n_profiles)]
        table = self._merged.get
        log = math.log
        for j, counts in enumerate(view.counts):
            acc = [0.0] * (2 * n_profiles)
            for t, n in counts.items():
                entry = table(t)
                if entry is None:
                    continue
                f = 1.0 + log(n)    # repetition damped, as passage_evidence does
                for slot, w in entry:
                    c = w * f
                    acc[slot] += c
                    if not slot & 1:
                        matched[slot >> 1][j].append((t, c))
            sums[j] = acc
        sums *= np.array([length_damping(n) for n in view.lengths])[:, None]
        out = []
        for i, prof in enumerate(self.profiles):
            out.append((sums[:, 2 * i] / (prof.reference.get("lexical") or 1.0), matched[i], sums[:, 2 * i + 1]))
        view._lexical = (self, out)
        return out

    def _seed_postings(self, i: int) -> tuple[dict[str, list[tuple[int, float]]], np.ndarray]:
        """Profile ``i``'s seed passages as an inverted index: term -> [(passage, 1 + log
        count)], and each passage's length damping (as :func:`.lexical.passage_evidence`)."""
        if i not in self._seed_index:
            postings: dict[str, list[tuple[int, float]]] = {}
            damping = []
            for j, passage in enumerate(self.profiles[i].passages):
                for t, n in term_counts(passage.text).items():
                    postings.setdefault(t, []).append((j, 1.0 + math.log(n)))
                damping.append(length_damping(len(passage.text.split())))
            self._seed_index[i] = (postings, np.asarray(damping))
        return self._seed_index[i]

    def _closest_seed_by_terms(self, i: int, shared: dict[str, float]) -> int:
        """The seed passage with the most lexical evidence of the terms ``shared`` (term ->
        weight): :func:`.lexical.passage_evidence` of each, through the inverted index."""
        postings, damping = self._seed_postings(i)
        acc = np.zeros(len(damping))
        for t, w in shared.items():
            if w:
                for j, f in postings.get(t, ()):
                    acc[j] += w * f
        return int(np.argmax(acc * damping))

    @staticmethod
    def _closest_seed(prof: Profile, vector: np.ndarray) -> int:
        """The seed passage closest to an article's passage, by cosine; the description
        (the profile's last passage, when it has one) when it is closer than every seed
        passage: then no essay passage speaks for the match, and the explanation says so
        rather than quoting an unrelated one."""
        sims = prof.passage_vectors @ vector
        return int(np.argmax(sims))

    def score_articles(self, articles: list) -> list[list[Score]]:
        """Scores of articles (anything with ``title`` and ``text``), one list per article."""
        return self.score_many([(a.title or "", a.text) for a in articles])

    def score_text(self, title: str, text: str) -> list[Score]:
        """Scores of one article against every profile, in profile order."""
        return self.score_many([(title, text)])[0]

    def score_many(self, articles: list[tuple[str, str]]) -> list[list[Score]]:
        return [[self._score(view, i) for i in range(len(self.profiles))]
                for view in (ArticleView.of(t, x, self.vocabulary) for t, x in articles)]

    def features(self, view: ArticleView, i: int) -> tuple[dict, np.ndarray, list, np.ndarray | None]:
        """The evidence of one article for profile ``i``: the feature values, the
        per-passage lexical scores and matches, and the per-passage cosines (or None
        when the cheap stage decided)."""
        prof, ref = self.profiles[i], self.profiles[i].reference
        if view.script != "latin" or view.language and (ref.get("pairs") or view.language in MEANING_LANGUAGES):
            # (a topic profile reads a language the multilingual model does not as English: its
            # shared words and names, 'Stalin', 'memorial', are all it has)
            return self._foreign_features(view, i)
        lex, matched, d = self._evidence(view)[i]
        feats = {"lexical": float(lex.mean()) if lex.size else 0.0, "semantic": 0.0, "top": 0.0, "lead": 0.0,
                 "description": 0.0, "description_top": 0.0,
                 "lexical_top": float(np.sort(lex)[::-1][:2].mean()) if lex.size else 0.0}
        if self._description_weights[i]:
            feats["description_lexical"] = float(d.mean()) / ref["description_lexical"] if d.size else 0.0
        else:
            feats["description_lexical"] = feats["lexical"]     # no description: the essays speak for it
        if ref.get("pairs"):
            sides = self._sides[i]
            placed = placed_names(view.head, sides, self._known[i])
            if placed[0] or placed[1]:      # the companies and officials the article itself puts on a side
                sides = (sides[0] + tuple(sorted(placed[0])), sides[1] + tuple(sorted(placed[1])))
                feats["placed"] = sorted({*placed[0].values(), *placed[1].values()})
            regions, whole = self._regions[i], None
            if regions and (regions[0] or regions[1]):
                here = (regions[0] & view.names.keys(), regions[1] & view.names.keys())
                if here[0] or here[1]:      # the sides' own regions and cities the article names
                    whole = here
                    feats["regions"] = sorted(here[0] | here[1])
            feats["others"], feats["balance"] = third_party_and_balance(
                view.actors, frozenset(ref["actors"]), sides, ref.get("countries"), view.names, country_of,
                country_phrases(view.head), whole)
            m = side_mentions(view.passages, sides, whole)
            feats["pairs"], feats["dyad"], feats["joint"] = m.pairs, m.dyad, math.log1p(m.both)
            feats["close"], feats["contrast"], feats["linked"] = m.close, m.contrast, m.linked
            feats["reach"], feats["reach_both"] = m.reach, m.reach_both
            if m.contrastive:
                feats["comparison_words"] = m.contrastive
            feats["sides_named"] = [m.both, m.either]
            if m.sentences_both:
                feats["sides_related"] = [m.related, m.sentences_both]
            if m.phrases:
                feats["pair_phrases"] = list(m.phrases[:6])
        if not self.cheap_stage or prof.name in self.feedback or needs_semantics(
                feats, prof.threshold, self.calibration, SEMANTIC_BOUND * ref.get("description_max", 1.0)):
            if view.vectors is None:
                view.vectors = self.encoder.encode(view.passages)
            common, dvec = self._semantic[i]
            vectors = without_common(view.vectors, common)
            sims = (vectors @ prof.centroid) / (ref.get("semantic") or 1.0)
            feats["semantic"] = float(sims.mean())
            feats["top"] = float(np.sort(sims)[::-1][:2].mean())
            feats["lead"] = float(sims[0])
            if dvec is not None:
                dsims = (vectors @ dvec) / ref["description"]
                feats["description"] = float(dsims.mean())
                feats["description_top"] = float(dsims.max())
            else:
                feats["description"], feats["description_top"] = feats["semantic"], feats["top"]
            feats["stage"] = "hybrid"
        else:
            sims = None
            feats["stage"] = "lexical"
        return feats, lex, matched, sims

    def _foreign_features(self, view: ArticleView, i: int) -> tuple[dict, np.ndarray, list, None]:
        """The evidence of an article in a script the profile's English terms and model cannot
        read. What travels is who it is about: for a relationship profile whose sides have
        names in the article's language (see :mod:`.crosslingual`), the relationship evidence
        is measured as for English, and the topical evidence, which cannot be, is taken at the
        level of a seed passage (1.0) when the article names a side at all (else 0): the sides
        decide. Any other profile sees no evidence."""
        ref = self.profiles[i].reference
        lang = view.language or FOREIGN_LANGUAGE.get(view.script)
        names = (ref.get("foreign_sides") or {}).get(lang) if lang else None
        n = len(view.passages)
        if not names:
            feats = {k: 0.0 for k in BASE_FEATURES}
            feats["stage"] = "unreadable"
            if lang:
                feats["language"] = lang
            match = self._multilingual(i) if lang in MEANING_LANGUAGES and not ref.get("pairs") else None
            if match is not None:
                # a topic profile: its description's meaning, in a multilingual model
                # (a Slavic language the model was not trained on, in Russian letters: only the
                # passages it reads, ~1.5 ms each)
                passages = (as_russian(p, lang, view.script == "latin") for p in view.passages)
                feats.update(multilingual=match.closeness(passages), stage="multilingual", language=lang)
            return feats, np.zeros(n), [[] for _ in range(n)], None
        sides = ForeignSides(*map(tuple, names))
        m = foreign_mentions(view.passages, sides, lang)
        # an article naming neither side is not about them: no evidence at all
        feats = {k: 1.0 if m.either else 0.0 for k in BASE_FEATURES}
        # its relating words are not read: a sentence naming both sides relates them at the
        # rate the profile's essays' sentences do
        linked = ref.get("linked", 0.0) * m.sentences_both / (m.sentences_both + 1)
        others, balance = foreign_third_party_and_balance(view.text, sides, lang)
        feats.update(others=others, balance=balance, pairs=m.pairs, dyad=0.0, joint=math.log1p(m.both),
                     close=m.close, contrast=0.0, linked=linked, reach=m.reach, reach_both=m.reach_both,
                     sides_named=[m.both, m.either], stage="crosslingual", language=lang)
        return feats, np.zeros(n), [[] for _ in range(n)], None

    def _multilingual(self, i: int):
        """Profile ``i``'s description in the multilingual model (:mod:`.multilingual`), made
        when a topic profile first meets an article in Russian or Chinese, or an English one
        within :data:`MEANING_GATE`; None without a description."""
        if i not in self._multilingual_match:
            from commentary_monitor.relevance.multilingual import profile_match

            self._multilingual_match[i] = profile_match(self.profiles[i])
        return self._multilingual_match[i]

    def log_odds(self, view: ArticleView, i: int, feats: dict) -> float:
        """The calibrated log-odds of the article's evidence for profile ``i`` (``feats``, from
        :meth:`features`), before any feedback: for a topic profile's English article within
        :data:`MEANING_GATE`, its opening's closeness to the description in the multilingual
        model too (recorded in ``feats['meaning']``)."""
        cal = self.calibration
        if feats["stage"] == "multilingual":
            return multilingual_logit(feats, cal)
        if feats["stage"] == "lexical":
            return min(logit(feats, cal), math.log(0.01))      # decided: far below any threshold
        raw = logit(feats, cal)
        if "pairs" not in feats and feats["stage"] == "hybrid" and MEANING_GATE[0] <= sigmoid(raw) < MEANING_GATE[1]:
            match = self._multilingual(i)
            if match is not None:
                # a topic profile's article it might take: its description's meaning too
                feats["meaning"] = match.closeness(view.passages, MEANING_PASSAGES, MEANING_CHARS)
                raw += cal["topic_meaning"] * feats["meaning"] + cal["topic_meaning_bias"]
        return raw

    def _score(self, view: ArticleView, i: int) -> Score:
        prof = self.profiles[i]
        feats, lex, matched, sims = self.features(view, i)
        raw = self.log_odds(view, i, feats)
        model = self.feedback.get(prof.name)
        if model is not None and view.vectors is None:
            model = None      # an article the profile cannot embed (another script): no feedback model applies
        if model is not None:
            correction = model.correction(feats, view.embedding)
            feats["feedback"] = round(correction, 4)
            driver = model.driver(view.embedding) if abs(correction) >= 0.005 else None
            if driver:
                feats["feedback_like"] = [_clip(driver[0], 80), driver[1]]
            raw += correction
        value = calibrate(raw)
        notes = []
        mute = muted_by(f"{view.title}\n{view.text}", prof.exclude) if prof.exclude else None
        if mute:
            value = round(value * MUTED_SCORE_FACTOR, 6)
            notes.append(f"muted by exclude term {mute!r}")
            feats["muted_by"] = mute
        if prof.require is not None and not prof.require.matches(f"{view.title}\n{view.text}"):
            value = min(value, round(prof.threshold / 2, 6))
            notes.append("does not match the require query")
            feats["require_failed"] = True
        # The passage that carries the profile best, and the seed passage closest to it.
        per_passage = lex / (lex.max() or 1.0)
        if sims is not None:
            per_passage = per_passage + sims
        best = int(np.argmax(per_passage)) if per_passage.size else 0
        contrib: dict[str, float] = {}
        for m in matched:
            for t, c in m:
                contrib[t] = contrib.get(t, 0.0) + c
        terms = tuple(t for t, _ in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
        seed = None
        if prof.passages and prof.passage_vectors.size and view.script == "latin" and not view.language:
            if view.vectors is None:
                # decided by the cheap stage: the closest seed passage by the terms they share
                seed = prof.passages[self._closest_seed_by_terms(i, dict(matched[best]))]
            else:
                seed = prof.passages[self._closest_seed(prof, view.vectors[best])]
        relevant = value >= prof.threshold
        explanation = (
            f"{'relevant' if relevant else 'below threshold'} ({value:.2f} vs {prof.threshold:.2f}); "
            f"terms: {', '.join(terms[:6]) or 'none'}"
            + (f"; both sides named together in {feats['sides_named'][0]} of the {feats['sides_named'][1]} passages "
               f"naming either" if "sides_named" in feats else "")
            + (f"; related to each other in {feats['sides_related'][0]} of the {feats['sides_related'][1]} sentences "
               f"naming both" if "sides_related" in feats else "")
            + (f"; spoken of as a pair: {', '.join(feats['pair_phrases'])}" if feats.get("pair_phrases") else "")
            + (f"; names the article puts on one side or the other: {', '.join(feats['placed'][:6])}"
               if feats.get("placed") else "")
            + (f"; the sides' own regions and cities it names: {', '.join(w.capitalize() for w in feats['regions'][:6])}"
               if feats.get("regions") else "")
            + (f"; the two sides set side by side rather than related ({feats['comparison_words']} comparison words "
               f"in the sentences naming both)" if feats.get("contrast", 0.0) >= COMPARISON_NOTE else "")
            + (f"; a third party is named as often as one of the sides or more ({feats['others']:.2f})"
               if feats.get("others", 0.0) >= OTHER_ACTOR_NOTE else "")
            + (f"; written in {language_name(feats['language'])}: scored by whom it names, the sides' names in that language"
               if feats["stage"] == "crosslingual" else "")
            + ((f"; written in {language_name(feats['language'])}, which this profile cannot read" if feats.get("language")
                else "; written in a script this profile cannot read") if feats["stage"] == "unreadable" else "")
            + (f"; written in {language_name(feats['language'])}: scored by its opening's closeness to the profile's description "
               f"in a multilingual model"
               + ((f" not trained on {language_name(feats['language'])}"
                   + (", given it in Russian letters" if feats["language"] in RUSSIAN_LETTERS else ""))
                  if feats["language"] in UNTRAINED_LANGUAGES else "")
               + f" ({feats['multilingual']:.2f} of a seed passage's)"
               if feats["stage"] == "multilingual" else "")
            + (f"; its opening read for the description's meaning too, in a multilingual model "
               f"({feats['meaning']:.2f} of a seed passage's closeness)" if "meaning" in feats else "")
            + (f"; feedback {feats['feedback']:+.2f}" if "feedback" in feats else "")
            + (f" (like \"{feats['feedback_like'][0]}\", marked {'relevant' if feats['feedback_like'][1] else 'not relevant'})"
               if "feedback_like" in feats else "")
            + (f"; {'; '.join(notes)}" if notes else "")
            + ("; closest to the profile's description rather than to any seed passage" if seed and seed.source == "description"
               else f"; closest seed passage ({seed.source}): \"{_clip(seed.text, 120)}\"" if seed else "")
        )
        return Score(
            profile=prof.name,
            score=value,
            relevant=relevant,
            explanation=explanation,
            terms=terms,
            article_passage=_clip(view.passages[best], 400) if view.passages else "",
            seed_passage=_clip(seed.text, 400) if seed else "",
            seed_source=seed.source if seed else "",
            raw=raw,
            profile_version=prof.version,
            model=MODEL_NAME + (f"+feedback{self.feedback[prof.name].n_labels}" if model is not None else ""),
            features={k: (round(v, 6) if isinstance(v, float) else v) for k, v in feats.items()},
        )
