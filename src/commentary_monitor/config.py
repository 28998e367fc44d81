"""Load and validate ``config/monitor.toml``.

This is the only module that reads configuration files, seed essays or the
environment; everything else receives the typed values built here.
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from commentary_monitor.errors import ConfigError

CONFIG_ENV = "COMMENTARY_MONITOR_CONFIG"
SMTP_PASSWORD_ENV = "COMMENTARY_MONITOR_SMTP_PASSWORD"
DEFAULT_CONFIG = Path("config/monitor.toml")
DEFAULT_USER_AGENT = (
    "commentary-monitor/0.1 (+https://github.com/commentary-monitor/commentary-monitor)"
)
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


# --- the file's shape (pydantic does the type checking) -----------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Warehouse(_Strict):
    path: str = "warehouse/monitor.duckdb"
    backend: Literal["duckdb", "ducklake"] = "duckdb"
    catalog: str | None = None           # ducklake: DuckLake's attach string after "ducklake:"
    data_path: str = "warehouse/lake/"   # ducklake: where its Parquet files go (a folder or an object-store URL)
    lock_timeout: Annotated[float, Field(ge=0, le=86_400)] = 600.0
    keep_html_days: Annotated[int, Field(ge=0, le=36_500)] = 30


class _Schedule(_Strict):
    ingest: str = "0 * * * *"
    digest: str = "0 7 * * 1"
    timezone: str | None = None


class _Digest(_Strict):
    dir: str = "warehouse/digests"
    timezone: str = "UTC"
    max_items: Annotated[int, Field(ge=1, le=500)] = 25
    excerpt_chars: Annotated[int, Field(ge=50, le=2000)] = 320
    mention_band: Annotated[float, Field(ge=0.0, le=1.0)] = 0.15
    max_mentions: Annotated[int, Field(ge=0, le=100)] = 5
    quiet_days: Annotated[int, Field(ge=1, le=365)] = 14
    languages: list[str] | None = None


class _Email(_Strict):
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: str = "starttls"
    username: str = ""
    password_secret: str = ""
    sender: str = ""
    recipients: list[str] = []
    ca_file: str = ""
    timeout: Annotated[float, Field(gt=0, le=300)] = 30.0
    outbox: str = "warehouse/outbox"
    notify_failures: bool = True


class _Fetch(_Strict):
    allow_private: list[str] = []
    user_agent: str = DEFAULT_USER_AGENT
    timeout: Annotated[float, Field(gt=0, le=300)] = 20.0
    deadline: Annotated[float, Field(gt=0, le=600)] = 60.0
    max_feed_bytes: Annotated[int, Field(ge=1024)] = 10_000_000
    max_page_bytes: Annotated[int, Field(ge=1024)] = 5_000_000
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    max_new_per_feed: Annotated[int, Field(ge=1, le=100_000)] = 200
    min_text_chars: Annotated[int, Field(ge=0)] = 300
    extract_workers: Annotated[int, Field(ge=0, le=64)] | None = None
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    backoff: Annotated[float, Field(ge=0, le=60)] = 1.0
    max_retry_after: Annotated[float, Field(ge=0, le=300)] = 30.0
    per_host_concurrency: Annotated[int, Field(ge=1, le=16)] = 2
    per_host_delay: Annotated[float, Field(ge=0, le=60)] = 0.5
    obey_robots: bool = True
    max_crawl_delay: Annotated[float, Field(ge=0, le=120)] = 10.0
    host_budget: Annotated[float, Field(ge=0, le=3600)] = 120.0
    ca_file: str = ""


class _Health(_Strict):
    failing_after: Annotated[int, Field(ge=1, le=1000)] = 3
    quiet_factor: Annotated[float, Field(ge=1, le=100)] = 4.0
    quiet_min_days: Annotated[float, Field(ge=0, le=365)] = 7.0


class _Opml(_Strict):
    path: str = "config/feeds.opml"


class _Runner(_Strict):
    kind: Literal["local", "dask"] = "local"
    address: str = ""
    workers: Annotated[int, Field(ge=1, le=256)] = 2


class _Feed(_Strict):
    url: str
    name: str | None = None


class _Profile(_Strict):
    seeds: list[str]
    description: str = ""
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.4
    include: list[str] = []
    exclude: list[str] = []
    require: str = ""


class _File(_Strict):
    warehouse: _Warehouse = _Warehouse()
    digest: _Digest = _Digest()
    email: _Email = _Email()
    fetch: _Fetch = _Fetch()
    schedule: _Schedule = _Schedule()
    health: _Health = _Health()
    opml: _Opml = _Opml()
    runner: _Runner = _Runner()
    feeds: list[_Feed] = []
    profiles: dict[str, _Profile] = {}


# --- what the rest of the package receives ------------------------------------------------

@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None


@dataclass(frozen=True)
class SeedEssay:
    path: Path
    text: str


@dataclass(frozen=True)
class ProfileConfig:
    name: str
    seeds: tuple[SeedEssay, ...]
    description: str = ""
    threshold: float = 0.4
    include: tuple[str, ...] = ()     # terms that boost the profile
    exclude: tuple[str, ...] = ()     # terms that mute an article
    require: str = ""                 # a boolean query an article must match


@dataclass(frozen=True)
class FetchSettings:
    allow_private: frozenset[str] = frozenset()
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    deadline: float = 60.0
    max_feed_bytes: int = 10_000_000
    max_page_bytes: int = 5_000_000
    concurrency: int = 8
    max_new_per_feed: int = 200
    min_text_chars: int = 300
    extract_workers: int = 2          # processes for extraction; 0 or 1: in the run's own process
    keep_html: bool = True            # keep each page's raw HTML (compressed) for later re-extraction
    retries: int = 2                  # extra attempts for timeouts, connection errors, 5xx and 429
    backoff: float = 1.0              # seconds before the first retry, doubled for each next one
    max_retry_after: float = 30.0     # a longer Retry-After defers the URL to a later run
    per_host_concurrency: int = 2
    per_host_delay: float = 0.5       # seconds between request starts to one host
    obey_robots: bool = True          # robots.txt for article pages
    max_crawl_delay: float = 10.0     # a robots.txt Crawl-delay is honoured up to this
    host_budget: float = 120.0        # seconds a host may spend failing (deadlines, timeouts, 5xx) per run;
                                      # then its remaining requests are deferred to a later run (0: no limit)
    ca_file: Path | None = None       # extra CA certificates to trust (feeds behind a private CA)


@dataclass(frozen=True)
class HealthSettings:
    failing_after: int = 3            # consecutive failed runs before a feed is flagged
    quiet_factor: float = 4.0         # flagged when silent this many typical intervals...
    quiet_min_days: float = 7.0       # ...and at least this many days


@dataclass(frozen=True)
class DigestSettings:
    dir: Path
    timezone: str = "UTC"
    max_items: int = 25
    excerpt_chars: int = 320
    mention_band: float = 0.15
    max_mentions: int = 5
    quiet_days: int = 14
    languages: tuple[str, ...] | None = None   # the articles' languages the digest shows; None: all


SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class EmailSettings:
    """Where and how the weekly digest is mailed. ``password`` comes from the environment
    only and is a :class:`~pydantic.SecretStr`, so a dump or repr never shows it."""

    outbox: Path
    smtp_host: str = ""               # empty: write .eml files to ``outbox`` instead of sending
    smtp_port: int = 587
    security: str = "starttls"        # starttls, ssl or none
    username: str = ""
    password: SecretStr | None = None
    password_secret: str = ""         # name of a Prefect Secret block holding the password
    sender: str = ""
    recipients: tuple[str, ...] = ()
    ca_file: Path | None = None       # extra CA certificates to trust (a private mail server)
    timeout: float = 30.0
    notify_failures: bool = True      # mail the recipients when a flow run fails

    @property
    def enabled(self) -> bool:
        """Digests are mailed (or written to the outbox) when someone is to receive them."""
        return bool(self.recipients)


@dataclass(frozen=True)
class ScheduleSettings:
    ingest: str = "0 * * * *"      # cron
    digest: str = "0 7 * * 1"      # cron: Monday 07:00
    timezone: str = "UTC"


@dataclass(frozen=True)
class RunnerSettings:
    """Where the batches of a run are fetched, extracted and scored."""
    kind: str = "local"     # local: threads, and a pool of [fetch] extract_workers processes
                            # dask: the workers of a Dask cluster (prefect-dask)
    address: str = ""       # dask: the scheduler (tcp://host:8786); empty: a cluster on this machine
    workers: int = 2        # dask, no address: worker processes of the local cluster


CATALOG_PASSWORD_ENV = "COMMENTARY_MONITOR_CATALOG_PASSWORD"


@dataclass(frozen=True)
class WarehouseLocation:
    """Where the warehouse lives: one DuckDB file (``path``), or a DuckLake (``catalog``, the
    attach string after ``ducklake:``, and ``data_path``). ``path`` is also where the files
    beside the warehouse go (raw pages, staged batches). The catalog's password comes from
    the environment, never the config, and is never shown."""
    path: Path
    backend: str = "duckdb"
    catalog: str | None = None
    data_path: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def lake(self) -> bool:
        return self.backend == "ducklake"

    def __str__(self) -> str:
        return f"ducklake:{self.catalog}" if self.lake else str(self.path)


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    warehouse_path: Path
    digest: DigestSettings
    email: EmailSettings | None = None
    fetch: FetchSettings = FetchSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    lock_timeout: float = 600.0
    keep_html_days: int = 30           # raw pages kept this long (0: not kept); text and scores stay
    feeds: tuple[FeedConfig, ...] = ()
    health: HealthSettings = HealthSettings()
    opml_path: Path | None = None
    profiles: tuple[ProfileConfig, ...] = field(default_factory=tuple)
    runner: RunnerSettings = RunnerSettings()
    warehouse: WarehouseLocation | None = None    # set by load_config; None: the file at warehouse_path

    @property
    def store(self) -> "WarehouseLocation":
        """The warehouse to open (:meth:`.warehouse.Warehouse.open`)."""
        return self.warehouse or WarehouseLocation(self.warehouse_path)

    @property
    def profile_cache(self) -> Path:
        """Where built profiles are cached: beside the warehouse (see profiles.load_profiles)."""
        return self.warehouse_path.parent / "profiles"


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return err["msg"][0].lower() + err["msg"][1:]


def project_root(config_path: Path) -> Path:
    """Relative paths in a config are relative to its project: the folder that holds
    ``config/`` when the file sits in a folder named ``config``, else the file's folder."""
    parent = config_path.resolve().parent
    return parent.parent if parent.name == "config" else parent


def resolve_config_path(path: str | Path | None = None, env: dict[str, str] | None = None) -> Path:
    """``--config`` wins, then ``$COMMENTARY_MONITOR_CONFIG``, then ``config/monitor.toml``."""
    env = os.environ if env is None else env
    if path:
        return Path(path)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_CONFIG


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, validate and resolve a configuration file, including its seed essays.

    The SMTP password is read from ``$COMMENTARY_MONITOR_SMTP_PASSWORD`` (``env``), never
    from the file."""
    env = os.environ if env is None else env
    cfg_path = resolve_config_path(path, env)
    try:
        raw = cfg_path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(cfg_path, None, "config file not found") from None
    except OSError as exc:
        raise ConfigError(cfg_path, None, f"cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(cfg_path, None, "not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(cfg_path, None, f"invalid TOML: {exc}") from None
    email_table = data.get("email") if isinstance(data, dict) else None
    if isinstance(email_table, dict) and "password" in email_table:
        raise ConfigError(cfg_path, "email.password",
                          f"passwords are never read from config files: set ${SMTP_PASSWORD_ENV} "
                          "or name a Prefect Secret block in email.password_secret")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(cfg_path, _key(first["loc"]), _message(first) + more) from None
    return _resolve(cfg_path, parsed, env)


def _resolve(cfg_path: Path, parsed: _File, env: dict[str, str] | None = None) -> Config:
    root = project_root(cfg_path)

    def rel(p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else root / q

    try:
        ZoneInfo(parsed.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(cfg_path, "digest.timezone", f"unknown time zone {parsed.digest.timezone!r}") from None

    schedule_tz = parsed.schedule.timezone or parsed.digest.timezone
    try:
        ZoneInfo(schedule_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(cfg_path, "schedule.timezone", f"unknown time zone {schedule_tz!r}") from None
    for key in ("ingest", "digest"):
        expr = getattr(parsed.schedule, key)
        if not valid_cron(expr):
            raise ConfigError(cfg_path, f"schedule.{key}", f"not a cron expression: {expr!r}")

    for i, entry in enumerate(parsed.fetch.allow_private):
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(cfg_path, f"fetch.allow_private[{i}]", f"expected host:port, got {entry!r}")

    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for i, feed in enumerate(parsed.feeds):
        parts = urlsplit(feed.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(cfg_path, f"feeds[{i}].url", f"not an http(s) URL: {feed.url!r}")
        if feed.url in seen:
            raise ConfigError(cfg_path, f"feeds[{i}].url", f"duplicate of feeds[{seen[feed.url]}]: {feed.url}")
        seen[feed.url] = i
        feeds.append(FeedConfig(url=feed.url, name=feed.name or None))

    # Feeds can also live in an OPML file (`commentary-monitor feeds import` writes it).
    opml_path = rel(parsed.opml.path)
    if opml_path.exists():
        for feed in read_opml(opml_path, "opml.path"):
            if feed.url not in seen:
                seen[feed.url] = len(feeds)
                feeds.append(feed)

    profiles = []
    for name, prof in parsed.profiles.items():
        key = f"profiles.{name}"
        if not PROFILE_NAME.match(name):
            raise ConfigError(cfg_path, key, "profile names use lowercase letters, digits, '-' and '_'")
        if prof.require.strip():
            from commentary_monitor.filters import QueryError, parse_query

            try:
                parse_query(prof.require)
            except QueryError as exc:
                raise ConfigError(cfg_path, key + ".require", f"not a valid query: {exc}") from None
        profiles.append(
            ProfileConfig(
                name=name,
                seeds=_read_seeds(cfg_path, key + ".seeds", prof.seeds, rel),
                description=prof.description.strip(),
                threshold=prof.threshold,
                include=tuple(t.strip() for t in prof.include if t.strip()),
                exclude=tuple(t.strip() for t in prof.exclude if t.strip()),
                require=prof.require.strip(),
            )
        )

    email = _resolve_email(cfg_path, parsed.email, rel, os.environ if env is None else env)

    f = parsed.fetch
    return Config(
        path=cfg_path,
        root=root,
        warehouse_path=rel(parsed.warehouse.path),
        digest=DigestSettings(
            dir=rel(parsed.digest.dir),
            timezone=parsed.digest.timezone,
            max_items=parsed.digest.max_items,
            excerpt_chars=parsed.digest.excerpt_chars,
            mention_band=parsed.digest.mention_band,
            max_mentions=parsed.digest.max_mentions,
            quiet_days=parsed.digest.quiet_days,
            languages=_languages(cfg_path, parsed.digest.languages),
        ),
        email=email,
        fetch=FetchSettings(**{   # the same keys as [fetch], a few resolved
            **f.model_dump(),
            "allow_private": frozenset(a.lower() for a in f.allow_private),
            "extract_workers": min(2, os.cpu_count() or 1) if f.extract_workers is None else f.extract_workers,
            "keep_html": parsed.warehouse.keep_html_days > 0,
            "ca_file": _existing(cfg_path, "fetch.ca_file", rel(f.ca_file)) if f.ca_file else None,
        }),
        schedule=ScheduleSettings(parsed.schedule.ingest, parsed.schedule.digest, schedule_tz),
        lock_timeout=parsed.warehouse.lock_timeout,
        warehouse=_warehouse_location(cfg_path, parsed.warehouse, rel, os.environ if env is None else env),
        keep_html_days=parsed.warehouse.keep_html_days,
        feeds=tuple(feeds),
        health=HealthSettings(
            failing_after=parsed.health.failing_after,
            quiet_factor=parsed.health.quiet_factor,
            quiet_min_days=parsed.health.quiet_min_days,
        ),
        opml_path=opml_path,
        profiles=tuple(profiles),
        runner=RunnerSettings(**parsed.runner.model_dump()),
    )


def _languages(cfg_path: Path, values: list[str] | None) -> tuple[str, ...] | None:
    """``[digest] languages`` as the codes articles are stored with (``zh-CN`` -> ``zh``)."""
    from commentary_monitor.extraction.language import ISO_639_1, normalize

    if values is None:
        return None
    if not values:
        raise ConfigError(cfg_path, "digest.languages", "an empty list would leave every digest empty: "
                          "list the languages to show, or leave the key out for all")
    codes = []
    for i, value in enumerate(values):
        code = normalize(value)
        if code not in ISO_639_1:
            raise ConfigError(cfg_path, f"digest.languages[{i}]",
                              f"{value!r} is not a language code (ISO 639-1, e.g. \"en\", \"ru\", \"zh\")")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _existing(cfg_path: Path, key: str, path: Path) -> Path:
    if not path.is_file():
        raise ConfigError(cfg_path, key, f"file not found: {path}")
    return path


_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _resolve_email(cfg_path: Path, e: _Email, rel, env) -> EmailSettings:
    if e.security not in SECURITY_PORTS:
        raise ConfigError(cfg_path, "email.security", f"expected one of starttls, ssl, none, got {e.security!r}")
    for i, addr in enumerate(e.recipients):
        if not _ADDRESS.match(addr):
            raise ConfigError(cfg_path, f"email.recipients[{i}]", f"not an email address: {addr!r}")
    if e.sender and not _ADDRESS.match(e.sender):
        raise ConfigError(cfg_path, "email.sender", f"not an email address: {e.sender!r}")
    if e.recipients and not e.sender:
        raise ConfigError(cfg_path, "email.sender", "required key is missing (recipients are configured)")
    if e.smtp_host and not e.recipients:
        raise ConfigError(cfg_path, "email.recipients", "required key is missing (smtp_host is configured)")
    if e.security == "none" and e.username:
        raise ConfigError(cfg_path, "email.username", 'would send the password in clear: use security = "starttls" or "ssl"')
    ca_file = _existing(cfg_path, "email.ca_file", rel(e.ca_file)) if e.ca_file else None
    password = env.get(SMTP_PASSWORD_ENV) or None
    return EmailSettings(
        outbox=rel(e.outbox),
        smtp_host=e.smtp_host.strip(),
        smtp_port=e.smtp_port or SECURITY_PORTS[e.security],
        security=e.security,
        username=e.username,
        password=SecretStr(password) if password else None,
        password_secret=e.password_secret,
        sender=e.sender,
        recipients=tuple(e.recipients),
        ca_file=ca_file,
        timeout=e.timeout,
        notify_failures=e.notify_failures,
    )


def valid_cron(expr: str) -> bool:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expr, datetime.now())
    except (CronSimError, ValueError, TypeError):
        return False
    return True


def read_opml(path: Path, key: str | None = None) -> list[FeedConfig]:
    """The http(s) feeds listed in an OPML file (``xmlUrl`` outlines, nested or not)."""
    from commentary_monitor.errors import FeedError
    from commentary_monitor.feeds.parse import parse_opml

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, key, "OPML file not found") from None
    except OSError as exc:
        raise ConfigError(path, key, f"cannot read: {exc.strerror}") from None
    try:
        return [FeedConfig(url=u, name=n) for u, n in parse_opml(data)]
    except FeedError as exc:
        raise ConfigError(path, key, exc.message) from None


def _read_seeds(cfg_path: Path, key: str, patterns: list[str], rel) -> tuple[SeedEssay, ...]:
    if not patterns:
        raise ConfigError(cfg_path, key, "a profile needs at least one seed essay")
    paths: list[Path] = []
    for pattern in patterns:
        full = rel(pattern)
        matches = sorted(Path(m) for m in glob.glob(str(full))) if glob.has_magic(str(full)) else [full]
        if not matches:
            raise ConfigError(cfg_path, key, f"no file matches {pattern!r}")
        for m in matches:
            if m not in paths:
                paths.append(m)
    essays = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(cfg_path, key, f"seed file not found: {p}") from None
        except UnicodeDecodeError:
            raise ConfigError(cfg_path, key, f"seed file is not UTF-8 text: {p}") from None
        except OSError as exc:
            raise ConfigError(cfg_path, key, f"cannot read seed file {p}: {exc.strerror}") from None
        if not text.strip():
            raise ConfigError(cfg_path, key, f"seed file is empty: {p}")
        essays.append(SeedEssay(path=p, text=text))
    return tuple(essays)


def _warehouse_location(cfg_path: Path, w: "_Warehouse", rel, env) -> WarehouseLocation:
    """``[warehouse]`` resolved: relative paths (the file, a SQLite or DuckDB catalog, a local
    data path) against the project's root; the catalog password from the environment."""
    path = rel(w.path)
    if w.backend == "duckdb":
        return WarehouseLocation(path)
    if not w.catalog:
        raise ConfigError(cfg_path, "warehouse.catalog", 'backend "ducklake" needs a catalog, e.g. '
                          '"sqlite:warehouse/lake.sqlite" or "postgres:dbname=lake host=db.internal user=monitor"')
    if "password=" in w.catalog.lower():
        raise ConfigError(cfg_path, "warehouse.catalog", f"passwords are never read from config files: set "
                          f"${CATALOG_PASSWORD_ENV} (or PGPASSWORD) in the environment")
    kind, _, rest = w.catalog.partition(":")
    catalog = f"{kind}:{rel(rest)}" if kind in ("sqlite", "duckdb") and rest else w.catalog
    data = w.data_path if "://" in w.data_path else str(rel(w.data_path)) + "/"
    return WarehouseLocation(path, "ducklake", catalog, data, env.get(CATALOG_PASSWORD_ENV) or None)
