"""Stopping a run when told: SIGTERM (systemd, docker, a Prefect cancellation), SIGINT (Ctrl-C).

The first signal *asks* the run to stop: the HTTP requests in flight are cancelled, the
extraction workers are stopped, the batches already built are stored, and the run ends as
``cancelled`` within seconds, whatever the sites are doing. The stages poll
:func:`requested` (or call :func:`check`) where they wait; nothing is interrupted in the
middle of a warehouse write. A second signal exits at once, taking the command's child
processes with it (the run row then stays ``running`` until the next run marks it
``abandoned``; DuckDB's log keeps what was committed).

A stop request is a fact about the whole process (signals are), hence the module-level
event; :func:`reset` clears it for a process that runs flows again (tests, ``serve``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager

from commentary_monitor.errors import Stopped

POLL = 0.1      # seconds between looks at the stop request while waiting

_requested = threading.Event()
_signum: int | None = None
_runs = 0                 # runs under way in this process (inside handling_signals): they poll the request
_interrupt_idle = False   # with no run under way, the first signal raises KeyboardInterrupt (see install)


def requested() -> bool:
    return _requested.is_set()


def signal_number() -> int | None:
    """The signal that asked for the stop (None: not asked, or asked by :func:`request`)."""
    return _signum


def exit_code() -> int:
    """The shell's convention: 128 + the signal (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + (_signum or signal.SIGTERM)


def signal_name() -> str:
    return signal.Signals(_signum).name if _signum else "a stop request"


def request(signum: int | None = None) -> None:
    global _signum
    if signum is not None and _signum is None:
        _signum = signum
    _requested.set()


def reset() -> None:
    global _signum
    _signum = None
    _requested.clear()


def check(what: str = "run") -> None:
    """Raise :class:`~commentary_monitor.errors.Stopped` when a stop was asked for."""
    if _requested.is_set():
        raise Stopped(what, signal_name())


def sleep(seconds: float) -> None:
    """``time.sleep`` that ends early (raising Stopped) when a stop is asked for."""
    if _requested.wait(seconds):
        check()


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc), children first."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def end_children(grace: float = 0.0) -> None:
    """Terminate every process this one started, directly or not (the temporary Prefect API
    server, the extraction workers and their fork server); after ``grace`` seconds, kill
    those still there."""
    # multiprocessing's resource tracker ignores SIGTERM and SIGINT, and ends by itself when
    # this process does (it reads a pipe only this process holds).
    procs = [p for p in _descendants(os.getpid()) if b"resource_tracker" not in _cmdline(p)]
    for pid in procs:
        try:
            os.kill(pid, signal.SIGTERM if grace else signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while grace and time.monotonic() < deadline and any(_alive(p) for p in procs):
        time.sleep(0.05)
    for pid in procs:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _on_signal(signum, _frame) -> None:
    if _requested.is_set():
        # The second signal: no more waiting for anything.
        try:
            os.write(2, f"commentary-monitor: {signal.Signals(signum).name} again: exiting now; "
                        "what was committed is kept\n".encode())
        except OSError:
            pass
        end_children()
        os._exit(128 + signum)
    request(signum)
    if _interrupt_idle and not _runs:
        # Nothing built yet (Prefect is starting, or between two flows): no reason to wait.
        raise KeyboardInterrupt
    try:
        os.write(2, f"commentary-monitor: {signal.Signals(signum).name}: stopping "
                    "(finishing what is already built; a second signal exits at once)\n".encode())
    except OSError:
        pass


SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install(interrupt_idle: bool = False) -> bool:
    """Handle SIGINT and SIGTERM as stop requests. With ``interrupt_idle`` (a command that runs
    flows), a signal that comes while no run is under way raises KeyboardInterrupt at once.
    Only the main thread can install signal handlers: elsewhere this does nothing and returns
    False."""
    global _interrupt_idle
    if threading.current_thread() is not threading.main_thread():
        return False
    _interrupt_idle = interrupt_idle
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    return True


@contextmanager
def handling_signals():
    """The stop request's handlers for the duration of a run (a flow body: Prefect's engine
    installs its own SIGTERM handler around a flow run, which aborts the run where it
    stands), then the handlers that were there before."""
    global _runs
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    _runs += 1
    try:
        yield
    finally:
        _runs -= 1
        for s, handler in before.items():
            if handler is not None:
                signal.signal(s, handler)

