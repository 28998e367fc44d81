"""The one HTTP client: timeouts, a wall-clock deadline, a byte cap and an address guard.

Feeds and article pages are both fetched through :class:`Fetcher`. Every failure
becomes a :class:`~commentary_monitor.errors.FetchError` with a short ``kind``
that is stored in the warehouse, so a run never fails because of one URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .config import FetchSettings
from .errors import FetchError

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    url: str            # what was asked for
    final_url: str      # after redirects
    status: int
    content_type: str
    content: bytes


def _blocked_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for attr in ("is_loopback", "is_private", "is_link_local", "is_multicast", "is_reserved", "is_unspecified"):
        if getattr(ip, attr):
            return f"{attr[3:].replace('_', '-')} address {ip}"
    if not ip.is_global:
        return f"non-global address {ip}"
    return None


async def check_url(url: str, allow_private: frozenset[str]) -> None:
    """Refuse anything but http(s) to a public address, unless ``host:port`` is allowed.

    The host is resolved and every address it resolves to is checked, so numeric
    forms (``2130706433``, ``0x7f.1``) and names pointing inside the network are
    caught too.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, "blocked", f"scheme {parts.scheme!r} is not http(s)")
    host = parts.hostname
    if not host:
        raise FetchError(url, "blocked", "URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(url, "blocked", "invalid port") from None
    if f"{host}:{port}".lower() in allow_private:
        return
    try:
        addrs = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(url, "dns", f"cannot resolve {host}: {exc}") from None
        addrs = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addrs:
        reason = _blocked_reason(ip)
        if reason and f"{ip}:{port}" not in allow_private:
            raise FetchError(url, "blocked", f"{reason} is not allowed (add '{host}:{port}' to [fetch] allow_private)")


class Fetcher:
    """An async HTTP client shared by all requests of one stage of a run."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Fetcher":
        s = self.settings

        async def guard(request: httpx.Request) -> None:
            # Runs for the first request and for every redirect hop.
            await check_url(str(request.url), s.allow_private)

        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(s.timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": s.user_agent},
            limits=httpx.Limits(max_connections=s.concurrency * 2, max_keepalive_connections=s.concurrency),
            event_hooks={"request": [guard]},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc_info) -> None:
        assert self._client is not None
        await self._client.aclose()

    async def get(self, url: str, max_bytes: int, accept: str = "*/*") -> Fetched:
        """GET ``url``; raise :class:`FetchError` for anything but a complete 2xx body."""
        try:
            async with asyncio.timeout(self.settings.deadline):
                return await self._get(url, max_bytes, accept)
        except TimeoutError:
            raise FetchError(url, "deadline", f"no complete response within {self.settings.deadline:g}s") from None

    async def _get(self, url: str, max_bytes: int, accept: str) -> Fetched:
        assert self._client is not None, "use 'async with Fetcher(...)'"
        try:
            async with self._client.stream("GET", url, headers={"Accept": accept}) as resp:
                if resp.status_code >= 400:
                    raise FetchError(url, "http", f"HTTP {resp.status_code}", status=resp.status_code)
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(url, "too_large", f"Content-Length {declared} exceeds {max_bytes} bytes", resp.status_code)
                chunks, size = [], 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(url, "too_large", f"body exceeds {max_bytes} bytes", resp.status_code)
                    chunks.append(chunk)
                return Fetched(
                    url=url,
                    final_url=str(resp.url),
                    status=resp.status_code,
                    content_type=resp.headers.get("content-type", "").split(";")[0].strip().lower(),
                    content=b"".join(chunks),
                )
        except FetchError:
            raise
        except httpx.TooManyRedirects:
            raise FetchError(url, "redirects", f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timeout", type(exc).__name__) from None
        except httpx.ConnectError as exc:
            raise FetchError(url, "connect", str(exc) or type(exc).__name__) from None
        except httpx.HTTPError as exc:
            raise FetchError(url, "network", str(exc) or type(exc).__name__) from None


async def fetch_all(
    urls: list[str], settings: FetchSettings, max_bytes: int, accept: str = "*/*"
) -> list[Fetched | FetchError]:
    """Fetch many URLs concurrently (at most ``settings.concurrency`` at a time).

    Returns one outcome per URL, in order: the response or the error.
    """
    sem = asyncio.Semaphore(settings.concurrency)
    async with Fetcher(settings) as fetcher:

        async def one(u: str) -> Fetched | FetchError:
            async with sem:
                try:
                    return await fetcher.get(u, max_bytes, accept)
                except FetchError as exc:
                    return exc

        return list(await asyncio.gather(*(one(u) for u in urls)))


def fetch_many(urls: list[str], settings: FetchSettings, max_bytes: int, accept: str = "*/*") -> list[Fetched | FetchError]:
    """Synchronous entry point for :func:`fetch_all` (runs its own event loop)."""
    if not urls:
        return []
    return asyncio.run(fetch_all(urls, settings, max_bytes, accept))
