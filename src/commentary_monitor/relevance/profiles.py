"""Topic profiles built from seed essays, an optional description and optional filters.

A profile is what the scorer compares articles with:

- its **passages**: the seed essays split into argument-sized passages (captions,
  bylines and the essay's "About the author" / "Related articles" tail dropped), plus
  the description as one more passage;
- a **weight per passage**: how close the passage is to the description (when there is
  one), so a profile whose essay covers more than its theme leans on the passages about
  the theme;
- its **distinctive terms and phrases**, weighted against ordinary English (see
  :mod:`.lexical`), with ``include`` terms boosted;
- a **centroid** of the weighted passage embeddings and the description, with what every
  English text shares removed (see :func:`.semantic.common_directions`), and the reference
  levels the scorer calibrates against;
- ``exclude`` terms and a ``require`` query (see :mod:`.filters`);
- the **description as a query of its own**: its words weighted by the information they
  carry beyond an average English word (see :func:`.lexical.description_weights`) and its
  embedding, with the levels the seed passages reach on both;
- for a **relationship profile** (its description names two sides that its essays
  pair, as in "Moscow and Beijing"), those pairs and the two sides they make (see
  :func:`.lexical.relationship_pairs`, :func:`.lexical.relationship_sides`).

Building is deterministic; :func:`load_profiles` keeps built profiles in a cache folder
keyed by a digest of everything they are built from, so editing a seed, the
description, a filter or the model rebuilds exactly that profile.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from commentary_monitor.config import ProfileConfig
from commentary_monitor.filters import Query, parse_query
from commentary_monitor.relevance.lexical import (ACTOR_FOLD, Term, actor_mentions, actor_spellings, description_actors, description_weights, distinctive_terms, normalise,
                      passage_evidence, relationship_pairs, relationship_sides, side_mentions, term_counts)
from commentary_monitor.relevance.semantic import common_directions, without_common

BUILD_VERSION = "profile-v25"   # bump when the way profiles are built changes: cached ones are rebuilt
MIN_PASSAGE_WORDS = 30      # shorter blocks in a seed are captions, bylines, navigation
MAX_PASSAGE_WORDS = 220     # longer blocks are split so a passage stays one argument
DESCRIPTION_TEMPERATURE = 0.2    # how sharply passage weights follow closeness to the description
DESCRIPTION_FOCUS = 6.0          # how strongly the description re-weights the seeds' terms when they diverge

_BLOCK_SPLIT = re.compile(r"\n\s*\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Headings after which a saved web essay is no longer the essay.
_TAIL_HEADING = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(about the authors?|related (?:articles|posts|reading)|references|notes|"
    r"bibliography|further reading|footnotes|endnotes)\b[:*\s]*$", re.I | re.M)


@dataclass(frozen=True)
class SeedPassage:
    source: str      # file name of the seed essay, or "description"
    text: str


@dataclass(frozen=True, eq=False)
class Profile:
    name: str
    threshold: float
    description: str
    passages: tuple[SeedPassage, ...]
    version: str     # a digest of everything the profile is built from
    terms: tuple[Term, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    require: Query | None = None
    passage_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    passage_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    centroid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))   # without the common directions
    # 'lexical', 'semantic', 'description', 'description_lexical': typical seed-passage levels;
    # 'common': the directions every English text shares (see .semantic.common_directions),
    # removed before the semantic evidence is measured;
    # 'description_terms': the description's words and weights; 'actors', 'pairs', 'sides'
    # for a relationship profile
    reference: dict = field(default_factory=dict)

    @property
    def term_weights(self) -> dict[str, float]:
        return {t.text: t.weight for t in self.terms}

    @property
    def description_vector(self) -> np.ndarray | None:
        """The description's embedding (it is the last passage), or None without one."""
        if self.passages and self.passages[-1].source == "description" and len(self.passage_vectors):
            return self.passage_vectors[-1]
        return None


# Lines of a saved web page or PDF that are not the essay: photo captions and credits
# ("... Photo: AP/Kremlin Pool Photo/Scanpix", "... 1969. AP/Scanpix"), export notes ("This
# PDF is auto-generated for reference only"), bylines ("Written by ...", "NAME, JUN 8 2024"),
# bare links, navigation, and lines that are mostly references (several URLs).
_FURNITURE = re.compile(
    r"\bphoto(?:graph)?s?\s*(?::|by\b|credit)|\bimage\s*(?::|credit)|\bcaption\s*:"
    r"|(?:^|[.!?]\s+)(?:[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*)*/)+[A-Z][\w .&-]*\s*$"
    r"|auto-generated|for reference only|official version|conversion errors|all rights reserved|©"
    r"|^\s*(?:written by|by)\s+[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,4}\s*$"
    r"|^\s*[A-Z][A-Z .,'’-]+,\s+[A-Z]{3,9}\.?\s+\d{1,2},?\s+\d{4}\s*$"
    r"|^\s*<?https?://\S+>?\s*$"
    r"|^\s*(?:skip (?:to|navigation)|share (?:this|on)|subscribe|sign up|follow us|cookies?\b|advertisement)",
    re.I | re.M)
_URL = re.compile(r"https?://")


def is_furniture(line: str) -> bool:
    """Whether a line of a seed essay is page furniture rather than the essay (see _FURNITURE)."""
    return bool(_FURNITURE.search(line)) or len(_URL.findall(line)) >= 2


def seed_body(text: str) -> str:
    """The essay itself: everything before a trailing 'About the author', 'Related
    articles', 'References' (...) heading, without page furniture (:func:`is_furniture`)."""
    m = _TAIL_HEADING.search(text)
    if m and m.start() > len(text) // 3:
        text = text[: m.start()]
    return "\n".join("" if is_furniture(line) else line for line in text.split("\n"))


def split_passages(text: str, min_words: int = MIN_PASSAGE_WORDS, max_words: int = MAX_PASSAGE_WORDS,
                   paragraphs: bool = True) -> list[str]:
    """Split an essay into argument-sized passages: its paragraphs, long ones cut at
    sentence ends, short fragments (headings, captions, bylines) dropped. With
    ``paragraphs=False`` the whole text is one block, cut at sentence ends across its
    paragraph breaks (an article: see :meth:`.scoring.ArticleView.of`)."""
    out: list[str] = []
    for block in _BLOCK_SPLIT.split(text) if paragraphs else [text]:
        words = block.split()
        if len(words) < min_words:
            continue
        block = " ".join(words)
        if len(words) <= max_words:
            out.append(block)
            continue
        current: list[str] = []
        n = 0
        for sentence in _SENTENCE_END.split(block):
            current.append(sentence)
            n += len(sentence.split())
            if n >= max_words // 2:
                out.append(" ".join(current))
                current, n = [], 0
        if current:
            tail = " ".join(current)
            if out and len(tail.split()) < min_words:
                out[-1] = out[-1] + " " + tail
            else:
                out.append(tail)
    return out


SEED_ACTOR_SHARE = 0.03   # without a description, the actors are those the essays name this often
OWN_ACTOR_SHARE = 0.01    # actors the essays name this often are the profile's own, never a third party
SIDE_NAME_MENTIONS = 2    # a name the essays use this often may speak for a side (see build_profile)


def seed_actors(text: str, share: float = SEED_ACTOR_SHARE) -> tuple[str, ...]:
    """The actors a profile's essays keep naming (folded as :func:`.lexical.actor_mentions`):
    each at least :data:`SEED_ACTOR_SHARE` of all their mentions of actors. Without a
    description, these are who the profile is about: a relationship profile's sides come
    from the pairs its essays make of them."""
    counts = actor_mentions(text)
    total = sum(counts.values())
    return tuple(sorted(a for a, n in counts.items() if total and n >= share * total))


def profile_digest(cfg: ProfileConfig, model_name: str) -> str:
    from commentary_monitor.relevance import lexical, semantic

    params = repr((MIN_PASSAGE_WORDS, MAX_PASSAGE_WORDS, DESCRIPTION_TEMPERATURE, DESCRIPTION_FOCUS,
                   lexical.MAX_TERMS, lexical.MIN_BACKGROUND, lexical.ACTOR_FOLD, lexical.PAIR_APART, SEED_ACTOR_SHARE, OWN_ACTOR_SHARE,
                   semantic.COMMON_PRINCIPAL))
    h = hashlib.sha256()
    for part in (BUILD_VERSION, params, model_name, cfg.name, cfg.description, repr(cfg.threshold),
                 json.dumps([list(cfg.include), list(cfg.exclude), cfg.require])):
        h.update(part.encode() + b"\0")
    for essay in cfg.seeds:
        h.update(essay.path.name.encode() + b"\0" + essay.text.encode() + b"\0")
    return h.hexdigest()[:12]


def _passages(cfg: ProfileConfig) -> list[SeedPassage]:
    passages: list[SeedPassage] = []
    for essay in cfg.seeds:
        passages.extend(SeedPassage(essay.path.name, p) for p in split_passages(seed_body(essay.text)))
    if cfg.description:
        # The description is the user's own words for the theme: always kept, however short.
        passages.append(SeedPassage("description", " ".join(cfg.description.split())))
    return passages


def build_profile(cfg: ProfileConfig, encoder=None, background=None, cache_dir: Path | None = None) -> Profile:
    """Build a profile from its configuration (deterministic: same inputs, same profile);
    with ``cache_dir`` (the profiles' cache), the sides' names in other languages are kept
    there and read back (see :func:`.crosslingual.foreign_sides_cached`)."""
    from commentary_monitor.relevance.lexical import background_frequency
    from commentary_monitor.relevance.semantic import default_encoder

    encoder = encoder or default_encoder()
    passages = _passages(cfg)
    version = profile_digest(cfg, encoder.name)
    vectors = encoder.encode([p.text for p in passages]) if passages else np.zeros((0, encoder.dims), np.float32)
    desc_idx = [i for i, p in enumerate(passages) if p.source == "description"]
    seed_idx = [i for i, p in enumerate(passages) if p.source != "description"]
    seed_counts = sum((term_counts(passages[i].text) for i in seed_idx), Counter())
    weights = np.ones(len(passages), dtype=np.float64)
    if desc_idx and seed_idx:
        closeness = vectors[seed_idx] @ vectors[desc_idx[0]]
        w = np.exp((closeness - closeness.max()) / DESCRIPTION_TEMPERATURE)
        weights[seed_idx] = w / w.sum() * len(seed_idx)
    terms = distinctive_terms(
        [(passages[i].text, float(weights[i])) for i in seed_idx],
        cfg.description, cfg.include, background or background_frequency,
    )
    focus = 0.0
    if desc_idx and seed_idx and terms:
        # When the essays range wider than the description (their centroid is far from it),
        # the description decides which of their words count: each term's weight is scaled
        # by its closeness to the description, raised to a power that grows with the
        # divergence. Essays that say what the description says keep their own weights.
        mean_seed = vectors[seed_idx].mean(axis=0)
        agreement = float(mean_seed @ vectors[desc_idx[0]]) / (float(np.linalg.norm(mean_seed)) or 1.0)
        focus = DESCRIPTION_FOCUS * max(0.0, 1.0 - agreement) ** 2
        closeness = np.clip(encoder.encode([t.text for t in terms]) @ vectors[desc_idx[0]], 0.0, None)
        terms = tuple(sorted(
            (Term(t.text, round(t.weight * float(c) ** focus, 4), t.source) if t.source != "include" else t
             for t, c in zip(terms, closeness)),
            key=lambda x: (-x.weight, x.text)))
    # The semantic evidence compares vectors with what all English shares removed (see
    # .semantic.common_directions); the scorer removes the same from an article's passages.
    common = common_directions(encoder) if hasattr(encoder, "embeddings") else None
    distinct = without_common(vectors, common) if len(vectors) else vectors
    centroid = np.zeros(encoder.dims, dtype=np.float64)
    if seed_idx:
        c = (distinct[seed_idx] * weights[seed_idx, None]).sum(axis=0)
        centroid += c / (np.linalg.norm(c) or 1.0)
    if desc_idx:
        centroid += distinct[desc_idx[0]]
    centroid /= np.linalg.norm(centroid) or 1.0
    tw = {t.text: t.weight for t in terms}
    ref_idx = seed_idx or desc_idx
    lex_ref = [passage_evidence(term_counts(passages[i].text), len(passages[i].text.split()), tw)[0] for i in ref_idx]
    sem_ref = [float(distinct[i] @ centroid) for i in ref_idx]
    wts = weights[ref_idx] / (weights[ref_idx].sum() or 1.0)
    reference = {
        "lexical": round(float(np.dot(wts, lex_ref)) or 1.0, 6),
        "semantic": round(float(np.dot(wts, sem_ref)) or 1.0, 6),
        "focus": round(focus, 4),
    }
    if common is not None:
        reference["common"] = np.round(common.astype(np.float64), 6).tolist()
    if desc_idx and seed_idx:
        # The description on its own: its words (by the information they carry) and its
        # embedding, each relative to the level a typical seed passage reaches.
        # its phrases only where the essays use them too: "ties including", "pipelines and
        # finance" are the description's syntax, not phrases of the theme
        dw = {t: w for t, w in description_weights(cfg.description, background or background_frequency).items()
              if " " not in t or seed_counts.get(t)}
        d_lex = [passage_evidence(term_counts(passages[i].text), len(passages[i].text.split()), dw)[0] for i in seed_idx]
        d_sem = distinct[seed_idx] @ distinct[desc_idx[0]]
        sw = weights[seed_idx] / (weights[seed_idx].sum() or 1.0)
        reference["description_terms"] = dw
        reference["description_lexical"] = round(float(np.dot(sw, d_lex)) or 1.0, 6)
        reference["description"] = round(float(np.dot(sw, d_sem)) or 1.0, 6)
        # the most a seed passage reaches, relative: the cheap stage's bound
        reference["description_max"] = round(float(d_sem.max()) / reference["description"], 6)
    actors = description_actors(cfg.description) if cfg.description else seed_actors(
        " ".join(passages[i].text for i in seed_idx))
    pairs = relationship_pairs(terms, actors, seed_counts)
    if pairs:
        # A relationship profile: its description names two sides that its essays pair.
        # the profile's own actors: those it is about, and those its essays keep naming
        # ('Putin', 'Kremlin', 'Mao'): an article naming them is not about a third party
        seed_text = " ".join(passages[i].text for i in seed_idx)
        reference["actors"] = sorted(set(actors) | set(seed_actors(seed_text, OWN_ACTOR_SHARE)))
        reference["pairs"] = [list(p) for p in pairs]
        spelled = actor_spellings(" ".join(p.text for p in passages))
        names = sorted({a for p in pairs for a in p})
        vec = dict(zip(names, encoder.encode([spelled.get(a, a) for a in names])))
        reference["sides"] = [list(s) for s in relationship_sides(pairs, lambda a, b: float(vec[a] @ vec[b]))]
        # the sides in other languages (see .crosslingual): from every spelling the essays and
        # the description use of each side's actors ('china', 'chinese', 'beijing')
        from commentary_monitor.relevance.crosslingual import foreign_sides_cached
        words: dict[str, set] = {}
        for w in re.findall(r"[^\W\d_]+", " ".join(p.text for p in passages)):
            if w[0].isupper():
                words.setdefault(w.lower()[:4], set()).add(w.lower())
        spelled_sides = tuple(tuple(sorted(x for a in side for x in words.get(a, ()))) for side in reference["sides"])
        # the other own actors as the essays name them, alone and with the capitalised word
        # beside them ('putin', 'vladimir putin', 'xi jinping'): their names may travel too
        on_sides = {a for side in reference["sides"] for a in side}
        # and the other names they use more than once, but for given names ('Vladimir', always
        # before 'Putin'): a name in a side's language speaks for that side ('Stalin',
        # 'Khrushchev': Russian words; 'Deng Xiaoping': Chinese in pinyin)
        names: dict[str, set] = {}
        runs = re.findall(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", " ".join(p.text for p in passages))
        given = {normalise(w)[:ACTOR_FOLD] for run in runs for w in run.split()[:-1]} - \
                {normalise(run.split()[-1])[:ACTOR_FOLD] for run in runs}
        candidates = (set(reference["actors"]) | {a for a, n in actor_mentions(seed_text).items() if n >= SIDE_NAME_MENTIONS}) - given
        for run in runs:
            ws = run.lower().split()
            for i, w in enumerate(ws):
                a = normalise(w)[:ACTOR_FOLD]
                if a in candidates and a not in on_sides:
                    names.setdefault(a, set()).update([w, *(" ".join(ws[j:j + 2]) for j in (i - 1, i) if 0 <= j < len(ws) - 1)])
        found = foreign_sides_cached(spelled_sides, tuple(tuple(sorted(names[a])) for a in sorted(names)), cache_dir)
        # the own actors whose names are a side's language's words ('Xi', 'Mao': Chinese in
        # pinyin; 'Putin': Russian) speak for that side in English too
        placed = found.pop("en", None)
        reference["side_actors"] = [sorted({normalise(n)[:ACTOR_FOLD] for n in names if " " not in n} - on_sides)
                                    for names in ((placed.a, placed.b) if placed else ((), ()))]
        reference["foreign_sides"] = {lang: [list(f.a), list(f.b), list(f.pairs)] for lang, f in found.items()}
        reference["actors"] = sorted(set(reference["actors"]).union(*reference["side_actors"]))   # a side is never a third party
        # how often the essays' sentences naming both sides relate them (see .lexical.RELATING):
        # what an article in a language whose relating words are not read is taken to do
        sides_named = tuple(tuple(s) + tuple(x) for s, x in zip(reference["sides"], reference["side_actors"]))
        seen = side_mentions([p.text for p in passages], sides_named)
        reference["linked"] = round(seen.related / seen.sentences_both, 6) if seen.sentences_both else 0.0
        # the words that name a third country (.foreign_names.country_words), but the sides': a
        # country the essays discuss ('Ukraine') is a third party all the same, for a piece
        # mainly about China's Ukraine diplomacy is not about the relationship
        from commentary_monitor.relevance.foreign_names import country_words
        on_a_side = set().union(*sides_named)
        reference["countries"] = {k: list(v) for k, v in country_words().items() if k not in on_a_side}
    return Profile(
        name=cfg.name,
        threshold=cfg.threshold,
        description=cfg.description,
        passages=tuple(passages),
        version=version,
        terms=terms,
        include=tuple(cfg.include),
        exclude=tuple(cfg.exclude),
        require=parse_query(cfg.require) if cfg.require else None,
        passage_weights=weights.astype(np.float32),
        passage_vectors=vectors.astype(np.float32),
        centroid=centroid.astype(np.float32),
        reference=reference,
    )


# --- the cache ------------------------------------------------------------------------------

def _to_json(p: Profile) -> dict:
    return {
        "name": p.name, "threshold": p.threshold, "description": p.description, "version": p.version,
        "passages": [[s.source, s.text] for s in p.passages],
        "terms": [[t.text, t.weight, t.source] for t in p.terms],
        "include": list(p.include), "exclude": list(p.exclude),
        "require": p.require.text if p.require else None,
        "reference": p.reference,
    }


def _from_cache(meta: dict, arrays) -> Profile:
    return Profile(
        name=meta["name"], threshold=meta["threshold"], description=meta["description"],
        passages=tuple(SeedPassage(s, t) for s, t in meta["passages"]), version=meta["version"],
        terms=tuple(Term(t, w, s) for t, w, s in meta["terms"]),
        include=tuple(meta["include"]), exclude=tuple(meta["exclude"]),
        require=parse_query(meta["require"]) if meta["require"] else None,
        passage_weights=arrays["passage_weights"], passage_vectors=arrays["passage_vectors"],
        centroid=arrays["centroid"], reference=meta["reference"],
    )


def load_profiles(cfgs: list[ProfileConfig] | tuple[ProfileConfig, ...], cache_dir: Path | None,
                  encoder=None) -> list[Profile]:
    """Profiles for these configurations, from ``cache_dir`` when built before from the
    same inputs, else built now and cached (``cache_dir=None``: no cache)."""
    from commentary_monitor.relevance.semantic import default_encoder

    encoder = encoder or default_encoder()
    out = []
    for cfg in cfgs:
        path = _cache_path(cfg, cache_dir, encoder.name)
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    meta = json.loads(str(z["meta"]))
                    out.append(_from_cache(meta, {k: z[k] for k in ("passage_weights", "passage_vectors", "centroid")}))
                continue
            except (OSError, ValueError, KeyError):
                pass   # a damaged cache entry is rebuilt
        prof = build_profile(cfg, encoder, cache_dir=cache_dir)
        if path is not None:
            _write_cache(path, prof)
        out.append(prof)
    return out


def _cache_path(cfg: ProfileConfig, cache_dir: Path | None, model_name: str) -> Path | None:
    return cache_dir / f"{cfg.name}-{profile_digest(cfg, model_name)}.npz" if cache_dir else None


def all_cached(cfgs: list[ProfileConfig] | tuple[ProfileConfig, ...], cache_dir: Path | None) -> bool:
    """Whether :func:`load_profiles` would read every one of these profiles from ``cache_dir``
    rather than build it (a few milliseconds: the seeds are hashed, nothing is built)."""
    from commentary_monitor.relevance.semantic import default_encoder

    name = default_encoder().name
    return cache_dir is not None and all(_cache_path(c, cache_dir, name).exists() for c in cfgs)


def _write_cache(path: Path, prof: Profile) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Earlier versions of this profile: "<name>-<12 hex digits>.npz" (not "<name>-other-…"'s).
        for old in path.parent.glob(f"{prof.name}-????????????.npz"):
            old.unlink(missing_ok=True)
        # (the process id: the workers' fork server may be building the same profile, see worker_start)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(_to_json(prof), ensure_ascii=False)),
                 passage_weights=prof.passage_weights, passage_vectors=prof.passage_vectors, centroid=prof.centroid)
        tmp.replace(path)
    except OSError:
        pass   # a read-only folder only costs a rebuild next time
