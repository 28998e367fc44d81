"""Topic profiles built from seed essays (and an optional description)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .config import ProfileConfig

MIN_PASSAGE_WORDS = 30      # shorter blocks in a seed are captions, bylines, navigation
MAX_PASSAGE_WORDS = 220     # longer blocks are split so a passage stays one argument

_BLOCK_SPLIT = re.compile(r"\n\s*\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class SeedPassage:
    source: str      # file name of the seed essay, or "description"
    text: str


@dataclass(frozen=True)
class Profile:
    name: str
    threshold: float
    description: str
    passages: tuple[SeedPassage, ...]
    version: str     # a digest of everything the profile is built from


def split_passages(text: str, min_words: int = MIN_PASSAGE_WORDS, max_words: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Split an essay into argument-sized passages: its paragraphs, long ones cut at
    sentence ends, short fragments (headings, captions, bylines) dropped."""
    out: list[str] = []
    for block in _BLOCK_SPLIT.split(text):
        block = " ".join(block.split())
        words = block.split()
        if len(words) < min_words:
            continue
        if len(words) <= max_words:
            out.append(block)
            continue
        current: list[str] = []
        for sentence in _SENTENCE_END.split(block):
            current.append(sentence)
            if sum(len(s.split()) for s in current) >= max_words // 2:
                out.append(" ".join(current))
                current = []
        if current:
            tail = " ".join(current)
            if out and len(tail.split()) < min_words:
                out[-1] = out[-1] + " " + tail
            else:
                out.append(tail)
    return out


def build_profile(cfg: ProfileConfig) -> Profile:
    passages: list[SeedPassage] = []
    for essay in cfg.seeds:
        passages.extend(SeedPassage(essay.path.name, p) for p in split_passages(essay.text))
    if cfg.description:
        # The description is the user's own words for the theme: always kept, however short.
        passages.append(SeedPassage("description", " ".join(cfg.description.split())))
    h = hashlib.sha256()
    for p in passages:
        h.update(p.source.encode() + b"\0" + p.text.encode() + b"\0")
    h.update(repr(cfg.threshold).encode())
    return Profile(
        name=cfg.name,
        threshold=cfg.threshold,
        description=cfg.description,
        passages=tuple(passages),
        version=h.hexdigest()[:12],
    )
