"""ISO weeks: the unit a digest covers, parsed from ``--week`` and bounded in the digest's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from commentary_monitor.errors import UsageError

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

    @property
    def span(self) -> str:
        """'9 to 15 November 2026', '27 October to 2 November 2026', '29 December 2025 to 4 January 2026'."""
        mon, sun = self.monday, self.sunday
        first = f"{mon.day}" if mon.month == sun.month else f"{mon.day} {mon:%B}" if mon.year == sun.year \
            else f"{mon.day} {mon:%B %Y}"
        return f"{first} to {sun.day} {sun:%B %Y}"

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


def parse_started_week(text: str, now: datetime, tz: str) -> IsoWeek:
    """:func:`parse_week`, refusing a week that has not started yet in ``tz`` (its digest
    would be empty, and recorded as written)."""
    week = parse_week(text)
    start, _ = week.bounds_utc(tz)
    if start > now.astimezone(timezone.utc).replace(tzinfo=None):
        raise UsageError(f"--week: {week.label} has not started yet (it starts on {week.monday.isoformat()})")
    return week


def week_of(day: date) -> IsoWeek:
    y, w, _ = day.isocalendar()
    return IsoWeek(y, w)


def last_complete_week(now: datetime, tz: str) -> IsoWeek:
    """The most recent ISO week that has fully ended in ``tz``."""
    local = now.astimezone(ZoneInfo(tz)).date()
    return week_of(local - timedelta(days=7))
