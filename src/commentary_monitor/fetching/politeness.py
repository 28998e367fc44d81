"""Being a polite client: per-host concurrency and spacing, robots.txt, Retry-After.

Nothing here does I/O by itself; :class:`~commentary_monitor.fetching.fetch.Fetcher` uses these.
"""

from __future__ import annotations

import asyncio
import email.utils
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from urllib.parse import urlsplit

from protego import Protego


def host_key(url: str) -> str:
    """``host:port`` of a URL: the unit of politeness."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"{(parts.hostname or '').lower()}:{port}"


# When each host may next be asked, shared by every limiter in the process: the batches of a
# run fetch one after the other, each with its own client, and the spacing must carry over.
_next_start: dict[str, float] = {}
_next_start_lock = threading.Lock()


class HostLimiter:
    """At most ``concurrency`` requests in flight per host, and request starts at least
    ``delay`` seconds apart (a robots.txt ``Crawl-delay`` can raise a host's delay), the
    spacing kept across limiters (and threads) of the same process."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        self._delays[host] = max(self.delay, delay)

    @asynccontextmanager
    async def slot(self, url: str, hold: float | None = None, on_let_go=None):
        """One request to ``url``'s host, started in its turn. With ``hold``, a request still
        running that many seconds after its start stops counting against the host's
        concurrency (it keeps its connection, up to its deadline): two responses that drip
        cannot keep every other page of their host waiting for the whole deadline
        (``on_let_go()`` is called then, for a caller that keeps its own count)."""
        host = host_key(url)
        sem = self._sems.setdefault(host, asyncio.Semaphore(self.concurrency))
        lock = self._locks.setdefault(host, asyncio.Lock())
        await sem.acquire()
        held = True

        def let_go(early: bool = False) -> None:
            nonlocal held
            if held:
                held = False
                sem.release()
                if early and on_let_go is not None:
                    on_let_go()

        timer = None
        try:
            async with lock:
                with _next_start_lock:   # reserve this start, then wait for it without the lock
                    now = time.monotonic()
                    start = max(now, _next_start.get(host, 0.0))
                    _next_start[host] = start + self._delays.get(host, self.delay)
                if start > now:
                    await asyncio.sleep(start - now)
            if hold is not None:
                timer = asyncio.get_running_loop().call_later(hold, let_go, True)
            yield
        finally:
            if timer is not None:
                timer.cancel()
            let_go()


# Seconds each host spent on failed requests in this run, shared like _next_start: the
# batches of a run fetch one after the other, each with its own client.
_failing_seconds: dict[str, float] = {}


def reset_host_budgets() -> None:
    """A new run: every host's time budget is whole again."""
    with _next_start_lock:
        _failing_seconds.clear()


def spend_failing(host: str, seconds: float) -> float:
    """Count ``seconds`` of a failed request against ``host``; its total in this run."""
    with _next_start_lock:
        _failing_seconds[host] = _failing_seconds.get(host, 0.0) + seconds
        return _failing_seconds[host]


def failing_seconds(host: str) -> float:
    return _failing_seconds.get(host, 0.0)


UNREACHABLE = "\x00unreachable: "   # marks a robots.txt that could not be read (kept as its "text")


class Robots:
    """robots.txt rules of one host, parsed with protego. No robots.txt (a 404) allows
    everything; one that could not be read (a timeout, a 5xx) allows nothing for now, as
    Google's crawler does: ``unreachable`` says why."""

    def __init__(self, text: str | None) -> None:
        self.unreachable = text[len(UNREACHABLE):] if text and text.startswith(UNREACHABLE) else None
        self._rules = Protego.parse(text) if text and not self.unreachable else None

    def allowed(self, url: str, user_agent: str) -> bool:
        return self._rules is None or self._rules.can_fetch(url, user_agent)

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._rules is None:
            return None
        d = self._rules.crawl_delay(user_agent)
        return float(d) if d is not None else None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
