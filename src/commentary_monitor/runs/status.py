"""`commentary-monitor status`: last runs, next scheduled runs, feed health."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from cronsim import CronSim

from commentary_monitor.config import Config
from commentary_monitor.feeds.health import cut
from commentary_monitor.warehouse.staging import staged_article_count, staged_batches
from commentary_monitor.warehouse.store import Warehouse


def next_runs(cron: str, tz: str, now: datetime, n: int = 2) -> list[datetime]:
    local = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    it = CronSim(cron, local)
    return [next(it).replace(tzinfo=ZoneInfo(tz)) for _ in range(n)]


def render_status(wh: Warehouse | None, cfg: Config, now: datetime | None = None, served: dict | None = None) -> str:
    """``served``: what a running ``serve`` serves (see
    :func:`~commentary_monitor.runs.prefect_server.served_schedules`); else the config's schedule."""
    now = now or datetime.now(timezone.utc)
    if served:
        crons, tz = (("ingest", served["ingest"]), ("digest", served["digest"])), served["timezone"]
        lines = [f"Schedule served by `commentary-monitor serve` (PID {served['pid']}; {served['source']}):"]
    else:
        s = cfg.schedule
        crons, tz = (("ingest", s.ingest), ("digest", s.digest)), s.timezone
        lines = ["Schedule (from the config; no `commentary-monitor serve` is running):"]
    for name, cron in crons:
        when = ", ".join(f"{d:%a %Y-%m-%d %H:%M}" for d in next_runs(cron, tz, now))
        lines.append(f"  {name:<7} '{cron}' ({tz}): next {when}")
    if wh is None:
        return "\n".join(lines)
    lines.append("")
    lines.append("Last runs:")
    rows = wh.con.execute(
        "SELECT kind, started_at, status, round(epoch(finished_at - started_at), 1), feeds_ok, feeds_failed, articles_new "
        "FROM runs ORDER BY started_at DESC LIMIT 8"
    ).fetchall()
    if not rows:
        lines.append("  none yet")
    for kind, started, status, secs, ok, failed, new in rows:
        detail = f"{ok} feed{'' if ok == 1 else 's'} ok, {failed} failed, {new} new" if kind == "ingest" and ok is not None else ""
        took = f"{secs:>6.1f}s" if secs is not None else "      -"
        lines.append(f"  {started:%Y-%m-%d %H:%M} UTC  {kind:<7} {status:<9} {took}  {detail}")
    staged = staged_article_count(cfg.warehouse_path)
    if staged_batches(cfg.warehouse_path):
        lines.append(f"  {staged} article{'' if staged == 1 else 's'} staged: the warehouse was busy "
                     f"(in {cfg.warehouse_path.parent / 'staging'}; committed by the next run that finds it free)")
    lines.append("")
    # The feeds' own state (what `commentary-monitor feeds` shows), for those fetched at least once.
    health = [h for h in wh.feed_health() if h["runs"]]
    failing = sorted((h for h in health if h["consecutive_failures"]),
                     key=lambda h: (-h["consecutive_failures"], h["feed_url"]))
    # Feeds whose last run read them, but not cleanly (malformed XML recovered, entries skipped).
    problems = [(h["feed_url"], h["last_problem"]) for h in health if h["last_problem"]]
    lines.append(f"Feeds: {len(health)} seen, {len(health) - len(failing)} ok on their last run, {len(failing)} failing"
                 + (f", {len(problems)} read with problems" if problems else ""))
    for h in failing[:15]:
        runs, last_ok = h["consecutive_failures"], h["last_success_at"]
        since = f"last ok {last_ok:%Y-%m-%d}" if last_ok else "never ok"
        lines.append(f"  {h['last_error_kind'] or 'error':<10} failing {runs} run{'s' if runs != 1 else ''}, "
                     f"{since}: {h['feed_url']}")
    if len(failing) > 15:
        lines.append(f"  ... and {len(failing) - 15} more")
    for url, problem in problems[:15]:
        lines.append(f"  {'problem':<10} read, kept what could be read: {url} ({cut(problem, 100)})")
    if len(problems) > 15:
        lines.append(f"  ... and {len(problems) - 15} more (fetches.problem)")
    return "\n".join(lines)

