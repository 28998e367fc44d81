"""The weekly digest: select the week's relevant articles per profile and render Markdown.

Per profile: the relevant articles ranked, syndicated copies collapsed into one item
("also published by"), and a short "also mentioned" list from just below the threshold.
The week overview and the source-health footer come from :mod:`.digest_overview`; the
HTML and plain-text renderings from :mod:`.digest_html`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, urlsplit

import jinja2

from commentary_monitor.digest import duplicates
from commentary_monitor.config import DigestSettings, ProfileConfig
from commentary_monitor.digest.overview import Overview, build_overview
from commentary_monitor.relevance.profiles import Profile
from commentary_monitor.warehouse.store import Warehouse
from commentary_monitor.digest.weeks import IsoWeek

DIGEST_LANGUAGE = "en"   # what the digest's own words are written in
# Names for the languages an item may be in; any other shows as its code.
LANGUAGE_NAMES = {
    "ar": "Arabic", "be": "Belarusian", "bg": "Bulgarian", "cs": "Czech", "de": "German", "en": "English",
    "es": "Spanish", "fa": "Persian", "fr": "French", "he": "Hebrew", "hi": "Hindi", "it": "Italian",
    "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "mn": "Mongolian", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}


@dataclass(frozen=True)
class DigestItem:
    article_id: str
    title: str
    url: str
    outlet: str
    author: str | None
    published: date
    score: float
    excerpt: str
    terms: tuple[str, ...]
    seed_passage: str = ""            # the closest passage of the profile's seed essays
    seed_source: str = ""             # the seed essay it comes from (file name)
    also: tuple["Copy", ...] = ()     # syndicated copies and near-duplicates
    language: str | None = None       # the article's language code, None when not known

    @property
    def foreign_language(self) -> str | None:
        """The language's name when it is not the digest's own (English), else None: the
        item says "in Russian" and its title and excerpt carry that language (HTML ``lang``)."""
        if not self.language or self.language == DIGEST_LANGUAGE:
            return None
        return LANGUAGE_NAMES.get(self.language, self.language)


@dataclass(frozen=True)
class Copy:
    article_id: str
    outlet: str
    url: str


@dataclass(frozen=True)
class DigestSection:
    profile: str
    threshold: float
    items: tuple[DigestItem, ...]
    mentions: tuple[DigestItem, ...] = ()   # partly relevant: just below the threshold

    @property
    def article_ids(self) -> list[str]:
        return [it.article_id for it in self.items]


@dataclass(frozen=True)
class Digest:
    week: IsoWeek
    timezone: str
    generated_at: datetime
    sections: tuple[DigestSection, ...]
    overview: Overview | None = None
    chart: str | None = None          # file name of the chart beside the Markdown, if drawn

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def subject(self) -> str:
        counts = ", ".join(f"{s.profile} {len(s.items)}" for s in self.sections)
        return f"Commentary digest {self.week.label}: {self.total} relevant article{'s' if self.total != 1 else ''}" + (
            f" ({counts})" if counts else "")


def _excerpt(evidence: dict, text: str, title: str | None, limit: int) -> str:
    passage = evidence.get("article_passage") or text or ""
    passage = " ".join(passage.split())
    if title and passage.startswith(title.strip()):
        passage = passage[len(title.strip()):].lstrip(" .:-")   # extracted text often opens with the headline
    if len(passage) <= limit:
        return passage
    cut = passage[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


SEED_CHARS = 200   # the closest seed passage is a pointer to the essay, not a second excerpt


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split()).rstrip("…")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _item(r: dict, excerpt_chars: int) -> DigestItem:
    ev = r["evidence"]
    return DigestItem(
        article_id=r["article_id"],
        title=r["title"] or r["url"],
        url=r["url"],
        outlet=r["outlet"] or urlsplit(r["url"]).hostname or "",
        author=r["author"],
        published=r["published_at"].date(),
        score=r["score"],
        excerpt=_excerpt(ev, r["text"], r["title"], excerpt_chars),
        terms=tuple(ev.get("terms", ())[:5]),
        seed_passage=_clip(str(ev.get("seed_passage") or ""), SEED_CHARS),
        seed_source=Path(str(ev.get("seed_source") or "")).name,
        language=r.get("language"),
    )


def collapse(rows: list[dict], excerpt_chars: int, limit: int) -> tuple[DigestItem, ...]:
    """Ranked rows -> at most ``limit`` items, each story once with its copies in ``also``."""
    return tuple(_groups_to_items(rows, duplicates.groups([r["title"] or "" for r in rows],
                                                          [r["text"] or "" for r in rows]), excerpt_chars)[:limit])


def _groups_to_items(rows: list[dict], found: list[list[int]], excerpt_chars: int) -> list[DigestItem]:
    items = []
    for group in found:
        first = _item(rows[group[0]], excerpt_chars)
        copies = tuple(Copy(rows[i]["article_id"], rows[i]["outlet"] or urlsplit(rows[i]["url"]).hostname or "",
                            rows[i]["url"]) for i in group[1:])
        items.append(replace(first, also=copies))
    return items


def _split(relevant: list[dict], near: list[dict], excerpt_chars: int, max_items: int,
           max_mentions: int) -> tuple[tuple[DigestItem, ...], tuple[DigestItem, ...]]:
    """Collapse relevant and near-miss rows together, so a story's below-threshold copy is
    listed under its relevant item rather than again as "also mentioned"."""
    rows = relevant + near          # still in rank order: every relevant score is above every near-miss
    found = duplicates.groups([r["title"] or "" for r in rows], [r["text"] or "" for r in rows])
    items = _groups_to_items(rows, [g for g in found if g[0] < len(relevant)], excerpt_chars)
    mentions = _groups_to_items(rows, [g for g in found if g[0] >= len(relevant)], excerpt_chars)
    return tuple(items[:max_items]), tuple(mentions[:max_mentions])


def collect(wh: Warehouse, profiles: Sequence[Profile | ProfileConfig], week: IsoWeek, settings: DigestSettings,
            now: datetime | None = None, feed_urls: list[str] | None = None) -> Digest:
    now = now or datetime.now(timezone.utc)
    start, end = week.bounds_utc(settings.timezone)
    sections = []
    for prof in profiles:
        # Fetch more than shown: collapsing copies can shrink the list.
        rows = wh.relevant_in_range(prof.name, start, end, settings.max_items * 4, settings.languages)
        mention_rows = []
        if settings.max_mentions:
            low = max(0.0, prof.threshold - settings.mention_band)
            mention_rows = wh.mentions_in_range(prof.name, start, end, low, settings.max_mentions * 4,
                                                settings.languages)
        items, mentions = _split(rows, mention_rows, settings.excerpt_chars, settings.max_items, settings.max_mentions)
        sections.append(DigestSection(prof.name, prof.threshold, items, mentions))
    # Source health as it stood at the end of the week (or now, for the week in progress): a
    # digest of a past week, written again later, shows the feeds as its readers saw them.
    health_at = min(now, end.replace(tzinfo=timezone.utc))
    overview = build_overview(wh, [p.name for p in profiles], week, settings.timezone, list(feed_urls or ()),
                              health_at, settings.quiet_days)
    return Digest(week, settings.timezone, now, tuple(sections), overview)


# --- rendering ----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()|~])")
# Characters that only mean something where a block starts ("- item", "# heading",
# "1. item", "+ item", "= underline"): escaped there, left alone inside a line so that
# "Sino-Soviet" stays readable as plain text.
_MD_BLOCK_START = re.compile(r"^(\d*)([-+#=.)])")


def md_text(value: object) -> str:
    """Article-derived text made inert in Markdown: no markup, no raw HTML, one line."""
    text = " ".join(str(value or "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(r"\1\\\2", text)


def md_url(value: object) -> str:
    """Only http(s) links; characters that would end a Markdown link are percent-encoded."""
    url = str(value or "")
    if urlsplit(url).scheme not in ("http", "https"):
        return ""
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def template_environment(autoescape: bool) -> jinja2.Environment:
    """The templates/ loader every digest format renders with."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commentary_monitor.digest", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _environment() -> jinja2.Environment:
    env = template_environment(False)   # Markdown, not HTML: every article-derived value goes through md_text
    env.filters["md"] = md_text
    env.filters["md_url"] = md_url
    return env


def render_markdown(digest: Digest) -> str:
    return _environment().get_template("digest.md.j2").render(d=digest)


def write_markdown(directory: Path, digest: Digest, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest.week.label}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)   # atomic: a reader never sees half a digest
    return path
