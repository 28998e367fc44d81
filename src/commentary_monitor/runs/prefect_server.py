"""A Prefect server on 127.0.0.1 for ``commentary-monitor serve``.

Prefect's embedded (ephemeral) API runs flows but not its scheduler, so schedules
need a real server. Unless ``PREFECT_API_URL`` already points at one (a shared
server or Prefect Cloud), ``serve`` starts ``prefect server start`` on a free
loopback port for as long as it runs, and points this process at it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from commentary_monitor.errors import MonitorError

# httpx is imported where it is used: a command imports this module to start its temporary
# API before anything else (see start_early), and httpx's import takes ~0.07 s.


def prefect_quiet_defaults(env: dict[str, str] | None = None) -> None:
    """Quiet Prefect's embedded server unless the user chose otherwise.

    Offline, Prefect's telemetry logs an ERROR on every run; at exit the temporary
    server prints shutdown tracebacks. Set before ``prefect`` is imported.

    The temporary server also gets 120 s to start, not Prefect's 20: the first run in a
    fresh PREFECT_HOME creates its database first, which took 25-30 s on a busy 2-core VM
    (and failed the run at 20).
    """
    env = os.environ if env is None else env
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    env.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")


def server_env(**settings: str) -> dict[str, str]:
    """The environment of a Prefect server process started here: this process's, with
    ``settings``, and the run-time type checks of key_value (the store of Prefect's task
    queue, docket) off unless the user set PY_KEY_VALUE_DISABLE_BEARTYPE: beartype decorates
    its every function as it is imported (~0.08 s of the server's start), for checks that
    only warn."""
    env = dict(os.environ, **settings)
    env.setdefault("PY_KEY_VALUE_DISABLE_BEARTYPE", "true")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def terminate(process: subprocess.Popen | None, timeout: float) -> None:
    """Stop a server process: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

class LocalPrefectServer:
    def __init__(self, log_path: Path, startup_timeout: float = 120.0) -> None:
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.api_url: str | None = os.environ.get("PREFECT_API_URL")
        self.started = False

    def __enter__(self) -> "LocalPrefectServer":
        if self.api_url:
            return self            # the user's own server or Cloud
        port = _free_port()
        prefect = Path(sys.executable).with_name("prefect")
        env = server_env(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        log.close()
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + self.startup_timeout
        import httpx

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise MonitorError(f"prefect server exited with code {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            self.__exit__()
            raise MonitorError(f"prefect server did not start within {self.startup_timeout:g}s; see {self.log_path}")
        self.api_url = url
        self.started = True
        os.environ["PREFECT_API_URL"] = url
        return self

    def __exit__(self, *exc_info) -> None:
        terminate(self.process, 20)
        if self.started:
            os.environ.pop("PREFECT_API_URL", None)


def _die_with_parent() -> None:
    """In a child, before exec: the kernel sends it SIGTERM when the process that started it
    dies, however it dies (Linux's PR_SET_PDEATHSIG; elsewhere nothing)."""
    if sys.platform != "linux":
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # 1: PR_SET_PDEATHSIG
    if os.getppid() == 1:     # the parent died before the line above
        os._exit(1)


@contextmanager
def _own_session():
    """Processes started meanwhile with ``subprocess.Popen`` run in a session of their own and
    end when this process does."""
    popen = subprocess.Popen

    def shielded(*args, **kwargs):
        kwargs.setdefault("start_new_session", True)
        kwargs.setdefault("preexec_fn", _die_with_parent)
        return popen(*args, **kwargs)

    subprocess.Popen = shielded
    try:
        yield
    finally:
        subprocess.Popen = popen


def shield_temporary_server() -> None:
    """The temporary API server Prefect starts for the flow runs of this process (no
    PREFECT_API_URL): in a session of its own, so that a Ctrl-C in the terminal, which reaches
    the whole foreground process group, stops the run (see :mod:`.stopping`) rather than
    killing the server the run still reports to (Prefect's client then retries for minutes),
    and ended by the kernel when this process dies, even by SIGKILL.

    Prefect 3.8.8 starts the server in ``SubprocessASGIServer._run_uvicorn_command`` of a
    per-port singleton: the instance it will use is given a wrapper of that method."""
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if getattr(server, "_shielded", False) or server.running:
        return
    start = server._run_uvicorn_command

    def run_uvicorn_command():
        with _own_session():
            return start()

    server._run_uvicorn_command = run_uvicorn_command
    server._shielded = True


class TemporaryAPI:
    """Prefect's temporary API server for the flow runs of one command, started by the command
    itself as its first step, so that the server's start (its imports, its database: ~4-6 s of
    one core) runs while this process imports Prefect and reads its config on the other core.

    Prefect would start its own server (``uvicorn prefect.server.api.server:create_app``, as
    ``SubprocessASGIServer`` does) at the flow run's first API call, after every import, and
    this process would import the server's modules (FastAPI, SQLAlchemy, every route: ~1.5 s)
    only to start it. This one serves the part of Prefect's API that flow runs call, on the
    same database (:mod:`.temporary_api`): it answers ~0.5 s sooner. The server runs in a session of its own (a Ctrl-C in the terminal stops
    the run, not the server the run reports to; see :mod:`.stopping`) and the kernel ends it
    when this process dies, even by SIGKILL; :meth:`stop` ends it at the command's end."""

    def __init__(self, startup_timeout: float = 120.0) -> None:
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.api_url: str | None = None
        self._stopping = False

    def start(self) -> "TemporaryAPI":
        self._stopping = False
        port = _free_port()
        env = server_env(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "commentary_monitor.runs.temporary_api", str(port)],
            env=env, start_new_session=True, preexec_fn=_die_with_parent,
        )
        self.api_url = f"http://127.0.0.1:{port}/api"
        return self

    def wait_ready(self) -> str:
        """The API's URL once it answers; :class:`MonitorError` when the server exits or does
        not answer within ``startup_timeout`` (the first run in a fresh PREFECT_HOME creates
        the database first: 25-30 s on a busy 2-core machine)."""
        import httpx

        assert self.process is not None and self.api_url, "not started"
        deadline = time.monotonic() + self.startup_timeout
        restarts = 0
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code == 3 and restarts < 3:
                    # uvicorn's "address in use" (another process took the port meanwhile), or
                    # its app's start failed (the same code): tried again, a few times
                    restarts += 1
                    self.start()
                    continue
                if code is not None:
                    raise MonitorError(f"Prefect's temporary API server exited with code {code}")
                try:
                    if client.get(self.api_url + "/health").status_code == 200:
                        return self.api_url
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)     # a refused connection costs the starting server nothing
        self.stop()
        raise MonitorError(f"Prefect's temporary API server did not answer within {self.startup_timeout:g}s")

    def stop(self, wait: bool = True) -> None:
        """SIGTERM, then, with ``wait``, its end (SIGKILL after 5 s). ``stop(wait=False)``
        then ``stop()`` lets other work run while the server shuts down (~0.2 s)."""
        if self.process is None:
            return
        if not self._stopping:
            self._stopping = True
            if self.process.poll() is None:
                self.process.terminate()
        if wait:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def _startup_timeout() -> float:
    return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 120)


_early: TemporaryAPI | None = None


def start_early() -> None:
    """Start the temporary API as a flow command's very first step, before the command loads
    its config or anything else (~0.15 s sooner than :class:`FlowAPI` could: the server's
    start is the command's path). Started on a guess, unless ``PREFECT_API_URL`` names a
    server: :class:`FlowAPI` takes it when the runs are to report to a temporary API, and
    stops it when they go to a running ``serve``'s server (or a server Prefect's settings
    name); :func:`stop_early` stops it if the command ends before (a mistake in its config).
    Call it with Prefect's environment set (:func:`prefect_quiet_defaults`)."""
    global _early
    if _early is None and not os.environ.get("PREFECT_API_URL"):
        _early = TemporaryAPI(_startup_timeout()).start()


def _take_early() -> TemporaryAPI | None:
    global _early
    early, _early = _early, None
    return early


def stop_early() -> None:
    """Stop the server :func:`start_early` started, unless a :class:`FlowAPI` took it."""
    early = _take_early()
    if early:
        early.stop()


class FlowAPI:
    """Where the flow runs of one command report, chosen as the command's first step:

    - a Prefect server the environment names (``PREFECT_API_URL``): that one;
    - else the server of a ``serve`` running for the same warehouse, when it answers: no
      server to start (the runs show beside the scheduled ones);
    - else a :class:`TemporaryAPI`, started at once, so that it starts while the command
      imports Prefect.

    :meth:`activate`, once Prefect is imported, points Prefect at it, unless Prefect's own
    settings name a server (a Prefect profile, a test harness): then the temporary API is
    stopped unused."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kind: str | None = None      # "named", "serve" or "temporary"
        self.url: str | None = None
        self.temporary: TemporaryAPI | None = None
        self._set_env = False
        self._drained = False

    def __enter__(self) -> "FlowAPI":
        if os.environ.get("PREFECT_API_URL"):
            self.kind, self.url = "named", os.environ["PREFECT_API_URL"]
            stop_early()
        elif url := api_of_running_serve(self.folder):
            self.kind, self.url = "serve", url
            stop_early()
        else:
            self.temporary = _take_early() or TemporaryAPI(_startup_timeout()).start()
            self.kind, self.url = "temporary", self.temporary.api_url
        return self

    @property
    def ours(self) -> bool:
        """Whether the runs report to an API this project runs (a temporary one, or serve's)."""
        return self.kind in ("serve", "temporary")

    def activate(self, meanwhile=None) -> None:
        """Point Prefect at the API, then wait for a temporary one to answer: Prefect's
        settings are refreshed (~0.1 s) and ``meanwhile()`` (work the run would do anyway
        before it needs the API) runs while the server is still starting."""
        from prefect.settings import PREFECT_API_URL

        if self.kind == "named":
            return
        if named := PREFECT_API_URL.value():
            self._stop_temporary()
            self.kind, self.url = "named", named
            return
        self._point_prefect_at(self.url)
        if meanwhile is not None:
            meanwhile()
        if self.temporary:
            url = self.temporary.wait_ready()
            if url != self.url:       # started again on another port (see wait_ready)
                self.url = url
                self._point_prefect_at(url)

    def _point_prefect_at(self, url: str) -> None:
        from prefect.context import refresh_global_settings_context

        # In the environment, so that every thread of this process (Prefect's events worker
        # too) and every process it starts (Dask workers) report there.
        os.environ["PREFECT_API_URL"] = url
        self._set_env = True
        refresh_global_settings_context()

    def _stop_temporary(self, wait: bool = True) -> None:
        if self.temporary:
            if not self._drained:
                _drain_prefect_senders()
                self._drained = True
            self.temporary.stop(wait)
            if wait:
                self.temporary = None

    def __exit__(self, *exc_info) -> None:
        self._stop_temporary(wait=False)     # it shuts down while Prefect's settings are restored
        if self._set_env:
            os.environ.pop("PREFECT_API_URL", None)
            self._set_env = False
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()
        self._stop_temporary()


def _drain_prefect_senders(timeout: float = 5.0) -> None:
    """Send what Prefect's log and event workers still hold (run logs at the user's
    PREFECT_LOGGING_LEVEL, the runs' events) before the temporary API they send to stops:
    left to Prefect's own drain at exit, they find it gone, retry for ~1.5 s and print
    "Error logging to API"."""
    for module, name in (("prefect.logging.handlers", "APILogWorker"), ("prefect.events.worker", "EventsWorker")):
        if module in sys.modules:       # never started when never imported
            getattr(sys.modules[module], name).drain_all(timeout=timeout, at_exit=False)


def api_of_running_serve(folder: Path, timeout: float = 1.0) -> str | None:
    """The Prefect API URL of a ``serve`` running for the warehouse in ``folder``, when it
    answers: a command can report its flow runs there instead of starting a temporary API
    (the runs then also show beside the scheduled ones). None otherwise."""
    try:
        served = json.loads((folder / SERVED_FILE).read_text(encoding="utf-8"))
        os.kill(served["pid"], 0)
        url = served["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(url, str) or not url:
        return None
    import httpx

    try:
        return url if httpx.get(url + "/health", timeout=timeout).status_code == 200 else None
    except httpx.HTTPError:
        return None


SERVED_FILE = "serve.json"    # beside the warehouse: what a running `serve` serves, for `status`


def record_served(folder: Path, api_url: str | None, schedule) -> Path:
    """Write down, for ``status``, that this process serves ``schedule`` through the Prefect
    API at ``api_url``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SERVED_FILE
    path.write_text(json.dumps({"pid": os.getpid(), "api_url": api_url, "ingest": schedule.ingest,
                                "digest": schedule.digest, "timezone": schedule.timezone}), encoding="utf-8")
    return path


def served_schedules(folder: Path) -> dict | None:
    """What a running ``serve`` serves: {"pid", "ingest": cron, "digest": cron, "timezone",
    "source"}, read from its Prefect deployments when its API answers (else as it wrote them
    down); None when no ``serve`` is running."""
    try:
        served = json.loads((folder / SERVED_FILE).read_text(encoding="utf-8"))
        os.kill(served["pid"], 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    served["source"] = "as serve started them"
    if served.get("api_url"):
        import httpx

        try:
            resp = httpx.post(served["api_url"] + "/deployments/filter", json={"limit": 50}, timeout=5)
            resp.raise_for_status()
            found = {}
            for d in resp.json():
                for s in d.get("schedules") or []:
                    sched = s.get("schedule") or {}
                    if sched.get("cron") and s.get("active", True):
                        found[d["name"]] = (sched["cron"], sched.get("timezone") or served["timezone"])
            if "ingest" in found and "weekly-digest" in found:
                (served["ingest"], served["timezone"]), (served["digest"], _) = found["ingest"], found["weekly-digest"]
                served["source"] = "Prefect deployments"
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
    return served
