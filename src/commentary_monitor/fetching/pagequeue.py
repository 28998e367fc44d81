"""The pages of a run, fetched in the background with one queue per host.

A batch used to fetch its own pages and wait for the slowest of them: a host with a
``Crawl-delay`` (or one whose responses drip) held up its whole batch, and with it every
other host's pages. Here each host's pages are fetched at that host's own pace, the other
hosts' pages go on meanwhile, and a batch takes whichever pages have arrived.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Generic, TypeVar

from commentary_monitor import stopping
from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import FetchError
from commentary_monitor.fetching.fetch import Fetched, Fetcher
from commentary_monitor.fetching.politeness import host_key

T = TypeVar("T")

AHEAD = 200   # pages fetched ahead of the batches (arrived, or being fetched): what memory holds


class PageQueue(Generic[T]):
    """Fetches the URL of each item added, in the order added except that a host never has
    more than ``per_host_concurrency`` of its pages started (so a slow host waits on its own
    pages, not on others'), at most ``ahead`` pages fetched but not yet taken.

    Used from any thread: the fetching runs in a thread of its own, with its own event loop
    and one :class:`~commentary_monitor.fetching.fetch.Fetcher` for the whole run (the per-host
    spacing, robots.txt and Crawl-delay in one place), started with the first pages added::

        with PageQueue(settings, max_bytes, accept) as pages:
            pages.add([(item, url), ...], robots_texts)
            batch = pages.take(50)    # [(item, Fetched | FetchError), ...]
    """

    def __init__(self, settings: FetchSettings, max_bytes: int, accept: str = "*/*", robots: bool = False,
                 ahead: int = AHEAD) -> None:
        self.settings = settings
        self.max_bytes = max_bytes
        self.accept = accept
        self.robots = robots
        self.ahead = ahead
        self._cond = threading.Condition()
        self._take_lock = threading.Lock()    # one batch takes at a time, so each gets its whole share
        self._waiting: dict[str, deque] = {}  # host -> (order, item, url) not started yet
        self._running: dict[str, int] = {}    # host -> pages started, not arrived
        self._started = 0
        self._arrived: list[tuple[int, T, Fetched | FetchError]] = []
        self._added = self._taken = 0
        self._wanted = 0                      # pages the batch taking now waits for
        self._robots_texts: dict[str, str | None] = {}
        self._error: BaseException | None = None
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._busy_since: float | None = None
        self._busy = 0.0

    # -- the callers' side (any thread) --------------------------------------------------

    def __enter__(self) -> "PageQueue[T]":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def add(self, items: list[tuple[T, str]], robots_texts: dict[str, str | None] | None = None) -> None:
        """Queue ``(item, url)`` pairs; ``robots_texts`` (origin -> robots.txt, from
        :func:`~commentary_monitor.fetching.fetch.fetch_robots`) spares fetching those again."""
        if self._thread is None:   # started with the first pages: a run with none has no thread
            self._thread = threading.Thread(target=self._run, name="page-queue", daemon=True)
            self._thread.start()
            self._ready.wait()
        with self._cond:
            self._robots_texts.update(robots_texts or {})
            for item, url in items:
                self._waiting.setdefault(host_key(url), deque()).append((self._added, item, url))
                self._added += 1
        self._wake()

    @property
    def outstanding(self) -> int:
        """Pages added and not taken yet."""
        return self._added - self._taken

    @property
    def busy_seconds(self) -> float:
        """Wall time during which some page was being fetched (or waiting for its host's turn)."""
        with self._cond:
            return self._busy + (time.monotonic() - self._busy_since if self._busy_since is not None else 0.0)

    def take(self, n: int) -> list[tuple[T, Fetched | FetchError]]:
        """The next ``n`` pages to arrive (fewer when fewer are outstanding), in the order
        they were added; waits for them, and raises
        :class:`~commentary_monitor.errors.Stopped` if a stop is asked for meanwhile."""
        with self._take_lock:
            with self._cond:
                want = self._wanted = min(n, self.outstanding)
                if len(self._arrived) < want:
                    self._wake()   # a batch larger than ``ahead`` makes room for itself
                try:
                    while len(self._arrived) < want:
                        if self._error is not None:
                            raise RuntimeError(f"page queue: {self._error}") from self._error
                        stopping.check("fetching")
                        if self._closing:
                            raise RuntimeError("page queue: closed")
                        self._cond.wait(stopping.POLL)
                finally:
                    self._wanted = 0
                self._arrived.sort(key=lambda got: got[0])
                taken, self._arrived = self._arrived[:want], self._arrived[want:]
                self._taken += want
        self._wake()   # room ahead again
        return [(item, page) for _, item, page in taken]

    def close(self) -> None:
        """Cancel what is still being fetched and end the queue's thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the fetching side (the queue's own thread) --------------------------------------

    def _wake(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:   # the loop closed meanwhile
                pass

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:   # noqa: BLE001 - handed to the takers
            with self._cond:
                self._error = exc
                self._cond.notify_all()
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        tasks: set[asyncio.Task] = set()
        async with Fetcher(self.settings) as fetcher:
            try:
                while True:
                    with self._cond:
                        if self._closing or stopping.requested():   # the takers see a stop themselves
                            break
                        if self._robots_texts:
                            fetcher.know_robots(self._robots_texts)
                            self._robots_texts = {}
                        starts = self._next_starts()
                    for host, item, order, url in starts:
                        task = asyncio.create_task(self._fetch(fetcher, host, order, item, url))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    self._event.clear()
                    if not starts:
                        try:
                            await asyncio.wait_for(self._event.wait(), stopping.POLL)
                        except TimeoutError:
                            pass
            finally:
                for task in list(tasks):
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def _next_starts(self) -> list[tuple[str, T, int, str]]:
        """The pages to start now (called holding the lock): the earliest added first, but
        none of a host that has its ``per_host_concurrency`` started already."""
        starts = []
        room = max(self.ahead, self._wanted) - len(self._arrived) - self._started
        limit = self.settings.per_host_concurrency
        while room > 0:
            ready = [(q[0][0], host) for host, q in self._waiting.items() if q and self._running.get(host, 0) < limit]
            if not ready:
                break
            _, host = min(ready)
            order, item, url = self._waiting[host].popleft()
            if not self._waiting[host]:
                del self._waiting[host]
            self._running[host] = self._running.get(host, 0) + 1
            self._started += 1
            room -= 1
            starts.append((host, item, order, url))
        if starts and self._busy_since is None:
            self._busy_since = time.monotonic()
        return starts

    async def _fetch(self, fetcher: Fetcher, host: str, order: int, item: T, url: str) -> None:
        counted = True

        def slow() -> None:
            """The request has run for ``timeout`` seconds (a response that drips): it no longer
            holds its host's turn, here as in the fetcher's limiter."""
            nonlocal counted
            with self._cond:
                if counted:
                    counted = False
                    self._running[host] -= 1
            self._event.set()

        try:
            page: Fetched | FetchError = await fetcher.get(url, self.max_bytes, self.accept, robots=self.robots,
                                                           on_slow=slow)
        except FetchError as exc:
            # Kept as a result: drop the traceback, whose frames would keep an aborted body alive.
            exc.__context__ = exc.__cause__ = None
            page = exc.with_traceback(None)
        with self._cond:
            if counted:
                counted = False
                self._running[host] -= 1
            self._started -= 1
            self._arrived.append((order, item, page))
            if not self._started and self._busy_since is not None:
                self._busy += time.monotonic() - self._busy_since
                self._busy_since = None
            self._cond.notify_all()
        self._event.set()
