"""Prefect's temporary API server for one command (see :class:`.prefect_server.TemporaryAPI`).

    python -m commentary_monitor.runs.temporary_api PORT

What it serves: Prefect's REST API on ``127.0.0.1:PORT/api``, backed by the ``PREFECT_HOME``
database (migrated on start, as Prefect's own server does), so that every flow run, task run,
state, log, artifact and event of the command is recorded there and shows later in Prefect's
UI or ``serve``'s server. It lives as long as the command.

Prefect's own ephemeral server (``prefect.server.api.server:create_app``) is built for any
client: its 30 routers, the UI's settings, the block registry's check (which imports every
installed Prefect collection: prefect-dask, so dask and distributed, ~0.4 s), a task queue
(docket) worker and its periodic services (database vacuums, proactive automations). A
command's flow runs need a few of them, and the server's start is the command's path: the
command waits for it (issue 24). So, by default, :func:`slim_app` builds a smaller app from
Prefect's own parts:

- the routers a flow run's client calls (:data:`ROUTERS`), in the order its first requests
  come: FastAPI (>= 0.137) builds an included router's routes at the first request that is
  matched through it, in router order, so the routers no run calls are never built;
- Prefect's exception handlers (a locked SQLite answers 503, which the client retries) and its
  request limit for SQLite, the minimum-API-version check, ``/health`` and ``/version``;
- its lifespan, cut to what records a run: the database's migrations (skipped when the
  database is where they left it last time: :func:`migrate`), the services that turn
  the client's events into task runs and stored events (:data:`SERVICES`), the automations'
  services when the database holds automations, a task queue (docket) for the routes that
  use one; the block types are registered only in a database that has none (a new
  ``PREFECT_HOME``), where Prefect checks its whole registry at every start;
- once it answers, it does at once what a run's first requests would wait for (:func:`warm_up`).

:func:`full_app` is Prefect's ``create_app``: used when ``COMMENTARY_MONITOR_PREFECT_API=full``
is set, when a setting asks for what the slim app leaves out (an auth string, CSRF
protection, metrics, Logfire), or when the slim app cannot be built (Prefect changed: the
tests in ``tests/test_temporary_api.py`` say so first).

Either way the server's modules are imported with the garbage collector off and then frozen
out of its reach, as the command does with Prefect's client (``cli._import_for_flows``):
FastAPI, SQLAlchemy and Prefect leave a few hundred thousand long-lived objects that every
full collection during the import would walk again.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import types

# Prefect's routers (modules of prefect.server.api) that a flow run's client calls, first
# those of a run's first requests (the API version, the CSRF token, the flow, the flow run,
# its states, its logs, its artifacts), then those a run may call: task runs (a task's own
# state changes go through events), blocks (a Secret block), concurrency limits (tagged
# tasks), variables, the readiness check. A route a client calls that is not here answers 404.
ROUTERS = (
    "admin", "csrf_token", "flows", "flow_runs", "flow_run_states", "logs", "artifacts",
    "task_runs", "task_run_states", "events", "block_types", "block_documents", "block_schemas",
    "block_capabilities", "concurrency_limits_v2", "concurrency_limits", "variables", "root",
)

# The services Prefect runs in an ephemeral server that record a run: the client's events
# become task runs and task-run states, and stored events. (Prefect's others: the
# automations' two, started here only when the database holds automations; the events'
# and logs' streams to subscribers, which no command subscribes to.)
SERVICES = (
    ("prefect.server.services.task_run_recorder", "TaskRunRecorder"),
    ("prefect.server.events.services.event_persister", "EventPersister"),
)
AUTOMATION_SERVICES = (
    ("prefect.server.events.services.triggers", "ReactiveTriggers"),
    ("prefect.server.events.services.actions", "Actions"),
)

TITLE = "Prefect Server (commentary-monitor's temporary API)"
WHICH = "COMMENTARY_MONITOR_PREFECT_API"    # "full": Prefect's own app
REQUEST_LOG = "COMMENTARY_MONITOR_API_REQUEST_LOG"   # a file: one line per request (the tests')

log = logging.getLogger("commentary_monitor.temporary_api")


def full_app():
    """Prefect's own server app, as ``prefect server start`` and Prefect's ephemeral server
    build it (this process runs with PREFECT__SERVER_EPHEMERAL and PREFECT__SERVER_FINAL)."""
    from prefect.server.api.server import create_app

    return create_app()


def wants_full_app() -> str | None:
    """Why Prefect's own app must serve (a setting the slim app does not honour), or None."""
    if os.environ.get(WHICH, "").strip().lower() == "full":
        return f"{WHICH}=full"
    import prefect.settings as ps

    if ps.PREFECT_SERVER_API_AUTH_STRING.value() is not None:
        return "PREFECT_SERVER_API_AUTH_STRING is set"
    if ps.PREFECT_SERVER_CSRF_PROTECTION_ENABLED.value():
        return "CSRF protection is on"
    if ps.PREFECT_API_ENABLE_METRICS.value():
        return "PREFECT_API_ENABLE_METRICS is on"
    from prefect._internal.observability import LogfireSettings

    if LogfireSettings().enabled:
        return "Logfire is on"
    return None


def slim_app():
    """The API a command's flow runs need, from Prefect's own routers and services (see the
    module's docstring). Raises when Prefect's parts are not where they were (3.8.8)."""
    import asyncio
    import sqlite3
    from contextlib import AsyncExitStack, asynccontextmanager
    from datetime import timedelta

    import sqlalchemy as sa
    import sqlalchemy.exc
    import sqlalchemy.orm.exc
    from docket import Docket
    from fastapi import Depends, FastAPI, Request
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.middleware.gzip import GZipMiddleware
    from fastapi.responses import JSONResponse

    import prefect
    import prefect.settings as ps
    from prefect.client.constants import SERVER_API_VERSION
    from prefect.logging import get_logger
    from prefect.logging.configuration import setup_logging
    from prefect.server.api.dependencies import EnforceMinimumAPIVersion
    from prefect.server.database import provide_database_interface
    from prefect.server.exceptions import ObjectNotFoundError
    from prefect.server.utilities.database import get_dialect

    routers = [importlib.import_module(f"prefect.server.api.{name}").router for name in ROUTERS]
    services = [getattr(importlib.import_module(module), name) for module, name in SERVICES]
    settings = ps.get_current_settings()
    server_logger = get_logger("server")
    setup_logging()

    # Prefect's handlers (prefect/server/api/server.py, 3.8.8), as its server registers them,
    # copied rather than imported: that module (every router, the task queue's worker) is
    # imported only if something asks it for more than the copy of its retryable check
    # (_defer_prefect_server_module). A locked SQLite database answers 503, which Prefect's
    # client retries.
    dialect = get_dialect(ps.PREFECT_API_DATABASE_CONNECTION_URL.value()).name
    transient: tuple[type[Exception], ...] = (
        sqlalchemy.exc.DBAPIError, sqlalchemy.exc.InvalidRequestError, sqlalchemy.orm.exc.DetachedInstanceError)
    if dialect != "sqlite":
        import asyncpg

        transient += (asyncpg.exceptions.QueryCanceledError, asyncpg.exceptions.ConnectionDoesNotExistError,
                      asyncpg.exceptions.CannotConnectNowError)

    def locked(exc: Exception) -> bool:
        return (getattr(exc.orig, "sqlite_errorname", None) in {"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT"}
                or "database is locked" in getattr(exc.orig, "args", []))

    def retryable(exc: Exception) -> bool:
        if isinstance(exc, sqlalchemy.exc.OperationalError) and isinstance(exc.orig, sqlite3.OperationalError):
            return locked(exc)
        return isinstance(exc, transient)

    _defer_prefect_server_module(is_client_retryable_exception=retryable)

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        if retryable(exc):
            if ps.PREFECT_API_LOG_RETRYABLE_ERRORS.value():
                server_logger.error("Encountered retryable exception in request:", exc_info=True)
            return JSONResponse(content={"exception_message": "Service Unavailable"}, status_code=503)
        server_logger.error("Encountered exception in request:", exc_info=True)
        return JSONResponse(content={"exception_message": "Internal Server Error"}, status_code=500)

    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=jsonable_encoder(
            {"exception_message": "Invalid request received.", "exception_detail": exc.errors(),
             "request_body": exc.body}))

    async def integrity_error(request: Request, exc: Exception) -> JSONResponse:
        server_logger.error("Encountered exception in request:", exc_info=True)
        return JSONResponse(status_code=409, content={"detail": (
            "Data integrity conflict. This usually means a unique or foreign key constraint was "
            "violated. See server logs for details.")})

    async def not_found(request: Request, exc: ObjectNotFoundError) -> JSONResponse:
        return JSONResponse(content={"exception_message": str(exc)}, status_code=404)

    api_app = FastAPI(title="Prefect REST API", exception_handlers={
        Exception: internal_error, RequestValidationError: invalid_request,
        sa.exc.IntegrityError: integrity_error, ObjectNotFoundError: not_found})
    api_app.add_middleware(GZipMiddleware)

    @api_app.get("/health", tags=["Root"])
    async def health_check() -> bool:
        return True

    @api_app.get("/version", tags=["Root"])
    async def server_version() -> str:
        return SERVER_API_VERSION

    version_check = [Depends(EnforceMinimumAPIVersion(minimum_api_version="0.8.0", logger=server_logger))]
    for router in routers:
        api_app.include_router(router, dependencies=version_check)

    @asynccontextmanager
    async def lifespan(app):
        db = provide_database_interface()
        if ps.PREFECT_API_DATABASE_MIGRATE_ON_START.value():
            await migrate(db)
        async with db.session_context() as session:
            block_types = (await session.execute(sa.select(sa.func.count()).select_from(db.BlockType))).scalar()
            automations = (await session.execute(sa.select(sa.func.count()).select_from(db.Automation))).scalar()
        if not block_types and ps.PREFECT_API_BLOCKS_REGISTER_ON_START.value():
            from prefect.server.models.block_registration import run_block_auto_registration

            async with await db.session() as session:     # as Prefect's server does
                await run_block_auto_registration(session=session)
        running = list(services)
        if automations:
            running += [getattr(importlib.import_module(module), name) for module, name in AUTOMATION_SERVICES]
        async with AsyncExitStack() as stack:
            api_app.state.docket = await stack.enter_async_context(
                Docket(name=settings.server.docket.name, url=settings.server.docket.url, execution_ttl=timedelta(0)))
            started = {service: asyncio.create_task(service.start()) for service in
                       (cls() for cls in running if cls.enabled())}
            warming = asyncio.create_task(warm_up(api_app))
            try:
                yield
            finally:
                warming.cancel()
                await asyncio.gather(*(service.stop() for service in started))
                await asyncio.gather(*started.values(), return_exceptions=True)

    app = FastAPI(title=TITLE, version=prefect.__version__, lifespan=lifespan)
    app.add_middleware(CORSMiddleware,
                       allow_origins=ps.PREFECT_SERVER_CORS_ALLOWED_ORIGINS.value().split(","),
                       allow_methods=ps.PREFECT_SERVER_CORS_ALLOWED_METHODS.value().split(","),
                       allow_headers=ps.PREFECT_SERVER_CORS_ALLOWED_HEADERS.value().split(","))
    if dialect == "sqlite":
        # Prefect's cap on concurrent requests against SQLite, and its filter of the
        # retryable "database is locked" errors out of uvicorn's log
        app.add_middleware(_RequestLimit, limit=100)
        logging.getLogger("uvicorn.error").addFilter(_SQLiteLocked(locked, settings))
    app.api_app = api_app
    app.mount("/api", app=api_app, name="api")
    return app


SERVER_MODULE = "prefect.server.api.server"


class _DeferredModule(types.ModuleType):
    """A module in ``sys.modules`` with a few names of its own, that imports the real module
    it stands for the first time any other name is asked of it (and from then on is that
    module's namespace)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update({k: v for k, v in real.__dict__.items() if not k.startswith("__")})
        return getattr(real, name)


def _defer_prefect_server_module(**names) -> None:
    """Prefect's orchestration rules import its whole server module (``prefect.server.api.server``:
    every router, the task queue's worker, ~0.1-0.2 s of the server's one core) at a run's
    first state change, for one function, ``is_client_retryable_exception``. This app has a
    copy of it (``retryable``, checked against Prefect's by the tests), so the module stands
    deferred in ``sys.modules`` with ``names``: anything else asked of it imports it then."""
    if SERVER_MODULE in sys.modules:
        return
    module = _DeferredModule(SERVER_MODULE)
    module.__dict__.update(names)
    sys.modules[SERVER_MODULE] = module


async def warm_up(api_app) -> None:
    """What a flow run's first requests would do on the command's path (~0.15 s), done while
    the command prepares its run: FastAPI builds the routes of the routers a request goes
    through at the first one (here those of a run's first requests: one read inside this
    process, of an artifact that does not exist), SQLAlchemy opens its connection."""
    import uuid

    import httpx

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://warm-up") as client:
            await client.get(f"/artifacts/{uuid.uuid4()}")
    except Exception:  # noqa: BLE001 - a warm-up only: the requests do the same if it fails
        pass


class _RequestLimit:
    """Prefect's ``RequestLimitMiddleware``: at most ``limit`` requests at once."""

    def __init__(self, app, limit: float):
        import anyio

        self.app = app
        self._limiter = anyio.CapacityLimiter(limit)

    async def __call__(self, scope, receive, send) -> None:
        async with self._limiter:
            await self.app(scope, receive, send)


class _SQLiteLocked(logging.Filter):
    """Prefect's ``_SQLiteLockedOperationalErrorFilter``: a locked SQLite database (answered
    503, retried by the client) is logged only with PREFECT_SERVER_LOG_RETRYABLE_ERRORS."""

    def __init__(self, locked, settings):
        super().__init__()
        self.locked, self.settings = locked, settings

    def filter(self, record: logging.LogRecord) -> bool:
        import sqlite3

        import sqlalchemy.exc

        exc = record.exc_info[1] if record.exc_info else None
        if not (isinstance(exc, sqlalchemy.exc.OperationalError) and isinstance(exc.orig, sqlite3.OperationalError)
                and self.locked(exc)):
            return True
        return self.settings.server.log_retryable_errors


MIGRATED = "commentary-monitor-api.json"      # in PREFECT_HOME: see migrate


async def migrate(db) -> None:
    """Prefect's migrations of its database (``db.create_db()``: Alembic's upgrade to the
    head revision), skipped when the database is at the revision this Prefect version left it
    at last time (written down in PREFECT_HOME): Alembic itself decides from that same
    revision, but loading it and its ~200 migration scripts costs ~0.1 s of each start. A
    new database, another Prefect version, or a revision changed by anyone else migrates."""
    import json

    import prefect
    import prefect.settings as ps
    import sqlalchemy as sa

    url = ps.PREFECT_API_DATABASE_CONNECTION_URL.value()
    memo = ps.get_current_settings().home / MIGRATED
    try:
        async with db.session_context() as session:
            revision = (await session.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
        if json.loads(memo.read_text(encoding="utf-8")) == {"prefect": prefect.__version__, "database": url,
                                                              "revision": revision}:
            return
    except Exception:  # noqa: BLE001 - no table yet, no memo yet, a memo unread: migrate
        pass
    await db.create_db()
    async with db.session_context() as session:
        revision = (await session.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
    try:
        memo.write_text(json.dumps({"prefect": prefect.__version__, "database": url, "revision": revision}),
                        encoding="utf-8")
    except OSError:
        pass


def build_app():
    """The temporary API's app: the slim one unless :func:`wants_full_app` says otherwise or
    it cannot be built."""
    try:
        why = wants_full_app()
        if why is None:
            return slim_app()
    except Exception as exc:  # noqa: BLE001 - Prefect changed: its own app still serves
        why = f"the slim app could not be built ({type(exc).__name__}: {exc})"
    log.debug("Prefect's full API app: %s", why)
    return full_app()


def logging_requests(app, path: str):
    """``app`` writing one JSON line per request to ``path``: the method, the route's template
    (as the app matched it) and the status; a websocket's path. For the tests, which check
    that the slim app serves every route a real run calls."""
    import json

    out = open(path, "a", encoding="utf-8")

    async def logged(scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await app(scope, receive, send)
        status = []

        async def sending(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None)
            out.write(json.dumps({"method": scope.get("method", "WEBSOCKET"), "path": scope["path"],
                                  "route": route, "status": status[0] if status else None}) + "\n")
            out.flush()
    return logged


def main(port: int) -> None:
    gc.disable()
    try:
        import uvicorn

        app = build_app()
        if os.environ.get(REQUEST_LOG):
            app = logging_requests(app, os.environ[REQUEST_LOG])
    finally:
        gc.freeze()
        gc.enable()
    # Stopped while a request is in flight (the command is stopping on a signal), the server's
    # database pool logs the cancelled rollback with a traceback on the user's terminal: noise
    # about a server that is going away, never about the run.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    # exits with code 3 when the port is taken, as Prefect's own command does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")


if __name__ == "__main__":
    main(int(sys.argv[1]))
