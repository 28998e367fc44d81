"""One exception tree for the whole package.

Every error carries what it is about (a file and key, a URL, a week) so the
command line can turn it into one clear line without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class MonitorError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(MonitorError):
    """The configuration (or a file it points to) is unusable."""

    def __init__(self, path: Path | str, key: str | None, message: str) -> None:
        self.path = Path(path)
        self.key = key
        self.message = message
        where = f"{self.path}: {key}" if key else f"{self.path}"
        super().__init__(f"{where}: {message}")


class FetchError(MonitorError):
    """A feed or page could not be fetched.

    ``kind`` is a short stable word stored in the warehouse (``dns``,
    ``connect``, ``timeout``, ``http``, ``too_large``, ``blocked``, ...).
    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(self, url: str, kind: str, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.url = url
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"fetch: {url}: {kind}: {message}")


class FeedError(MonitorError):
    """A fetched document is not a usable feed."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.kind = "parse"
        self.message = message
        super().__init__(f"feed: {url}: {message}")


class WarehouseError(MonitorError):
    """The DuckDB warehouse cannot be opened, migrated or written."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"warehouse: {path}: {message}")


class UsageError(MonitorError):
    """A command-line value is malformed (for example ``--week 2026-47``)."""


class MailError(MonitorError):
    """The digest email could not be delivered; ``kind`` is ``connect``, ``tls``, ``auth``, ``smtp``, ..."""

    def __init__(self, host: str, port: int, kind: str, message: str) -> None:
        self.host = host
        self.port = port
        self.kind = kind
        self.message = message
        super().__init__(f"mail: {host}:{port}: {kind}: {message}")
