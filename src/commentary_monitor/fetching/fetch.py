"""The one HTTP client: timeouts, a wall-clock deadline, a decompressed-byte cap, the
address guard, conditional GET, retries for transient failures and politeness.

Feeds and article pages are both fetched through :class:`Fetcher`. Every failure
becomes a :class:`~commentary_monitor.errors.FetchError` with a short ``kind``
that is stored in the warehouse, so a run never fails because of one URL.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from commentary_monitor import stopping
from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import FetchError
from commentary_monitor.fetching.guard import Blocked, GuardedTransport, check_url, ssl_context  # noqa: F401 (check_url is part of this module's surface)
from commentary_monitor.fetching.politeness import (UNREACHABLE, HostLimiter, Robots, failing_seconds, host_key, retry_after_seconds,
                         spend_failing)

MAX_REDIRECTS = 5
LANE_CONNECTIONS = 2        # kept-alive connections per lane (see Fetcher._lane)
ROBOTS_MAX_BYTES = 512_000
# Only what we can decode ourselves with a bounded output: never let httpx inflate a body.
ACCEPT_ENCODING = "gzip, deflate"
TRANSIENT_KINDS = {"timeout", "connect"}
INFLATE_STEP = 256 * 1024   # decompressed bytes produced per step
PAGE_BUDGET_RETRY = 1800.0  # seconds before a page deferred by its host's time budget is tried again


@dataclass(frozen=True)
class Fetched:
    url: str            # what was asked for
    final_url: str      # after redirects
    status: int         # 2xx, or 304 (not modified: content is empty)
    content_type: str   # media type, lower-case, without parameters
    content: bytes      # decoded (decompressed) body
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends back: the ETag and Last-Modified of the last response."""
    etag: str | None = None
    last_modified: str | None = None


class _Decoder:
    """Content-Encoding decoding with the output counted and capped as it is produced.

    httpx's own decoder can hand over a 67 MB chunk from a 64 KB read of a gzip bomb;
    here ``decompress(data, max_length)`` never produces more than the cap allows.
    """

    def __init__(self, url: str, encoding: str, limit: int) -> None:
        self.url = url
        self.limit = limit
        self.size = 0
        # One growing buffer, not a list of 64 KB chunks: a large buffer is its own mapping
        # and goes back to the OS when an aborted body is dropped (small chunks fragment the heap).
        self.body = bytearray()
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 2:
            raise FetchError(url, "encoding", f"{len(codings)} stacked Content-Encodings")
        self.stages: list[list] = []   # [coding, decompressobj, produced anything]
        for c in reversed(codings):
            if c in ("gzip", "x-gzip"):
                self.stages.append([c, zlib.decompressobj(16 + zlib.MAX_WBITS), False])
            elif c == "deflate":
                self.stages.append([c, zlib.decompressobj(zlib.MAX_WBITS), False])
            else:
                raise FetchError(url, "encoding", f"unsupported Content-Encoding {c!r}")

    def _too_large(self) -> FetchError:
        self.body = bytearray()
        return FetchError(self.url, "too_large", f"body exceeds {self.limit} bytes (decompressed)")

    def feed(self, data: bytes) -> None:
        self._push(0, data)

    def _push(self, i: int, data: bytes) -> None:
        """Decode ``data`` through stages i.. in pieces of at most INFLATE_STEP bytes, each
        counted against the cap as soon as it exists (a bomb never gets far past it)."""
        if i == len(self.stages):
            self.size += len(data)
            if self.size > self.limit:
                raise self._too_large()
            self.body += data
            return
        stage = self.stages[i]
        while data:
            try:
                piece = stage[1].decompress(data, INFLATE_STEP)
            except zlib.error as exc:
                if stage[0] == "deflate" and not stage[2]:
                    stage[1] = zlib.decompressobj(-zlib.MAX_WBITS)   # raw deflate, as some servers send
                    stage[2] = True
                    continue
                raise FetchError(self.url, "encoding", f"invalid {stage[0]} data: {exc}") from None
            stage[2] = True
            if piece:
                self._push(i + 1, piece)
            if stage[1].eof:
                break
            data = stage[1].unconsumed_tail

    def finish(self) -> bytes:
        for stage in self.stages:
            if not stage[1].eof and stage[2]:
                raise FetchError(self.url, "network", f"{stage[0]} body ends early")
        return bytes(self.body)


def _ca_file(settings: FetchSettings) -> str | None:
    return str(settings.ca_file) if settings.ca_file else None


def load_tls(settings: FetchSettings) -> None:
    """Load the CA bundle the fetchers' TLS connections share (~0.05 s, once per process)
    before the first fetch: the command does it while Prefect's temporary API starts."""
    ssl_context(_ca_file(settings))


class Fetcher:
    """The async HTTP client of one stage of a run: its requests, politeness and robots.txt."""

    def __init__(self, settings: FetchSettings, robots_texts: dict[str, str | None] | None = None) -> None:
        self.settings = settings
        self.limiter = HostLimiter(settings.per_host_concurrency, settings.per_host_delay)
        self._clients: list[httpx.AsyncClient] = []       # every lane's client, to close
        self._free: asyncio.LifoQueue[httpx.AsyncClient] | None = None
        self._robots: dict[str, Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._in_flight = asyncio.Semaphore(settings.concurrency)
        for origin, text in (robots_texts or {}).items():   # fetched earlier in the run
            self._set_robots(origin, text)

    def know_robots(self, robots_texts: dict[str, str | None]) -> None:
        """robots.txt fetched earlier in the run (origin -> text), for the sites not known yet."""
        for origin, text in robots_texts.items():
            if origin not in self._robots:
                self._set_robots(origin, text)

    def _set_robots(self, origin: str, text: str | None) -> Robots:
        rules = Robots(text)
        delay = rules.crawl_delay(self.settings.user_agent)
        if delay:
            self.limiter.set_delay(host_key(origin), min(delay, self.settings.max_crawl_delay))
        self._robots[origin] = rules
        return rules

    async def __aenter__(self) -> "Fetcher":
        self._free = asyncio.LifoQueue()
        return self

    async def __aexit__(self, *exc_info) -> None:
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()

    def _new_client(self) -> httpx.AsyncClient:
        s = self.settings

        async def only_web(request: httpx.Request) -> None:
            # Every hop: the address itself is checked when the connection is made (guard.py).
            if request.url.scheme not in ("http", "https"):
                raise FetchError(str(request.url), "blocked", f"scheme {request.url.scheme!r} is not http(s)")

        limits = httpx.Limits(max_connections=LANE_CONNECTIONS, max_keepalive_connections=LANE_CONNECTIONS)
        client = httpx.AsyncClient(
            transport=GuardedTransport(s.allow_private, limits, _ca_file(s)),
            timeout=httpx.Timeout(s.timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            event_hooks={"request": [only_web]},
            trust_env=False,
        )
        self._clients.append(client)
        return client

    @asynccontextmanager
    async def _lane(self):
        """One of at most ``concurrency`` requests in flight, with a client of its own.

        A lane is a client with a small connection pool, used by one request at a time.
        One pool shared by every request in flight costs more: httpcore checks each of its
        connections whenever a request starts or ends, so its cost per request grows with
        the concurrency (2.0 ms of CPU a page at 16 in flight on loopback, 0.85 ms in lanes)."""
        assert self._free is not None, "use 'async with Fetcher(...)'"
        async with self._in_flight:
            client = self._free.get_nowait() if not self._free.empty() else self._new_client()
            try:
                yield client
            finally:
                self._free.put_nowait(client)   # the most recently used first: its connections are warm

    async def get(self, url: str, max_bytes: int, accept: str = "*/*", validators: Validators | None = None,
                  robots: bool = False, on_slow=None) -> Fetched:
        """GET ``url``; raise :class:`FetchError` for anything but a complete 2xx body or a 304.

        Transient failures (timeouts, connection errors, 5xx, 429) are retried with
        backoff, honouring ``Retry-After`` up to ``max_retry_after``; a longer wait
        raises ``kind='deferred'`` at once (try again next run). 4xx is never retried.
        With ``robots``, a URL its site's robots.txt disallows is never requested.
        A request still running after ``timeout`` seconds stops counting against its host's
        ``per_host_concurrency`` (see :meth:`HostLimiter.slot`), and ``on_slow()`` is called.
        """
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "blocked", f"scheme {urlsplit(url).scheme!r} is not http(s)")
        if robots and self.settings.obey_robots:
            rules = await self.robots(url)
            if rules.unreachable:
                raise FetchError(url, "robots_unreachable", f"robots.txt could not be read ({rules.unreachable})")
            if not rules.allowed(url, self.settings.user_agent):
                raise FetchError(url, "robots", "disallowed by robots.txt")
        s = self.settings
        host = host_key(url)
        attempt = 0
        while True:
            self._check_budget(url, host)
            started = time.monotonic()
            try:
                async with self.limiter.slot(url, hold=s.timeout, on_let_go=on_slow), self._lane() as client:
                    self._check_budget(url, host)   # again: others may have used it up meanwhile
                    started = time.monotonic()    # the politeness wait is not the host's doing
                    return await self._attempt(client, url, max_bytes, accept, validators)
            except FetchError as exc:
                if exc.may_pass and s.host_budget:
                    spend_failing(host, time.monotonic() - started)
                transient = exc.kind in TRANSIENT_KINDS or (
                    exc.kind == "http" and exc.status is not None and (exc.status == 429 or exc.status >= 500))
                if not transient:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else s.backoff * 2 ** attempt
                if exc.retry_after is not None and exc.retry_after > s.max_retry_after:
                    raise FetchError(url, "deferred", f"{exc.message} with Retry-After {exc.retry_after:g}s "
                                     f"(over the {s.max_retry_after:g}s cap): left for a later run",
                                     exc.status, retry_after=exc.retry_after) from None
                if attempt >= s.retries:
                    raise
                attempt += 1
                await asyncio.sleep(wait)

    def _check_budget(self, url: str, host: str) -> None:
        """A host that spent its ``host_budget`` of this run failing (deadlines, timeouts,
        5xx) is not asked again: its pages wait for a later run, and cannot stretch this one."""
        budget = self.settings.host_budget
        if budget and failing_seconds(host) >= budget:
            raise FetchError(url, "deferred", f"{host} spent its {budget:g}s budget of this run failing "
                                              "(timeouts, deadlines, errors): left for a later run",
                             retry_after=PAGE_BUDGET_RETRY)

    async def robots(self, url: str) -> Robots:
        """The robots.txt rules of ``url``'s site, fetched once per Fetcher; its
        ``Crawl-delay`` (capped) becomes the host's delay. Unreachable = no rules."""
        origin = origin_of(url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._set_robots(origin, await self.robots_text(origin))
        return self._robots[origin]

    async def robots_text(self, origin: str) -> str | None:
        """``origin``'s robots.txt; None when there is none (a 4xx: no rules); when it could
        not be read (timeouts, 5xx, after the usual retries), :data:`UNREACHABLE` and why."""
        try:
            got = await self.get(origin + "/robots.txt", ROBOTS_MAX_BYTES, "text/plain")
        except FetchError as exc:
            return UNREACHABLE + f"{exc.kind}: {exc.message}" if exc.may_pass else None
        return got.content.decode("utf-8", "replace")

    async def _attempt(self, client: httpx.AsyncClient, url: str, max_bytes: int, accept: str,
                       validators: Validators | None) -> Fetched:
        try:
            async with asyncio.timeout(self.settings.deadline):
                return await self._get(client, url, max_bytes, accept, validators)
        except TimeoutError:
            raise FetchError(url, "deadline", f"no complete response within {self.settings.deadline:g}s") from None

    async def _get(self, client: httpx.AsyncClient, url: str, max_bytes: int, accept: str,
                   validators: Validators | None) -> Fetched:
        headers = {"Accept": accept}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        try:
            async with client.stream("GET", url, headers=headers) as resp:
                status = resp.status_code
                if status >= 400 or (300 <= status < 400 and status != 304):
                    retry_after = retry_after_seconds(resp.headers.get("retry-after")) if status in (429, 503) else None
                    raise FetchError(url, "http", f"HTTP {status}", status=status, retry_after=retry_after)
                ctype = resp.headers.get("content-type", "")
                charset = None
                for param in ctype.split(";")[1:]:
                    k, _, v = param.partition("=")
                    if k.strip().lower() == "charset":
                        charset = v.strip().strip('"').lower() or None
                content = b""
                if status != 304:
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(url, "too_large", f"Content-Length {declared} exceeds {max_bytes} bytes", status)
                    decoder = _Decoder(url, resp.headers.get("content-encoding", ""), max_bytes)
                    async for raw in resp.aiter_raw():
                        decoder.feed(raw)
                    content = decoder.finish()
                return Fetched(
                    url=url,
                    final_url=str(resp.url),
                    status=status,
                    content_type=ctype.split(";")[0].strip().lower(),
                    content=content,
                    charset=charset,
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                )
        except FetchError:
            raise
        except Blocked as exc:
            raise FetchError(url, exc.kind, exc.message) from None
        except httpx.TooManyRedirects:
            raise FetchError(url, "redirects", f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(url, "blocked", f"not http(s): {exc}") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timeout", type(exc).__name__) from None
        except httpx.ConnectError as exc:
            message = str(exc) or type(exc).__name__
            # A certificate the client cannot verify is no network hiccup: kind 'tls', not retried.
            kind = "tls" if "CERTIFICATE" in message or "SSL" in message else "connect"
            raise FetchError(url, kind, message) from None
        except httpx.HTTPError as exc:
            raise FetchError(url, "network", str(exc) or type(exc).__name__) from None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def fetch_robots(urls: list[str], settings: FetchSettings) -> dict[str, str | None]:
    """The robots.txt of every site among ``urls`` (origin -> text or None), fetched once
    per run and handed to each batch's :func:`fetch_many`."""
    origins = sorted({origin_of(u) for u in urls})
    if not origins or not settings.obey_robots:
        return {}

    async def go() -> dict[str, str | None]:
        async with Fetcher(settings) as fetcher:
            texts = await asyncio.gather(*(fetcher.robots_text(o) for o in origins))
        return dict(zip(origins, texts))

    return run_stoppable(go())


def run_stoppable(coro):
    """``asyncio.run(coro)``, cancelled as soon as a stop is asked for (see :mod:`.stopping`):
    the requests in flight and the politeness waits end at once, and
    :class:`~commentary_monitor.errors.Stopped` is raised."""

    async def watched():
        work = asyncio.ensure_future(coro)
        while not stopping.requested():
            done, _ = await asyncio.wait({work}, timeout=stopping.POLL)
            if done:
                return work.result()
        work.cancel()
        try:
            await work
        except BaseException:   # noqa: BLE001 - whatever the cancelled requests raised: we are stopping
            pass
        stopping.check("fetching")

    if stopping.requested():
        coro.close()
        stopping.check("fetching")
    return asyncio.run(watched())


async def fetch_all(
    urls: list[str], settings: FetchSettings, max_bytes: int, accept: str = "*/*",
    validators: list[Validators | None] | None = None, robots: bool = False,
    robots_texts: dict[str, str | None] | None = None, on_done=None,
) -> list[Fetched | FetchError]:
    """Fetch many URLs concurrently (at most ``settings.concurrency`` at a time, and
    ``per_host_concurrency`` per host). Returns one outcome per URL, in order; with
    ``on_done``, ``on_done(i, outcome)`` is called as soon as the i-th URL's outcome is known."""
    checks = validators or [None] * len(urls)
    async with Fetcher(settings, robots_texts) as fetcher:

        async def one(i: int, u: str, v: Validators | None) -> Fetched | FetchError:
            try:
                got: Fetched | FetchError = await fetcher.get(u, max_bytes, accept, v, robots)
            except FetchError as exc:
                # Kept as a result: drop the traceback and context, whose frames would keep
                # an aborted body (up to the byte cap) alive for the rest of the run.
                exc.__context__ = exc.__cause__ = None
                got = exc.with_traceback(None)
            if on_done is not None:
                on_done(i, got)
            return got

        return list(await asyncio.gather(*(one(i, u, v) for i, (u, v) in enumerate(zip(urls, checks)))))


def fetch_many(urls: list[str], settings: FetchSettings, max_bytes: int, accept: str = "*/*",
               validators: list[Validators | None] | None = None, robots: bool = False,
               robots_texts: dict[str, str | None] | None = None, on_done=None) -> list[Fetched | FetchError]:
    """Synchronous entry point for :func:`fetch_all` (runs its own event loop)."""
    if not urls:
        return []
    return run_stoppable(fetch_all(urls, settings, max_bytes, accept, validators, robots, robots_texts, on_done))
