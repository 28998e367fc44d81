"""The temporary Prefect API a command starts (``runs/temporary_api.py``): the slim app built
from Prefect's parts answers every route real runs call, and the runs are recorded in the
PREFECT_HOME database as Prefect's own server records them. Real subprocesses, real runs.

The slim app copies a few small pieces of Prefect 3.8.8's server (its exception handlers, its
request limit, its lifespan's steps) and picks its routers and services by name: the last
tests fail when those pieces change in Prefect, so that an upgrade is reviewed here first."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from commentary_monitor.runs import temporary_api

from .conftest import write_config
from .test_cli import cli



def _unrouted(requests: list[dict]) -> list[dict]:
    """The requests no route of the app took (a 404 of a route, e.g. a variable not set yet,
    is an answer)."""
    return [r for r in requests if r["status"] == 405 or (r["status"] == 404 and r["route"] is None)]


def _requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _routes(requests: list[dict]) -> set[tuple[str, str]]:
    return {(r["method"], r["route"] or r["path"]) for r in requests}


def _start_api(env: dict):
    """A :class:`TemporaryAPI` started as a command starts it, under the environment ``env``."""
    from commentary_monitor.runs.prefect_server import TemporaryAPI

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return TemporaryAPI().start()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _ingest_and_digest(root: Path, site, **env: str) -> list[dict]:
    """A real ingest of ``site`` (new pages: task runs, batches, artifacts) then a digest, in a
    project under ``root``, with run logs on; the requests their temporary API served."""
    root.mkdir()
    cfg = write_config(root, [site.url("/east/feed.xml"), site.url("/west/atom.xml")], [site.host_port])
    log = root / "requests.jsonl"
    for command in ("ingest", "digest"):
        out = cli("--config", str(cfg), command, cwd=root, PREFECT_LOGGING_LEVEL="INFO",
                  COMMENTARY_MONITOR_API_REQUEST_LOG=str(log), **env)
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr and "Error logging to API" not in out.stderr, out.stderr
    return _requests(log)


def _recorded(prefect_home: Path) -> dict:
    with sqlite3.connect(prefect_home / "prefect.db") as db:
        one = lambda sql: db.execute(sql).fetchall()  # noqa: E731
        return {
            "flow_runs": sorted(one("SELECT flow.name, flow_run.state_type FROM flow_run JOIN flow ON flow.id = flow_run.flow_id")),
            "task_runs": sorted(one("SELECT task_key, state_type FROM task_run")),
            "task_run_states": one("SELECT count(*) FROM task_run_state")[0][0],
            "artifacts": one("SELECT count(*) FROM artifact")[0][0],
            "finished_logs": one("SELECT count(*) FROM log WHERE message LIKE 'Finished in state Completed%'")[0][0],
            "events": {e for (e,) in one("SELECT DISTINCT event FROM events")},
        }


def test_the_slim_api_serves_every_route_real_runs_call_and_records_them_as_prefects_own(tmp_path, news_site):
    """An ingest that stores new articles and a digest, once with the slim app (the default)
    and once with Prefect's own app: no request to the slim app is left unrouted, it served
    every route Prefect's app was asked for, and each database holds the same records (flow
    runs, task runs and their states, logs, artifacts, events)."""
    slim = _ingest_and_digest(tmp_path / "slim", news_site)
    full = _ingest_and_digest(tmp_path / "full", news_site, COMMENTARY_MONITOR_PREFECT_API="full")

    assert not _unrouted(slim), _unrouted(slim)
    assert _routes(full) <= _routes(slim), _routes(full) - _routes(slim)
    assert ("WEBSOCKET", "/events/in") in _routes(slim)     # task runs' states come as events

    ours, prefects = _recorded(tmp_path / "slim" / ".prefect-home"), _recorded(tmp_path / "full" / ".prefect-home")
    assert ours["flow_runs"] == [("digest", "COMPLETED"), ("ingest", "COMPLETED")]
    assert ours["task_runs"] and {state for _, state in ours["task_runs"]} == {"COMPLETED"}
    for key in ("flow_runs", "task_runs", "task_run_states", "artifacts", "finished_logs"):
        assert ours[key] == prefects[key], key
    assert ours["finished_logs"] >= 2 and ours["artifacts"] >= 2
    assert {"prefect.flow-run.Completed", "prefect.task-run.Completed"} <= ours["events"]
    assert ours["events"] == prefects["events"]


CLIENT = textwrap.dedent("""
    import sys
    from prefect import flow, task
    from prefect.blocks.system import Secret
    from prefect.variables import Variable

    @task(tags=["polite"])
    def tagged():
        return 1

    @flow
    def tagged_flow():
        return tagged()

    Secret(value="s3cret").save("smtp-password", overwrite=True)
    assert Secret.load("smtp-password").get() == "s3cret"
    Variable.set("last-week", "2026-W47", overwrite=True)
    assert Variable.get("last-week") == "2026-W47"
    assert tagged_flow() == 1
    print("ok")
""")


def test_the_slim_api_serves_blocks_variables_and_tagged_tasks(tmp_path):
    """What a run may also call (a Prefect Secret block, as the digest's SMTP password; a
    variable; a tagged task's concurrency slots) through the temporary API a command starts,
    with Prefect's own client."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    log = tmp_path / "requests.jsonl"
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               COMMENTARY_MONITOR_API_REQUEST_LOG=str(log))
    server = _start_api(env)
    try:
        url = server.wait_ready()
        assert httpx.get(url.removesuffix("/api") + "/openapi.json").json()["info"]["title"] == temporary_api.TITLE
        out = subprocess.run([sys.executable, "-c", CLIENT], env=dict(env, PREFECT_API_URL=url),
                             capture_output=True, text=True, timeout=180)
        assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr
    finally:
        server.stop()
    requests = _requests(log)
    assert not _unrouted(requests), _unrouted(requests)
    routes = _routes(requests)
    assert ("GET", "/block_types/slug/{slug}/block_documents/name/{block_document_name}") in routes
    assert ("POST", "/v2/concurrency_limits/increment-with-lease") in routes
    assert any(route.startswith("/variables") for _, route in routes)


def _app_title(**env: str) -> str:
    """The title of the app the temporary API builds, in a fresh process under ``env``; with
    ``broken``, as if a router the slim app names had gone from Prefect."""
    code = ("from commentary_monitor.runs import temporary_api as t\n"
            "if __import__('os').environ.get('BROKEN'): t.ROUTERS += ('no_such_router',)\n"
            "print(t.build_app().title)")
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_prefects_own_app_serves_when_asked_when_a_setting_needs_it_or_when_the_slim_one_cannot_be_built(tmp_path):
    home = str(tmp_path / "prefect-home")
    assert _app_title(PREFECT_HOME=home) == temporary_api.TITLE
    assert _app_title(PREFECT_HOME=home, COMMENTARY_MONITOR_PREFECT_API="full") == "Prefect Server"
    assert _app_title(PREFECT_HOME=home, PREFECT_SERVER_API_AUTH_STRING="admin:pass") == "Prefect Server"
    assert _app_title(PREFECT_HOME=home, BROKEN="1") == "Prefect Server"


# Prefect 3.8.8's pieces the slim app copies or mirrors (prefect/server/api/server.py): when
# one changes, review temporary_api.slim_app against it, then update its digest here.
PREFECT_SOURCES = {
    "create_app": "0f896a78bc06a77c",          # the lifespan: migrations, blocks, docket, services
    "create_api_app": "a7ab36fe3c52243f",      # health, version, the version check, middleware
    "custom_internal_exception_handler": "392d26b77a4d130a",
    "is_client_retryable_exception": "6515fb60bd34f27c",
    "validation_exception_handler": "c36c66acb810214f",
    "integrity_exception_handler": "50fff900655773d0",
    "prefect_object_not_found_exception_handler": "6b15f30f91063310",
    "RequestLimitMiddleware": "01e9b325c44c9a9a",
    "_SQLiteLockedOperationalErrorFilter": "cda9acb80192e60c",
}


def test_the_prefect_server_parts_the_slim_app_copies_are_as_they_were():
    import prefect.server.api.server as server

    changed = {name for name, digest in PREFECT_SOURCES.items()
               if hashlib.sha256(inspect.getsource(getattr(server, name)).encode()).hexdigest()[:16] != digest}
    assert not changed, f"Prefect's server changed ({', '.join(sorted(changed))}): review runs/temporary_api.py"


def test_the_routers_and_services_the_slim_app_picks_are_prefects():
    """Every router the slim app includes is one of Prefect's server's, and Prefect runs in an
    ephemeral server exactly the services the slim app starts or leaves out knowingly."""
    import importlib

    import prefect.server.api.server as server
    from prefect.server.services.base import RunInEphemeralServers

    prefect_routers = {id(router) for router in server.API_ROUTERS}
    for name in temporary_api.ROUTERS:
        assert id(importlib.import_module(f"prefect.server.api.{name}").router) in prefect_routers, name
    ephemeral = {cls.__name__ for cls in RunInEphemeralServers.all_services()}
    picked = {name for _, name in temporary_api.SERVICES + temporary_api.AUTOMATION_SERVICES}
    assert ephemeral == picked | {"EventLogger", "Distributor", "LogDistributor"}, ephemeral


def test_a_deferred_module_serves_its_own_names_and_imports_the_real_one_for_any_other(monkeypatch):
    """How the slim app leaves Prefect's server module unimported until something but the
    orchestration rules' one function asks for it (here with a small module of the stdlib)."""
    import colorsys
    import sys

    monkeypatch.delitem(sys.modules, "colorsys")
    deferred = temporary_api._DeferredModule("colorsys")
    deferred.own = "mine"
    monkeypatch.setitem(sys.modules, "colorsys", deferred)
    from colorsys import own

    assert own == "mine" and sys.modules["colorsys"] is deferred
    assert deferred.rgb_to_hsv(1.0, 0.0, 0.0) == colorsys.rgb_to_hsv(1.0, 0.0, 0.0)
    assert sys.modules["colorsys"] is not deferred and sys.modules["colorsys"].rgb_to_hsv
    assert deferred.hsv_to_rgb is sys.modules["colorsys"].hsv_to_rgb


def test_the_migrations_run_unless_the_database_is_where_this_prefect_left_it(tmp_path):
    """A new database is migrated and its revision written down in PREFECT_HOME; a memo that
    does not match (another Prefect version here) is no reason to skip: migrated again."""
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")

    def start_and_stop() -> dict:
        server = _start_api(env)
        try:
            server.wait_ready()
        finally:
            server.stop()
        return json.loads((home / temporary_api.MIGRATED).read_text(encoding="utf-8"))

    import prefect

    memo = start_and_stop()
    with sqlite3.connect(home / "prefect.db") as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert memo == {"prefect": prefect.__version__, "database": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
                    "revision": revision}
    (home / temporary_api.MIGRATED).write_text(json.dumps(dict(memo, prefect="0.0.0")), encoding="utf-8")
    assert start_and_stop() == memo


def test_a_temporary_api_that_cannot_start_fails_the_command_at_once(tmp_path):
    """Its database cannot be opened: the server's start fails (uvicorn's exit code 3, as for
    a port taken meanwhile); tried again a few times, then the command says so, without
    waiting for the startup timeout (an hour here: cli() would give up first), and leaves no
    server behind."""
    from .test_cli import running_with_prefect_home

    cfg = write_config(tmp_path, [], [])
    out = cli("--config", str(cfg), "ingest", cwd=tmp_path, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="3600",
              PREFECT_API_DATABASE_CONNECTION_URL="sqlite+aiosqlite:////proc/no-such-dir/prefect.db")
    assert out.returncode == 1, out.stderr
    assert "commentary-monitor: error: Prefect's temporary API server exited with code 3" in out.stderr
    assert not running_with_prefect_home(tmp_path / ".prefect-home")
