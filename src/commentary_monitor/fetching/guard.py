"""The address guard: only public addresses, checked on the address actually connected to.

A URL's host is resolved once, at connect time, inside the HTTP client's network
backend; every address it resolves to is checked and the connection goes to a checked
address, so a name that resolves to a public address for a pre-check and to
127.0.0.1 for the connection (DNS rebinding) cannot slip through. The same happens for
every redirect hop and every pooled connection. Numeric forms (``2130706433``,
``0x7f.1``, ``[::ffff:127.0.0.1]``) are resolved by the system resolver like any name
and caught the same way.
"""

from __future__ import annotations

import functools

import asyncio
import ipaddress
import socket
import typing
from urllib.parse import urlsplit

import httpcore
import httpx

from commentary_monitor.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")   # the well-known prefix that embeds an IPv4 address


class Blocked(Exception):
    """Raised inside the network backend; the client turns it into ``FetchError(kind='blocked')``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(message)


def blocked_reason(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1, 2002::/16 (6to4) and 64:ff9b::/96 (NAT64) wrap IPv4 addresses: judge the inner one.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for attr in ("is_loopback", "is_private", "is_link_local", "is_multicast", "is_reserved", "is_unspecified"):
        if getattr(ip, attr):
            return f"{attr[3:].replace('_', '-')} address {ip}"
    if not ip.is_global:
        return f"non-global address {ip}"
    return None


async def resolve_checked(host: str, port: int, allow_private: frozenset[str]) -> list[str]:
    """The addresses of ``host`` that may be connected to; raise :class:`Blocked` otherwise.

    Every address must pass: a name with one public and one internal address is refused.
    """
    host = host.strip("[]").lower()
    allowed_name = f"{host}:{port}" in allow_private or f"[{host}]:{port}" in allow_private
    try:
        addrs = [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Blocked("dns", f"cannot resolve {host}: {exc}") from None
        addrs = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if ip not in addrs:
                addrs.append(ip)
    if not addrs:
        raise Blocked("dns", f"cannot resolve {host}: no address")
    for ip in addrs:
        reason = blocked_reason(ip)
        if reason and not allowed_name and f"{ip}:{port}" not in allow_private:
            raise Blocked("blocked", f"{host}:{port} is a {reason}, not allowed "
                                     f"(add '{host}:{port}' to [fetch] allow_private)")
    return [str(ip) for ip in addrs]


async def check_url(url: str, allow_private: frozenset[str]) -> None:
    """Refuse anything but http(s) to a public address, unless ``host:port`` is allowed."""
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
    try:
        await resolve_checked(host, port, allow_private)
    except Blocked as exc:
        raise FetchError(url, exc.kind, exc.message) from None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the guard in ``connect_tcp``: resolve, check, connect to the checked IP."""

    def __init__(self, allow_private: frozenset[str]) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        addrs = await resolve_checked(host, port, self.allow_private)
        last: Exception | None = None
        for ip in addrs:
            try:
                return await self._inner.connect_tcp(ip, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None):
        raise Blocked("blocked", "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.lru_cache(maxsize=4)
def ssl_context(ca_file: str | None = None):
    # Loading the CA bundle costs ~50 ms: once per process, not once per batch of pages.
    # An SSLContext is safe to share between connections and threads.
    context = httpx.create_ssl_context(trust_env=False)
    if ca_file:   # also trust a private CA (an intranet feed server)
        context.load_verify_locations(cafile=ca_file)
    return context


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connection pool connects only through :class:`GuardedBackend`.

    httpx 0.28 has no public hook for the network backend, so the pool is rebuilt here
    (tests/test_fetch.py checks that the guard is the backend actually in use).
    """

    def __init__(self, allow_private: frozenset[str], limits: httpx.Limits, ca_file: str | None = None) -> None:
        # Not super().__init__(): all it does is build the same pool with the default backend
        # (and an SSL context, which is not free: it loads the CA bundle).
        ssl_context_ = ssl_context(ca_file)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context_,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )
