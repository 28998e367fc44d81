"""Lexical evidence: a profile's distinctive terms and phrases, weighted against
ordinary English, and how much of them an article passage contains.

A term's weight is the log-ratio of its frequency in the profile's seed passages (each
passage weighted by how close it is to the user's description) to its frequency in
ordinary English and news text (``wordfreq``), times the square root of the share of
seed passages that use it, so that a word the whole essay keeps returning to counts
more than a name that appears in one paragraph.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from commentary_monitor.extraction.stopwords import ENGLISH_STOP_WORDS

_WORD = re.compile(r"([^\W\d_]+(?:['’][^\W\d_]+)?)|[.,;:!?()\[\]\"“”—–/]|\d+")
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "also", "would", "could", "one", "two", "new", "year", "years"}
_KEEP_S = frozenset({"perhaps", "always", "news", "whereas", "series", "species", "sometimes", "afterwards",
                      "towards", "besides", "nevertheless", "thus", "various", "previous", "serious", "famous"})
MIN_BACKGROUND = 1e-7      # wordfreq's floor: a word it has never seen is at least this rare
MAX_TERMS = 400


@lru_cache(maxsize=200_000)
def normalise(word: str) -> str:
    """Fold possessives and regular plurals so 'Moscow's' and 'commemorations' match
    'moscow' and 'commemoration'."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("'"):
        w = w[:-1]
    if len(w) <= 3 or not w.endswith("s") or w in _KEEP_S or w.endswith(("ss", "us", "is", "ics")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("oes", "ches", "shes", "xes")):
        return w[:-2]
    return w[:-1]


_CONTENT: dict[str, str | None] = {}   # a word as written -> its normalised form, None for a stop word
_CONTENT_MAX = 200_000
_UNSEEN = object()


def _content_word(raw: str) -> str | None:
    if len(_CONTENT) >= _CONTENT_MAX:
        _CONTENT.clear()
    w = normalise(raw)
    w = _CONTENT[raw] = w if len(w) > 2 and w not in _STOP else None
    return w


def words(text: str, keep_stop: bool = False) -> list[str]:
    """Content words of a text, normalised; punctuation and numbers become empty
    placeholders so that phrases never span them, and so do stop words and words under
    3 letters unless ``keep_stop`` (then they come back as ``None``)."""
    out = []
    for raw in _WORD.findall(text):      # the word, or '' for punctuation and numbers
        if not raw:
            out.append("")               # a phrase boundary
            continue
        w = _CONTENT.get(raw, _UNSEEN)
        if w is _UNSEEN:
            w = _content_word(raw)
        out.append(w if w is not None else (None if keep_stop else ""))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """The terms a scorer looks for (its words, and its two-word phrases by their first
    word): :func:`term_counts` then counts only those, and never builds the phrases it
    would throw away."""
    words: frozenset
    heads: dict
    names: frozenset = frozenset()    # names (lower-case) to capitalise in a text written without capitals
    side_names: frozenset = frozenset()    # the sides' names among them, read in lower case in any text (lowercased_names)

    @classmethod
    def of(cls, terms, names=(), side_names=()) -> "Vocabulary":
        words, heads = set(), {}
        for t in terms:
            parts = t.split(" ")
            if len(parts) == 1:
                words.add(t)
            elif len(parts) == 2:
                heads.setdefault(parts[0], set()).add(parts[1])
        return cls(frozenset(words), {h: frozenset(s) for h, s in heads.items()}, frozenset(names), frozenset(side_names))


CASELESS_SHARE = 0.01     # a text whose words open with a capital this rarely was written (or stored) without them
_LETTERS = re.compile(r"[^\W\d_]+")
_ASCII_CAPITAL_OPENING = re.compile(rb"(?<![A-Za-z0-9_?])[A-Z]")    # '?': a character outside ASCII, replaced


def is_caseless(text: str, sample: int = 2000, min_words: int = 40) -> bool:
    """Whether a text is written without capitals ("china dispatched five warships to ..."):
    its names cannot be told from its words by their capitals."""
    head = text[:sample]
    # each word opening with an ASCII capital is one capitalised word at least, and a text
    # has at most one word in two characters: enough of them settle it without the words
    if len(_ASCII_CAPITAL_OPENING.findall(head.encode("ascii", "replace"))) >= CASELESS_SHARE * len(head) / 2:
        return False
    ws = _LETTERS.findall(head)
    return len(ws) >= min_words and sum(w[0].isupper() for w in ws) < CASELESS_SHARE * len(ws)


def recased(text: str, names: frozenset) -> str:
    """A text written without capitals with the given names capitalised ('china' ->
    'China'), so that the sides and third parties it names are read as in any other."""
    return _LETTERS.sub(lambda m: m.group(0).capitalize() if m.group(0) in names else m.group(0), text)


LOWERCASED_LEAST = 2     # a name written in lower case this often (and more often than capitalised) is still a name


@lru_cache(maxsize=1024)
def _whole_word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![^\W\d_]){re.escape(name)}(?![^\W\d_])")


def lowercased_names(text: str, names: frozenset) -> frozenset:
    """The ``names`` (lower-case) a text writes in lower case, at least
    :data:`LOWERCASED_LEAST` times and more often than capitalised: some outlets write an
    adversary's name so on purpose ("russian troops", "the russian defense minister
    discussed military cooperation with China"), and the name is still the side's."""
    found = []
    for n in names:
        if n in text:     # most texts: no lower-case form at all, settled without a pattern
            lower = len(_whole_word(n).findall(text))
            if lower >= LOWERCASED_LEAST and lower > text.count(n.capitalize()):
                found.append(n)
    return frozenset(found)


def proper_names(texts) -> set[str]:
    """The words texts write capitalised inside a sentence, lower-case, stop words left out:
    what a text written without capitals would have capitalised ('china', 'moscow', 'putin')."""
    return {t.lower() for text in texts for t in _capitalised_inside(text) if t.lower() not in _STOP}


def term_counts(text: str, vocabulary: Vocabulary | None = None) -> Counter:
    """Unigram and phrase counts of a text's content words. A phrase is two content
    words in a row, up to two stop words apart ("Moscow and Beijing" gives
    "moscow beijing", "the Power of Siberia" "power siberia"), never across punctuation.
    With a ``vocabulary``, only its terms are counted (the same counts, in the same order).
    (:func:`words` and the phrases in one pass: this runs on every passage of every article.)"""
    grams: list[str] = []
    phrases: list[str] = []
    known = _CONTENT.get
    wanted = vocabulary.words if vocabulary is not None else None
    heads = vocabulary.heads.get if vocabulary is not None else None
    prev, gap = "", 0
    for raw in _WORD.findall(text):      # the word, or '' for punctuation and numbers
        if not raw:
            prev, gap = "", 0            # a phrase boundary
            continue
        w = known(raw, _UNSEEN)
        if w is _UNSEEN:
            w = _content_word(raw)
        if w is None:                    # a stop word: a phrase may span two
            gap += 1
            continue
        if wanted is None:
            grams.append(w)
            if prev and gap <= 2:
                phrases.append(prev + " " + w)
        else:
            if w in wanted:
                grams.append(w)
            if prev and gap <= 2:
                second = heads(prev)
                if second is not None and w in second:
                    phrases.append(prev + " " + w)
        prev, gap = w, 0
    counts = Counter(grams)
    counts.update(phrases)
    return counts


@dataclass(frozen=True)
class Term:
    text: str
    weight: float
    source: str = "seeds"     # 'seeds', 'description' or 'include'


def background_frequency(term: str) -> float:
    from wordfreq import word_frequency   # imported lazily: only profile building needs it

    return max(word_frequency(term, "en"), MIN_BACKGROUND)


def distinctive_terms(weighted_texts: list[tuple[str, float]], description: str, include: tuple[str, ...] = (),
                      background=background_frequency, max_terms: int = MAX_TERMS) -> tuple[Term, ...]:
    """The profile's distinctive terms and phrases, best first.

    ``weighted_texts`` are seed passages with their weights (mean 1). The description
    counts as a tenth of the seeds, spread over its words: the user's own words for the
    theme always matter, however short the description is.
    """
    count: Counter = Counter()
    spread: Counter = Counter()
    raw: Counter = Counter()          # unweighted passages using the term
    total_weight = sum(w for _, w in weighted_texts) or 1.0
    for text, w in weighted_texts:
        c = term_counts(text)
        raw.update(c.keys())
        for t, n in c.items():
            count[t] += w * n
            spread[t] += w
    desc_terms = term_counts(description) if description else Counter()
    if desc_terms:
        boost = 0.1 * total_weight
        for t in desc_terms:
            count[t] += boost
            spread[t] += boost
    unigrams = sum(n for t, n in count.items() if " " not in t) or 1.0
    terms: list[Term] = []
    for t, n in count.items():
        # A term of the seeds must recur: in two passages (a phrase in three), unless the
        # user's description names it.
        if t not in desc_terms and raw[t] < (3 if " " in t else 2):
            continue
        if t in desc_terms and " " in t and not raw[t]:
            continue    # a phrase of the description counts when the essays use it too
        ratio = math.log((n / unigrams) / background(t))
        if ratio <= 0:
            continue
        share = min(1.0, spread[t] / total_weight)
        terms.append(Term(t, round(ratio * math.sqrt(share), 4), "description" if t in desc_terms else "seeds"))
    terms.sort(key=lambda x: (-x.weight, x.text))
    terms = terms[:max_terms]
    if include:
        # include terms are the user's boost: as strong as the profile's strongest term.
        top = terms[0].weight if terms else 1.0
        wanted = list(dict.fromkeys(t for r in include for t in _include_terms(r)))
        terms = [x for x in terms if x.text not in wanted] + [Term(t, top, "include") for t in wanted]
        terms.sort(key=lambda x: (-x.weight, x.text))
    return tuple(terms)


@lru_cache(maxsize=1)
def english_entropy() -> float:
    """How much information a word of running English carries on average (nats): the
    entropy of ``wordfreq``'s English word frequencies (7.39)."""
    import numpy as np
    from wordfreq import get_frequency_list   # words by frequency bucket: bucket b is 10^(-b/100)

    buckets = get_frequency_list("en")
    n = np.array([len(words) for words in buckets], dtype=np.float64)
    p = 10.0 ** (-np.arange(len(buckets)) / 100.0)
    p = p / (n * p).sum()
    return float(-(n * p * np.log(p)).sum())


def description_weights(description: str, background=background_frequency,
                        baseline: float | None = None) -> dict[str, float]:
    """The description's own words and phrases, each weighted by the information it carries
    beyond an average word of English: its self-information (``-log`` of its background
    frequency) minus ``baseline``, the entropy of English (:func:`english_entropy`) unless
    given; the words that carry no more ("use", "state") are left out. The user's words for
    the theme as a query of their own, whatever the essays make of them: "commemoration"
    counts, the ordinary words that hold the sentence together do not."""
    baseline = english_entropy() if baseline is None else baseline
    weights = {t: round(-math.log(background(t)) - baseline, 4) for t in term_counts(description)}
    return {t: w for t, w in weights.items() if w > 0}


def _include_terms(raw: str) -> list[str]:
    """The terms an include entry matches as: its word, or its phrase; a longer phrase
    ("Northern Sea Route") as its two-word pieces, since passages count words and pairs."""
    ws = [w for w in words(raw) if w]
    if len(ws) <= 2:
        return [" ".join(ws)] if ws else []
    return [f"{a} {b}" for a, b in zip(ws, ws[1:])]


def length_damping(n_words: int) -> float:
    """What a passage's summed evidence is divided by: the square root of its length, at
    least that of a 50-word passage (so a short one does not look dense)."""
    return 1.0 / math.sqrt(max(n_words, 50))


def passage_evidence(counts: Counter, n_words: int, weights: dict[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """A passage's lexical score (sum of its matched terms' weights, damped by repetition,
    per square root of length) and the matched terms with their contributions."""
    matched = []
    if len(weights) < len(counts):     # walk the smaller of the two (a short query, a long passage)
        for t, w in weights.items():
            n = counts.get(t)
            if n and w:
                matched.append((t, w * (1.0 + math.log(n))))
    else:
        for t, n in counts.items():
            w = weights.get(t)
            if w:
                matched.append((t, w * (1.0 + math.log(n))))
    score = sum(c for _, c in matched) * length_damping(n_words)
    return score, matched


# --- actors: who an article is about -------------------------------------------------------
# A profile whose description names actors ("relations between China and Russia") is about
# those actors; an article whose most-mentioned actor is someone else (India, the EU, North
# Korea) is about that someone, however often it names the profile's own. Actors are the
# capitalised words inside sentences (names, not sentence openings), folded to their first
# four letters so that a country and its adjective ('India', 'Indian'; 'Korea', 'Korean')
# count as one.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|[.!?:;\"“”\n]")
_SENTENCE_BREAK = frozenset('.!?:"“”\n')
ACTOR_FOLD = 4
PAIR_APART = 0.8     # a pair's words appear apart in the seeds, not only as one name


def _capitalised_inside(text: str) -> list[str]:
    """The capitalised words of a text that do not open a sentence, as written: a word is
    inside a sentence when the token before it is a word or a punctuation mark that does not
    break sentences (';'); the text's first token opens one."""
    tokens = _TOKEN.findall(text)
    breaks = _SENTENCE_BREAK
    return [t for p, t in zip(chain(("\n",), tokens), tokens)
            if t[0].isupper() and t[0].isalpha() and (p[0].isalpha() or p not in breaks)]


def name_mentions(text: str) -> Counter:
    """Counts of the names a text writes: capitalised words not opening a sentence, stop words
    left out, normalised ('Moscow's' -> 'moscow'); folded to their first letters, the actors
    of :func:`actor_mentions`."""
    out: Counter = Counter()
    stop = _STOP
    for t in _capitalised_inside(text):
        w = normalise(t)
        if w not in stop and len(w) > 1:
            out[w] += 1
    return out


def actor_mentions(text: str) -> Counter:
    """Counts of the actors a text names: its names (:func:`name_mentions`) folded to their
    first letters."""
    out: Counter = Counter()
    for w, n in name_mentions(text).items():
        out[w[:ACTOR_FOLD]] += n
    return out


def description_actors(description: str) -> tuple[str, ...]:
    """The actors a profile's description names (folded as :func:`actor_mentions` does);
    none for a description that names no one, and then the article's actors never count."""
    return tuple(sorted(actor_mentions(" ".join(description.split()))))


def relationship_pairs(terms, actors: tuple[str, ...], counts: Counter) -> tuple[tuple[str, str], ...]:
    """The two sides of a relationship profile: its distinctive phrases made of two
    different actors its description names ('moscow beijing', 'sino russian'), folded as
    actors are. A two-word name ('Central Asia') is not a pair: its words seldom appear
    apart in the seeds (``counts``). None for a profile whose description names no two sides."""
    own = set(actors)
    out = []
    for t in terms:
        parts = t.text.split()
        if len(parts) == 2 and counts[t.text] < PAIR_APART * min(counts[parts[0]], counts[parts[1]]):
            a, b = (w[:ACTOR_FOLD] for w in parts)
            if a != b and a in own and b in own and (a, b) not in out and (b, a) not in out:
                out.append((a, b))
    return tuple(out)


_NAME = re.compile(r"[^\W\d_]+")
# the words of _NAME that do not start with a-z: the capitalised ones, and a few others
# (a non-ASCII lower-case initial) that the caller's isupper() leaves out
_CAPITALISED = re.compile(r"(?<![^\W\d_])[^\W\d_a-z][^\W\d_]*")


def actor_spellings(text: str) -> dict[str, str]:
    """The most frequent spelling (normalised) of each folded actor a text names."""
    seen: dict[str, Counter] = {}
    for w in _NAME.findall(text):
        if w[0].isupper():
            n = normalise(w)
            seen.setdefault(n[:ACTOR_FOLD], Counter())[n] += 1
    return {a: c.most_common(1)[0][0] for a, c in seen.items()}


def relationship_sides(pairs, similarity) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two sides of a relationship profile from its pairs: each pair puts its actors on
    opposite sides ('sino'-'russ', 'chin'-'russ': 'sino' and 'chin' on one side). Pairs
    that share no actor ('beij'-'mosc') are oriented by ``similarity(a, b)`` of actors
    (their embeddings): 'beij' goes with 'chin', not with 'russ'. So a passage naming
    Beijing and Russia names both sides, though no essay phrase paired those two."""
    adj: dict[str, set] = {}
    for a, b in pairs:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    side: dict[str, int] = {}
    left: list[str] = []
    right: list[str] = []
    for start in adj:          # dict order: the order of the pairs, so deterministic
        if start in side:
            continue
        comp, todo = {start: 0}, [start]
        while todo:
            a = todo.pop()
            for b in sorted(adj[a]):
                if b not in comp:
                    comp[b] = 1 - comp[a]
                    todo.append(b)
        if side:   # orient this component against the sides found so far
            same = sum(similarity(a, x) for a, s in comp.items() for x in (left if s == 0 else right))
            flip = sum(similarity(a, x) for a, s in comp.items() for x in (right if s == 0 else left))
            if flip > same:
                comp = {a: 1 - s for a, s in comp.items()}
        for a, s in comp.items():
            side[a] = s
            (left if s == 0 else right).append(a)
    return tuple(sorted(left)), tuple(sorted(right))


_STATE_NOUNS = r"(?:sides|governments|countries|capitals|leaders|neighbou?rs|partners|states|powers|militaries|navies|presidents|economies|nations)"
# How English speaks of a pair as a pair: "between", "both governments", "the two
# capitals", "each other", "bilateral", "reciprocal", "joint", "neither side". Generic to
# any two-sided relationship, not to one profile: a piece about the relationship keeps
# saying it, a piece about one side or two sides compared seldom does.
DYADIC = re.compile(
    r"\bbetween\b|\b(?:both|the\s+two)\s+" + _STATE_NOUNS + r"\b|\beach\s+other\b|\bone\s+another\b"
    r"|\bbilateral\b|\breciprocal\b|\bmutual(?:ly)?\b|\bjoint(?:ly)?\b"
    r"|\b(?:neither|either)\s+side\b|\bthe\s+other\s+(?:country|side)\b", re.IGNORECASE)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

# The grammar of comparing two things (English function words and the comparison vocabulary
# of any grammar book), not of relating them: "China grew while Russia shrank", "unlike
# Russia, China ...", "Russia is poorer than China".
CONTRASTIVE = re.compile(
    r"\b(?:than|unlike|whereas|while|compared?|comparing|comparison|similar(?:ly|ity)?|likewise"
    r"|differ(?:s|ed|ent|ence|ences)?|contrast(?:s|ed|ing)?|in\s+turn|just\s+as|the\s+same\s+as)\b", re.IGNORECASE)


# How English relates two things it names in one sentence, not only lists them: the two names
# made one ("China-Russia", "Sino-Russian"), "between X and Y", or a preposition between the
# names ("Russian crude to China", "Moscow's trade with Beijing", "purchases of Russian gas by
# Chinese buyers"). Setting the two side by side names them in one breath with no such word
# between them ("in Russia and China", "Russia or China"), or lists them ("Serbia, China, Russia
# and others": a comma or semicolon alone between the names). English function words, generic to
# any two-sided relationship.
RELATING = frozenset({"with", "to", "from", "into", "toward", "towards", "against", "between", "via", "across",
                      "of", "by", "on", "for", "in", "at", "over", "through"})
RELATING_SPAN = 8       # words between the two names, at most
_LIST_MARKS = frozenset({",", ";"})
_NAME_GAP = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[-–/,;]")


def relates_sides(sentence: str, a: frozenset, b: frozenset, whole=None) -> bool:
    """Whether a sentence naming both sides relates them (see :data:`RELATING`): for each
    name of one side followed by a name of the other, the words between. ``whole``: two
    sets of whole words (normalised) that name a side too (see :func:`side_mentions`)."""
    tokens = _NAME_GAP.findall(sentence)
    wa, wb = whole or (frozenset(), frozenset())
    marks = []
    for i, t in enumerate(tokens):
        if t[0].isupper():
            w = normalise(t)
            n = w[:ACTOR_FOLD]
            if n in a or w in wa:
                marks.append((i, True))
            elif n in b or w in wb:
                marks.append((i, False))
    for (i, x), (j, y) in zip(marks, marks[1:]):
        if x == y:
            continue
        gap = [t.lower() for t in tokens[i + 1:j] if t not in _LIST_MARKS]
        if not gap and j > i + 1:
            continue     # "Serbia, China, Russia and others": a list, as "China and Russia" is
        if not gap or gap in (["-"], ["–"]):
            return True
        if gap == ["and"] and i and tokens[i - 1].lower() == "between":
            return True
        if len(gap) <= RELATING_SPAN and not RELATING.isdisjoint(gap) and not CONTRASTIVE.search(" ".join(gap)):
            return True
    return False


@dataclass(frozen=True)
class SideMentions:
    both: int                   # passages naming both sides
    either: int                 # passages naming either
    dyadic: int                 # DYADIC phrases in the passages naming either
    phrases: tuple[str, ...]    # those phrases, most frequent first
    sentences_both: int = 0     # sentences naming both sides
    sentences_either: int = 0   # sentences naming either
    contrastive: int = 0        # CONTRASTIVE words in the sentences naming both
    passages: int = 0           # all the article's passages
    related: int = 0            # sentences naming both sides that relate them (:func:`relates_sides`)

    @property
    def pairs(self) -> float:
        """Of the passages naming either side, the share naming both (with one passage's
        worth of doubt): see :func:`both_sides_share`."""
        return self.both / (self.either + 1)

    @property
    def reach(self) -> float:
        """Of all the article's passages, the share naming either side: how much of the
        article is about the two at all (a piece mainly about Iran or Central Asia names
        them in one paragraph of many)."""
        return self.either / self.passages if self.passages else 0.0

    @property
    def reach_both(self) -> float:
        """Of all the article's passages, the share naming both sides: how far the
        relationship runs through the article, not only one paragraph of it."""
        return self.both / self.passages if self.passages else 0.0

    @property
    def close(self) -> float:
        """Of the sentences naming either side, the share naming both (one sentence's worth
        of doubt): a piece about the relationship says "Moscow and Beijing signed"; one
        comparing the two says "China grew. Russia shrank." in the same paragraph."""
        return self.sentences_both / (self.sentences_either + 1)

    @property
    def contrast(self) -> float:
        """Comparison words per sentence naming both sides (one sentence's worth of doubt): a
        piece comparing the two names them together to set them side by side."""
        return self.contrastive / (self.sentences_both + 1)

    @property
    def linked(self) -> float:
        """Of the sentences naming both sides, the share relating them (one sentence's worth of
        doubt): "Russian crude to China", "China-Russia trade", against "in Russia and China"."""
        return self.related / (self.sentences_both + 1)

    @property
    def dyad(self) -> float:
        """Pair phrases per passage naming either side (the same doubt): see :func:`dyadic_rate`."""
        return self.dyadic / (self.either + 1)


def _sides_named(text: str, a: frozenset, b: frozenset, whole) -> tuple[bool, bool]:
    """Whether a text names side ``a``, side ``b``: a capitalised word folded to one of its
    actors, or (``whole``) written as one of its whole words."""
    if whole is None:
        names = {normalise(w)[:ACTOR_FOLD] for w in _CAPITALISED.findall(text) if w[0].isupper()}
        return not a.isdisjoint(names), not b.isdisjoint(names)
    words = {normalise(w) for w in _CAPITALISED.findall(text) if w[0].isupper()}
    names = {w[:ACTOR_FOLD] for w in words}
    return not (a.isdisjoint(names) and whole[0].isdisjoint(words)), not (b.isdisjoint(names) and whole[1].isdisjoint(words))


def side_mentions(passages: list[str], sides, whole=None) -> SideMentions:
    """How many of the passages name both sides, how many name either, and how often
    those that name either speak of the two as a pair (:data:`DYADIC`). ``whole``: two
    sets of whole words (normalised) that name a side besides its folded actors (the
    sides' own regions an article names: 'khabarovsk', 'heilongjiang')."""
    if not sides or not sides[0] or not sides[1]:
        return SideMentions(0, 0, 0, ())
    a, b = frozenset(sides[0]), frozenset(sides[1])
    both = either = s_both = s_either = contrastive = related = 0
    phrases: Counter = Counter()
    for text in passages:
        named = [(sentence, *_sides_named(sentence, a, b, whole)) for sentence in _SENTENCE.split(text)]
        in_a, in_b = any(x[1] for x in named), any(x[2] for x in named)
        both += in_a and in_b
        if in_a or in_b:
            either += 1
            phrases.update(" ".join(m.lower().split()) for m in DYADIC.findall(text))
            for sentence, sa, sb in named:
                s_both += sa and sb
                s_either += sa or sb
                if sa and sb:
                    contrastive += len(CONTRASTIVE.findall(sentence))
                    related += relates_sides(sentence, a, b, whole)
    return SideMentions(both, either, sum(phrases.values()),
                        tuple(p for p, _ in sorted(phrases.items(), key=lambda kv: (-kv[1], kv[0]))), s_both, s_either,
                        contrastive, len(passages), related)


def both_sides_share(passages: list[str], sides) -> float:
    """Of the article's passages that name either side, the share that name both (with one
    passage's worth of doubt: ``both / (either + 1)``). A piece about the relationship
    names the two partners together whenever it names one; a piece about one of them, or
    about the two side by side in separate paragraphs, names them apart."""
    return side_mentions(passages, sides).pairs


def dyadic_rate(passages: list[str], sides) -> float:
    """How often the passages that name either side speak of the two as a pair
    (:data:`DYADIC` phrases per such passage, with the same passage's worth of doubt as
    :func:`both_sides_share`). "Beijing and Moscow extended their reciprocal schemes,
    officials on both sides said" speaks of the pair; "China's slowdown; Russia's
    slowdown" does not, though it names both."""
    return side_mentions(passages, sides).dyad


def third_party_and_balance(mentions: Counter, actors: tuple[str, ...] | frozenset, sides,
                            countries: dict | None = None, names: Counter | None = None,
                            country_of=None, phrases: Counter | None = None, whole=None) -> tuple[float, float]:
    """Whom an article (its actors' ``mentions``, see :func:`actor_mentions`) is about,
    measured against the side it names less: (``others``) the most-mentioned third
    country (``countries``: folded word -> the countries it names, see
    :func:`.foreign_names.country_words`; any actor without them) that is neither the
    profile's nor a side's, over the less-named side's mentions plus its own (plus one): a
    piece on Vietnam, Mongolia or Venezuela between the two names the third country more
    than at least one of them, where a company, a port or Antarctica is no third party;
    (``balance``) the less-named side's mentions over the more-named one's (plus one): a
    piece about the relationship keeps naming both, one about China with a word on Russia
    does not. With the article's ``names`` (whole words, :func:`name_mentions`) and
    ``country_of`` (:func:`.foreign_names.country_of`), a third country is counted only by a
    word that names it ('Indian', not 'Indiana'; 'Congress' is not Congo), any country of
    ``countries`` but the sides' (one the profile's texts discuss too: 'Ukraine'), and ``phrases``
    (country -> mentions of a name no single word of which names it: 'United States').
    ``whole``: two sets of the article's whole ``names`` that name a side too (see
    :func:`side_mentions`). (0, 0) without sides."""
    if not sides or not sides[0] or not sides[1]:
        return 0.0, 0.0
    a, b = frozenset(sides[0]), frozenset(sides[1])
    na = sum(n for k, n in mentions.items() if k in a)
    nb = sum(n for k, n in mentions.items() if k in b)
    if whole and names is not None:
        na += sum(names[w] for w in whole[0] if w[:ACTOR_FOLD] not in a)
        nb += sum(names[w] for w in whole[1] if w[:ACTOR_FOLD] not in b)
    third: Counter = Counter()
    if names is not None and country_of is not None and countries is not None:
        for w, n in names.items():
            k = w[:ACTOR_FOLD]
            if k in countries and k not in a and k not in b:
                for c in country_of(w):
                    third[c] += n
        third.update(phrases or {})
    else:
        for k, n in mentions.items():
            if k not in actors and k not in a and k not in b:
                for c in (countries.get(k, ()) if countries is not None else (k,)):
                    third[c] += n
    other = max(third.values(), default=0)
    weaker = min(na, nb)
    return other / (weaker + other + 1), weaker / (max(na, nb) + 1)


# How English says which side a name it introduces belongs to: "Russia's Gazprom", "Russian gas
# giant Gazprom", "Chinese state-owned CNPC", "Rosatom, Russia's state nuclear corporation".
# English grammar (a possessive or a demonym before a name, an apposition after it), generic to
# any two-sided relationship; the name placed is one English seldom writes as a common word.
PLACING_SPAN = 3            # lower-case words between the side's name and the name it places, at most
PLACED_COMMON = 5000        # a name among the English words this common is no name ('Foreign', 'Ministry')
_PLACING_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|[^\w\s]|\n")
_QUOTES = frozenset('"“”«»„‘’\'')


@lru_cache(maxsize=1)
def common_english() -> frozenset:
    """English's :data:`PLACED_COMMON` most common words (wordfreq), lower-case."""
    from wordfreq import top_n_list

    return frozenset(top_n_list("en", PLACED_COMMON))


def placed_names(text: str, sides, known: frozenset = frozenset()) -> tuple[dict, dict]:
    """The names a text places on either side (see the patterns above), folded, each with its
    spelling: a company, an agency or an official the profile's texts never name, which the
    text itself says is one side's ('gazp': 'Gazprom'). Names already on a side or in
    ``known`` (the profile's actors, third countries) are left where they are, and a name
    placed on both sides is on neither."""
    if not sides or not sides[0] or not sides[1]:
        return {}, {}
    a, b = frozenset(sides[0]), frozenset(sides[1])
    tokens = _PLACING_TOKEN.findall(text)
    folds = [normalise(t)[:ACTOR_FOLD] if t[0].isupper() else None for t in tokens]
    found: tuple[dict, dict] = ({}, {})
    common = None

    def place(j: int, side: int) -> None:
        nonlocal common
        f = folds[j]
        if f is None or f in a or f in b or f in known or len(f) < 2:
            return
        if common is None:
            common = common_english()
        w = normalise(tokens[j])
        if w not in common and w not in _STOP:
            found[side].setdefault(f, tokens[j].replace("’", "'").split("'")[0])

    for i, f in enumerate(folds):
        if f is None or (f not in a and f not in b):
            continue
        side = 0 if f in a else 1
        j = i + 1       # words describing the name ('gas giant'), not relating it ('troops in', 'occupation of')
        while j < len(tokens) and j - i - 1 < PLACING_SPAN and tokens[j][0].islower() and tokens[j] not in _STOP:
            j += 1
        described = j > i + 1
        quoted = j < len(tokens) and tokens[j] in _QUOTES
        if not (described or quoted or tokens[i].endswith(("'s", "’s"))):
            continue    # 'Xi Jinping', 'Chinese President': a name's other half, a title
        while j < len(tokens) and tokens[j] in _QUOTES:
            j += 1      # a name in quotes is the name: 'Russia's "Gazprom"', 'Russian «Rosatom»'
        if j < len(tokens) and tokens[j][0].isupper():
            place(j, side)      # after: "Russia's Gazprom", "Russian gas giant Gazprom"
        if described:   # before: "Rosatom, Russia's state corporation", "CNPC, a Chinese state firm"
            k = i - 1
            if k >= 0 and tokens[k].lower() in ("the", "a", "an"):
                k -= 1
            if k >= 1 and tokens[k] == ",":
                place(k - 1, side)
    both = found[0].keys() & found[1].keys()      # placed on both sides: on neither
    return ({f: n for f, n in found[0].items() if f not in both}, {f: n for f, n in found[1].items() if f not in both})
