"""Article text and metadata from HTML (the only module that imports trafilatura)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import lxml.html
import trafilatura
from lxml.etree import ParserError


@dataclass(frozen=True)
class Extracted:
    title: str | None
    author: str | None
    published: datetime | None
    sitename: str | None
    language: str | None
    text: str


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z]{2,3})\b", re.IGNORECASE)


def _html_lang(html: bytes | str) -> str | None:
    # trafilatura reports a language only when asked to filter by one: read <html lang>.
    head = html[:8192]
    m = _HTML_LANG.search(head.encode("utf-8", "replace") if isinstance(head, str) else head)
    return m.group(1).decode("ascii").lower() if m else None


def extract_page(html: bytes | str, url: str) -> Extracted | None:
    """Main text and metadata of an article page, or None when nothing was found.

    ``html`` is the raw bytes (trafilatura detects the charset), or text already decoded."""
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(
        title=(doc.title or None),
        author=(doc.author or None),
        published=_date(doc.date),
        sitename=(doc.sitename or None),
        language=(doc.language or _html_lang(html)),
        text=doc.text.strip(),
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment such as a feed entry's summary."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return " ".join(fragment.split())
    try:
        root = lxml.html.fromstring(fragment)
    except (ParserError, ValueError):
        return " ".join(fragment.split())
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    blocks = []
    for el in root.iter("p", "li", "h1", "h2", "h3", "h4", "blockquote"):
        t = " ".join(el.text_content().split())
        if t:
            blocks.append(t)
    if not blocks:
        return " ".join(root.text_content().split())
    return "\n\n".join(blocks)


# --- many pages: a pool of worker processes ------------------------------------------------

MIN_POOL_JOBS = 8      # below this, starting work in other processes costs more than it saves


@dataclass(frozen=True)
class ExtractionFailed:
    """A page whose extraction crashed its worker process (the run goes on without it)."""
    reason: str


_pool = None
_pool_workers = 0


def _get_pool(workers: int):
    global _pool, _pool_workers
    if _pool is None or _pool_workers != workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        shutdown_pool()
        # forkserver: workers start from a clean interpreter, not a fork of a process
        # that runs threads (Prefect's, the HTTP client's).
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
        _pool_workers = workers
    return _pool


def shutdown_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _extract_job(job: tuple[bytes | str, str]) -> Extracted | None:
    return extract_page(job[0], job[1])


def extract_many(jobs: list[tuple[bytes | str, str]], workers: int) -> list[Extracted | ExtractionFailed | None]:
    """Extract many pages, on ``workers`` processes when there are enough of them.

    A page that kills its worker (a crash inside lxml, memory) is reported as
    :class:`ExtractionFailed`, with the rest of its batch, instead of ending the run."""
    if workers <= 1 or len(jobs) < MIN_POOL_JOBS:
        return [extract_page(html, url) for html, url in jobs]
    from concurrent.futures.process import BrokenProcessPool

    pool = _get_pool(workers)
    try:
        return list(pool.map(_extract_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
    except BrokenProcessPool as exc:
        shutdown_pool()
        return [ExtractionFailed(f"worker process died ({exc})") for _ in jobs]
