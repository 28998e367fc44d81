"""Content checks before extraction: is this HTML at all, and what text does it decode to."""

from __future__ import annotations

import re

from commentary_monitor.fetching.fetch import Fetched

# Magic bytes of documents that are not HTML, whatever Content-Type says.
NOT_HTML_MAGIC = {
    b"%PDF-": "PDF", b"\x89PNG\r\n\x1a\n": "PNG image", b"GIF87a": "GIF image", b"GIF89a": "GIF image",
    b"\xff\xd8\xff": "JPEG image", b"PK\x03\x04": "ZIP archive", b"\x1f\x8b": "gzip data",
    b"RIFF": "RIFF media", b"OggS": "Ogg media", b"ID3": "MP3 audio",
}


def sniff_not_html(content: bytes) -> str | None:
    """What a body is when its first bytes say it is not HTML (whatever Content-Type claims)."""
    head = content[:1024].lstrip()[:16]
    for magic, what in NOT_HTML_MAGIC.items():
        if head.startswith(magic):
            return what
    return None


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_-]+)", re.IGNORECASE)


def page_markup(page: Fetched) -> bytes | str:
    """What extraction gets: the bytes, or, when the page says it is UTF-8 but is not
    valid UTF-8, the text decoded with U+FFFD replacements (instead of a guessed codec)."""
    declared = page.charset
    if not declared:
        m = _META_CHARSET.search(page.content[:4096])
        declared = m.group(1).decode("ascii").lower() if m else None
    if declared in ("utf-8", "utf8"):
        try:
            page.content.decode("utf-8")
        except UnicodeDecodeError:
            return page.content.decode("utf-8", "replace")
    return page.content


def clean_text(value: str | None) -> str | None:
    """Valid UTF-8 for DuckDB: lone surrogates replaced."""
    if value is None:
        return None
    return value.encode("utf-8", "replace").decode("utf-8")
