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

import httpx

from .errors import MonitorError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        log.close()
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + self.startup_timeout
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
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
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
