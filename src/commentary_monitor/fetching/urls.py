"""The key an article is stored under: its canonical URL and the id made from it."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan


def canonical_url(url: str) -> str:
    """The key an article is stored under: tracking parameters (utm_*, fbclid, ...) and
    the fragment removed, host lower-cased, query parameters sorted."""
    try:
        cleaned = courlan.normalize_url(url, strict=True)
    except (ValueError, TypeError):
        cleaned = url
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def article_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
