"""The weekly digest: select the week's relevant articles per profile and render Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2

from .config import DigestSettings
from .errors import UsageError
from .profiles import Profile
from .warehouse import Warehouse

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def bounds_utc(self, tz: str) -> tuple[datetime, datetime]:
        """[Monday 00:00, next Monday 00:00) in ``tz``, as naive UTC datetimes."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.monday, time(0), zone)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), zone)
        return (start.astimezone(timezone.utc).replace(tzinfo=None), end.astimezone(timezone.utc).replace(tzinfo=None))


def parse_week(text: str) -> IsoWeek:
    m = _WEEK.match(text.strip())
    if not m:
        raise UsageError(f"--week: expected an ISO week like 2026-W47, got {text!r}")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(f"--week: {year} has no week {week}") from None
    return IsoWeek(year, week)


def week_of(day: date) -> IsoWeek:
    y, w, _ = day.isocalendar()
    return IsoWeek(y, w)


def last_complete_week(now: datetime, tz: str) -> IsoWeek:
    """The most recent ISO week that has fully ended in ``tz``."""
    local = now.astimezone(ZoneInfo(tz)).date()
    return week_of(local - timedelta(days=7))


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
    seed_passage: str = ""     # the closest passage of the profile's seeds
    seed_source: str = ""


@dataclass(frozen=True)
class DigestSection:
    profile: str
    threshold: float
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Digest:
    week: IsoWeek
    timezone: str
    generated_at: datetime
    sections: tuple[DigestSection, ...]

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)


def _excerpt(evidence: dict, text: str, title: str | None, limit: int) -> str:
    passage = evidence.get("article_passage") or text or ""
    passage = " ".join(passage.split())
    if title and passage.startswith(title.strip()):
        passage = passage[len(title.strip()):].lstrip(" .:-")   # extracted text often opens with the headline
    if len(passage) <= limit:
        return passage
    cut = passage[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def collect(wh: Warehouse, profiles: list[Profile], week: IsoWeek, settings: DigestSettings,
            now: datetime | None = None) -> Digest:
    start, end = week.bounds_utc(settings.timezone)
    sections = []
    for prof in profiles:
        rows = wh.relevant_in_range(prof.name, start, end, settings.max_items)
        items = tuple(
            DigestItem(
                article_id=r["article_id"],
                title=r["title"] or r["url"],
                url=r["url"],
                outlet=r["outlet"] or urlsplit(r["url"]).hostname or "",
                author=r["author"],
                published=r["published_at"].date(),
                score=r["score"],
                excerpt=_excerpt(r["evidence"], r["text"], r["title"], settings.excerpt_chars),
                terms=tuple(r["evidence"].get("terms", ())[:5]),
                seed_passage=_excerpt({"article_passage": r["evidence"].get("seed_passage", "")}, "", None,
                                      settings.excerpt_chars // 2),
                seed_source=r["evidence"].get("seed_source", ""),
            )
            for r in rows
        )
        sections.append(DigestSection(prof.name, prof.threshold, items))
    return Digest(week, settings.timezone, now or datetime.now(timezone.utc), tuple(sections))


# --- rendering ----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_text(value: object) -> str:
    """Article-derived text made inert in Markdown: no markup, no raw HTML, one line."""
    text = " ".join(str(value or "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_url(value: object) -> str:
    """Only http(s) links; characters that would end a Markdown link are percent-encoded."""
    url = str(value or "")
    if urlsplit(url).scheme not in ("http", "https"):
        return ""
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("commentary_monitor", "templates"),
        autoescape=False,  # Markdown, not HTML: every article-derived value goes through md_text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
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
