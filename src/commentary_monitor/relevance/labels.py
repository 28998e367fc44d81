"""Labeled articles (``eval --labels``): one JSON object a line with ``title``, ``dek``,
``body``, ``labels`` (profile name -> grade 0/1/2) and optionally ``id`` and ``lang``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from commentary_monitor.errors import UsageError


@dataclass(frozen=True)
class LabeledArticle:
    id: str
    title: str
    text: str
    grades: dict[str, int]   # profile name (as in the labels file) -> 0/1/2
    lang: str = ""           # the labels file's language code, when it gives one



def profile_key(name: str) -> str:
    return name.replace("-", "_").lower()


def parse_labels(lines: list[str], source: str) -> list[LabeledArticle]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            title = obj.get("title") or ""
            text = "\n\n".join(x for x in (obj.get("dek"), obj.get("body")) if x)
            grades = {profile_key(k): v for k, v in obj["labels"].items()}
            lang = str(obj.get("lang") or "").lower().replace("_", "-").split("-")[0]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"{source}:{n}: not a labeled article ({type(exc).__name__}: {exc})") from None
        bad = next((k for k, v in obj["labels"].items() if isinstance(v, bool) or v not in (0, 1, 2)), None)
        if bad is not None:
            raise UsageError(f"{source}:{n}: labels.{bad}: a grade is 0, 1 or 2, not {obj['labels'][bad]!r}")
        if not (title or text).strip():
            raise UsageError(f"{source}:{n}: no title, dek or body: nothing to score")
        out.append(LabeledArticle(str(obj.get("id", n)), title, text, {k: int(v) for k, v in grades.items()}, lang))
    return out
