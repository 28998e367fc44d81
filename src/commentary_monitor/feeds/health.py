"""Feed health: which feeds are failing or have gone quiet, as a table for people.

Pure functions over the rows of the ``feed_health`` view (see docs/warehouse.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from commentary_monitor.config import HealthSettings


def flags(row: dict, settings: HealthSettings, now: datetime) -> list[str]:
    """``failing``: failed ``failing_after`` runs in a row; ``problem``: its last run read it,
    but not cleanly (``last_problem``: malformed XML recovered, entries skipped); ``quiet``:
    nothing new for ``quiet_factor`` times its typical posting interval (and at least
    ``quiet_min_days``)."""
    out = []
    if (row.get("consecutive_failures") or 0) >= settings.failing_after:
        out.append("failing")
    if row.get("last_problem"):
        out.append("problem")
    last, interval = row.get("last_published_at"), row.get("typical_interval_hours")
    if last is not None and interval:
        quiet_for = max(timedelta(hours=interval * settings.quiet_factor), timedelta(days=settings.quiet_min_days))
        if now - last > quiet_for:
            out.append("quiet")
    return out


def assess(rows: list[dict], settings: HealthSettings, now: datetime) -> list[dict]:
    """The rows with a ``flags`` list added."""
    return [{**row, "flags": flags(row, settings, now)} for row in rows]


def _when(dt: datetime | None) -> str:
    return f"{dt:%Y-%m-%d %H:%M}" if dt else "never"


def _interval(hours: float | None) -> str:
    if hours is None:
        return "-"
    if hours < 1:
        return f"{hours * 60:.0f}m"
    return f"{hours:.1f}h" if hours < 48 else f"{hours / 24:.1f}d"


def cut(text: str, n: int) -> str:
    """``text`` on one line, at most ``n`` characters (an ellipsis marks a cut)."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_table(rows: list[dict]) -> str:
    """One line per feed: last success, consecutive failures, last error (or, for a feed read
    with a problem, the problem), items per run, typical posting interval, flags."""
    header = ("feed", "last success", "fails", "last error", "items/run", "new/run", "interval", "flags")
    lines = []
    for r in rows:
        error = (f"{r['last_error_kind']}: {r['last_error'] or ''}" if r.get("last_error_kind")
                 else f"problem: {r['last_problem']}" if r.get("last_problem") else "")
        lines.append((
            cut(r["feed_url"], 60),
            _when(r.get("last_success_at")),
            str(r.get("consecutive_failures") or 0),
            cut(error, 60),
            f"{r['items_per_run']:.0f}" if r.get("items_per_run") is not None else "-",
            f"{r['new_per_run']:.1f}" if r.get("new_per_run") is not None else "-",
            _interval(r.get("typical_interval_hours")),
            ",".join(r.get("flags", [])),
        ))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths)).rstrip()]
    out += [fmt.format(*line).rstrip() for line in lines]
    flagged = sum(1 for r in rows if r.get("flags"))
    out.append(f"{len(rows)} feeds, {flagged} flagged")
    return "\n".join(out)
