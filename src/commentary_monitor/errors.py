"""One exception tree for the whole package.

Every error carries what it is about (a file and key, a URL, a week) so the
command line can turn it into one clear line without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class MonitorError(Exception):
    """Root of every error this package raises on purpose.

    Subclasses take their own arguments, so they pickle by those (a failed page travels to
    and from worker processes): ``_fields`` names them, in ``__init__``'s order."""

    _fields: tuple[str, ...] = ()

    def __reduce__(self):
        if not self._fields:
            return super().__reduce__()
        return (type(self), tuple(getattr(self, f) for f in self._fields), self.__dict__)


class ConfigError(MonitorError):
    """The configuration (or a file it points to) is unusable."""

    _fields = ("path", "key", "message")

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

    _fields = ("url", "kind", "message", "status", "retry_after")

    def __init__(self, url: str, kind: str, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.url = url
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"fetch: {url}: {kind}: {message}")

    @property
    def may_pass(self) -> bool:
        """A failure that may pass if tried again later (timeouts, connection trouble, 5xx,
        429), as opposed to one that will not (404, blocked, too large, not a feed...)."""
        return self.kind in ("timeout", "connect", "deadline", "network", "dns", "robots_unreachable") or (
            self.kind == "http" and self.status is not None and (self.status == 429 or self.status >= 500))


class FeedError(MonitorError):
    """A fetched document is not a usable feed."""

    _fields = ("url", "message")

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.kind = "parse"
        self.message = message
        super().__init__(f"feed: {url}: {message}")


class WarehouseError(MonitorError):
    """The DuckDB warehouse cannot be opened, migrated or written."""

    _fields = ("path", "message")

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"warehouse: {path}: {message}")


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse file (DuckDB admits one read-write process,
    and none beside it)."""


class UsageError(MonitorError):
    """A command-line value is malformed (for example ``--week 2026-47``)."""


class ProjectExistsError(UsageError):
    """``init`` would replace a file of an existing project; nothing was written."""

    _fields = ("path",)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(f"init: {self.path} already exists; a project is never overwritten "
                         "(edit it, or init another folder)")


class Stopped(MonitorError):
    """The run was asked to stop (SIGTERM, SIGINT, a Prefect cancellation): raised where a
    stage waits, so it ends at once; the flow stores what was already built."""

    _fields = ("what", "why")

    def __init__(self, what: str, why: str) -> None:
        self.what = what
        self.why = why
        super().__init__(f"{what}: stopped by {why}")


class AllFeedsFailed(MonitorError):
    """Every feed an ingest asked for failed (offline, a closed port, a proxy down): the run
    ends Failed, so the failure notice goes out. ``summary`` is the run's
    :class:`~commentary_monitor.runs.pipeline.IngestSummary` (what was recorded)."""

    _fields = ("message", "summary")

    def __init__(self, message: str, summary) -> None:
        self.message = message
        self.summary = summary
        super().__init__(message)


class MailError(MonitorError):
    """The digest email could not be delivered; ``kind`` is ``connect``, ``tls``, ``auth``, ``smtp``, ..."""

    _fields = ("host", "port", "kind", "message")

    def __init__(self, host: str, port: int, kind: str, message: str) -> None:
        self.host = host
        self.port = port
        self.kind = kind
        self.message = message
        super().__init__(f"mail: {host}:{port}: {kind}: {message}")
