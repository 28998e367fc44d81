"""The digest's week overview and source-health footer.

Counts per profile against the previous weeks (also what the chart draws), the most
active outlets, the terms that rose this week, and the feeds that are failing or have
gone quiet. Everything here is read from the warehouse and returned as plain values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from commentary_monitor.digest.weeks import IsoWeek, week_of
from commentary_monitor.warehouse.store import Warehouse

CHART_WEEKS = 12        # the chart's span, this week included
BASELINE_WEEKS = 4      # "previous weeks" for counts and rising terms
MAX_OUTLETS = 5
MAX_RISING = 5


@dataclass(frozen=True)
class ProfileTrend:
    profile: str
    weeks: tuple[str, ...]        # ISO week labels, oldest first, this week last
    counts: tuple[int, ...]       # relevant articles per week
    rising: tuple[tuple[str, int, float], ...]   # (term, articles this week, weekly average before)

    @property
    def this_week(self) -> int:
        return self.counts[-1]

    @property
    def previous(self) -> tuple[int, ...]:
        """The counts of the previous BASELINE_WEEKS weeks, most recent first."""
        return tuple(reversed(self.counts[-1 - BASELINE_WEEKS:-1]))

    @property
    def previous_average(self) -> float:
        prev = self.previous
        return sum(prev) / len(prev) if prev else 0.0


@dataclass(frozen=True)
class OutletActivity:
    outlet: str
    articles: int
    relevant: int


@dataclass(frozen=True)
class FeedHealth:
    feed_url: str
    name: str
    state: str                    # 'failing', 'failed' (in the week, fine since), 'unfetched' (not in the week) or 'quiet'
    error_kind: str | None
    error: str | None
    failures: int                 # failing: failed fetches in a row; failed: failed fetches in the week
    since: datetime | None        # failing: last good fetch; unfetched: the failed attempt, else the last good fetch;
                                  # quiet: last new article (UTC)
    fetches: int = 0              # fetches in the week


@dataclass(frozen=True)
class Overview:
    trends: tuple[ProfileTrend, ...]
    outlets: tuple[OutletActivity, ...]
    health: tuple[FeedHealth, ...]
    health_checked: int           # configured feeds whose health was looked at
    quiet_days: int


def weeks_back(week: IsoWeek, n: int) -> list[IsoWeek]:
    """The ``n`` ISO weeks ending with ``week``, oldest first."""
    return [week_of(week.monday - timedelta(weeks=k)) for k in range(n - 1, -1, -1)]


def _local_week(at: datetime, zone: ZoneInfo) -> str:
    return week_of(at.replace(tzinfo=timezone.utc).astimezone(zone).date()).label


def build_overview(wh: Warehouse, profiles: list[str], week: IsoWeek, tz: str, feed_urls: list[str],
                   health_at: datetime, quiet_days: int) -> Overview:
    zone = ZoneInfo(tz)
    span = weeks_back(week, CHART_WEEKS)
    labels = tuple(w.label for w in span)
    start, _ = span[0].bounds_utc(tz)
    week_start, end = week.bounds_utc(tz)

    counts: Counter[tuple[str, str]] = Counter()
    for profile, at in wh.relevant_per_week(start, end):
        counts[(profile, _local_week(at, zone))] += 1

    baseline = {w.label for w in span[-1 - BASELINE_WEEKS:-1]}
    term_now: dict[str, Counter[str]] = {p: Counter() for p in profiles}
    term_before: dict[str, Counter[str]] = {p: Counter() for p in profiles}
    base_start, _ = span[-1 - BASELINE_WEEKS].bounds_utc(tz)
    for profile, at, terms in wh.relevant_terms(base_start, end):
        if profile not in term_now:
            continue
        label = _local_week(at, zone)
        target = term_now if label == week.label else term_before if label in baseline else None
        if target is not None:
            target[profile].update(set(terms))

    trends = []
    for p in profiles:
        rising = []
        for term, n in term_now[p].items():
            before = term_before[p][term] / BASELINE_WEEKS
            if n >= 2 and n > 2 * before:      # at least two articles and more than double the usual
                rising.append((term, n, before))
        rising.sort(key=lambda r: (-(r[1] - r[2]), r[0]))
        trends.append(ProfileTrend(p, labels, tuple(counts[(p, w)] for w in labels), tuple(rising[:MAX_RISING])))

    outlets = tuple(OutletActivity(*row) for row in wh.outlet_activity(week_start, end)[:MAX_OUTLETS])
    naive_now = health_at.astimezone(timezone.utc).replace(tzinfo=None)
    health = tuple(FeedHealth(**h) for h in wh.digest_source_health(feed_urls, naive_now, quiet_days,
                                                                        since=week_start))
    return Overview(tuple(trends), outlets, health, len(feed_urls), quiet_days)
