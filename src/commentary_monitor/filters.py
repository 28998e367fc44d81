"""The profile's hand-written filters: ``exclude`` terms (mute, as a feed reader's mute
filter) and ``require`` (a boolean query, as an alert).

A require query is words or "quoted phrases" combined with AND, OR, NOT and
parentheses; adjacent terms mean AND; a trailing ``*`` matches any ending
(``commemorat*``). Matching is case-insensitive on whole words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()"]+)')


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    text: str
    tree: tuple

    def matches(self, text: str) -> bool:
        return _eval(self.tree, " " + " ".join(re.findall(r"\w+", text.lower())) + " ")


def _term_pattern(term: str) -> re.Pattern:
    words = re.findall(r"\w+\*?", term.lower())
    if not words:
        raise QueryError(f"empty term {term!r}")
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    return re.compile(r" " + r" ".join(parts) + r" ")


def parse_query(text: str) -> Query:
    tokens = [m.group(1) for m in _TOKEN.finditer(text)]
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def parse_or():
        left = parse_and()
        while peek() == "OR":
            take()
            left = ("or", left, parse_and())
        return left

    def parse_and():
        left = parse_not()
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
            left = ("and", left, parse_not())
        return left

    def parse_not():
        if peek() == "NOT":
            take()
            return ("not", parse_not())
        return parse_atom()

    def parse_atom():
        tok = peek()
        if tok is None:
            raise QueryError("query ends too early")
        if tok == "(":
            take()
            inner = parse_or()
            if peek() != ")":
                raise QueryError("missing ')'")
            take()
            return inner
        if tok in (")", "AND", "OR"):
            raise QueryError(f"unexpected {tok!r}")
        take()
        return ("term", _term_pattern(tok.strip('"')))

    if not tokens:
        raise QueryError("empty query")
    tree = parse_or()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos]!r}")
    return Query(text, tree)


def _eval(node: tuple, padded: str) -> bool:
    kind = node[0]
    if kind == "term":
        return bool(node[1].search(padded))
    if kind == "not":
        return not _eval(node[1], padded)
    if kind == "and":
        return _eval(node[1], padded) and _eval(node[2], padded)
    return _eval(node[1], padded) or _eval(node[2], padded)


def muted_by(text: str, exclude: tuple[str, ...]) -> str | None:
    """The first exclude term the text contains, if any."""
    padded = " " + " ".join(re.findall(r"\w+", text.lower())) + " "
    for term in exclude:
        try:
            if _term_pattern(term).search(padded):
                return term
        except QueryError:
            continue
    return None
