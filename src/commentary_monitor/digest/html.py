"""The digest as HTML (the email body and the archived ``.html``) and as plain text.

HTML goes through jinja2 with autoescape on, so every article-derived value is text,
never markup; links are http(s) only. The plain-text rendering needs no escaping
(``text/plain`` is inert) but keeps each value on one line.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import jinja2

from commentary_monitor.digest.build import Digest, template_environment


def safe_url(value: object) -> str:
    """The URL if it is http(s) with a host, else empty (no javascript:, data:, file:)."""
    url = str(value or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t "):
        return ""
    return url


def one_line(value: object) -> str:
    return " ".join(str(value or "").split())


def _environment(autoescape: bool) -> jinja2.Environment:
    env = template_environment(autoescape)
    env.filters["safe_url"] = safe_url
    env.filters["line"] = one_line
    env.filters["split_lines"] = lambda s: str(s).split("\n")
    return env


def render_html(digest: Digest, chart_src: str | None = None) -> str:
    """``chart_src``: the chart's address, ``cid:...`` in an email or the file name beside the archive."""
    return _environment(True).get_template("digest.html.j2").render(d=digest, chart_src=chart_src)


def render_text(digest: Digest) -> str:
    return _environment(False).get_template("digest.txt.j2").render(d=digest)
