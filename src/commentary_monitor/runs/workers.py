"""Worker processes for the CPU-heavy part of a run: extracting and scoring pages.

A pool is started with a *state* (the run's scorer), sent to each worker once when it
starts rather than with every job; a job function receives ``(job, state)``. With one
worker or a handful of jobs, the jobs run in the calling process instead. Any thread may
submit: the batches of a run are fetched in threads while earlier ones are in the pool.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from commentary_monitor import stopping

# imported once, by the fork server (worker_start also stems the common words there)
PRELOAD = ("commentary_monitor.runs.pipeline", "commentary_monitor.relevance.scoring", "commentary_monitor.runs.worker_start")
MIN_POOL_JOBS = 8      # below this, starting work in other processes costs more than it saves
WORKER_NICENESS = 5
GC_YOUNG_THRESHOLD = 20_000
PREBUILD_ENV = "COMMENTARY_MONITOR_PREBUILD_PROFILES"   # the config whose profiles the fork server builds

_lock = threading.Lock()
_pool = None
_pool_key: tuple[int, Any] | None = None   # (workers, state) the pool was started with
_state: Any = None                          # in a worker: the state its pool was started with
_starting: threading.Thread | None = None   # a prestart() under way


class WorkerDied(Exception):
    """A job killed its worker process (a crash inside lxml, memory): the pool is gone."""


def _init(state: Any) -> None:
    global _state
    _state = state
    gc.freeze()   # the state lives as long as the worker: out of the collector's walks (see worker_start)
    # A job allocates (and drops) tens of thousands of tracked objects: collect the youngest
    # generation every 20,000 allocations, not every 700 (0.18 -> 0.05 ms an article).
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    # Ctrl-C in a terminal reaches the whole process group: the run's own process decides
    # what to keep and stops the workers itself (see shutdown_pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the run's own process (and its Prefect API server): they hand out and store the
    # work, and a starved coordinator leaves the workers idle. Idle CPU is still all theirs.
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass


def _call(item: tuple[Callable, Any]) -> Any:
    fn, job = item
    return fn(job, _state)


def _call_chunk(fn: Callable, jobs: list) -> list:
    return [fn(job, _state) for job in jobs]


def _get_pool(workers: int, state: Any):
    with _lock:
        return _get_pool_locked(workers, state)


def _context():
    """forkserver: workers start from a clean interpreter, not a fork of a process that runs
    threads (Prefect's, the HTTP client's). The server imports what the jobs need once, and
    each worker is forked with it imported (~0.1 s, not ~0.6 s)."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def uses_local_pool(cfg) -> bool:
    """Whether a run of ``cfg`` (a :class:`~.config.Config`) extracts in this machine's pool of
    worker processes (and so wants their fork server started): a local runner with more than
    one extraction worker and some feeds to read."""
    return cfg.runner.kind == "local" and cfg.fetch.extract_workers > 1 and bool(cfg.feeds)


def start_server(config_path: os.PathLike | str | None = None) -> None:
    """Start the fork server in the background (its imports and warm-up, see
    :mod:`.worker_start`, take ~1.4 s of CPU), so that a pool started later forks its
    workers at once. The CLI calls this before Prefect starts its API server when the run
    is likely to need workers; otherwise the first pool starts the server itself.

    With ``config_path``, the server also builds that configuration's profiles into their
    cache when they are not there (~0.7 s after a seed or the config changed): the run then
    loads them instead of building them while the workers wait."""
    from multiprocessing import forkserver

    _context()
    if config_path is not None:
        os.environ[PREBUILD_ENV] = str(config_path)
    try:
        forkserver.ensure_running()   # starts the server process and returns: it imports on its own
    finally:
        os.environ.pop(PREBUILD_ENV, None)   # the server has its copy; Prefect's processes need none


def _get_pool_locked(workers: int, state: Any):
    global _pool, _pool_key
    if _pool is None or _pool_key is None or _pool_key[0] != workers or _pool_key[1] is not state:
        from concurrent.futures import ProcessPoolExecutor

        _shutdown_locked()
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init, initargs=(state,))
        _pool_key = (workers, state)   # holding the state keeps `is` meaningful
    return _pool


def _shutdown_locked() -> None:
    global _pool, _pool_key
    if _pool is not None:
        if stopping.requested():
            # Asked to stop: the jobs running are not waited for. The executor has no way to
            # end a running job, hence its (private) list of processes.
            processes = list((getattr(_pool, "_processes", None) or {}).values())
            _pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.terminate()
            for p in processes:
                p.join(timeout=5)
        else:
            _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _pool_key = None, None


def shutdown_pool() -> None:
    """Stop the workers (at the end of a run; the next call starts new ones), once a
    :func:`prestart` under way has finished starting them. When a stop was asked for, the
    jobs running are abandoned and the workers terminated."""
    starting = _starting
    if starting is not None:
        starting.join()
    with _lock:
        _shutdown_locked()


def prestart(fn: Callable[[Any, Any], Any], workers: int, state: Any = None) -> None:
    """Start the pool's ``workers`` processes in the background, each running
    ``fn(None, state)`` once (e.g. importing what the jobs need), and return at once: a run
    starts its workers while it fetches its pages, so the first batch need not wait for them."""
    global _starting
    if workers <= 1:
        return

    def start() -> None:
        with _lock:    # a shutdown meanwhile waits for this (see shutdown_pool)
            pool = _get_pool_locked(workers, state)
            for _ in range(workers):    # each submission starts one more process, up to ``workers``
                pool.submit(_call, (fn, None))

    _starting = threading.Thread(target=start, name="start-workers", daemon=True)
    _starting.start()


def run_many(fn: Callable[[Any, Any], Any], jobs: list, workers: int, state: Any = None) -> list:
    """``[fn(job, state) for job in jobs]``, on ``workers`` processes when there are enough
    jobs. ``fn`` must be a module-level function (it is pickled by name). Raises
    :class:`WorkerDied` when a job killed its worker; the next call starts a new pool, and
    :class:`~commentary_monitor.errors.Stopped` when a stop is asked for meanwhile."""
    if workers <= 1 or len(jobs) < MIN_POOL_JOBS:
        out = []
        for job in jobs:
            stopping.check("extraction")
            out.append(fn(job, state))
        return out
    from concurrent.futures import wait
    from concurrent.futures.process import BrokenProcessPool

    pool = _get_pool(workers, state)
    # Chunks of a few jobs: fewer hand-overs than one at a time, and a short tail where one
    # worker finishes the last chunk while the other waits.
    size = max(1, len(jobs) // (workers * 8))
    try:
        futures = [pool.submit(_call_chunk, fn, jobs[i:i + size]) for i in range(0, len(jobs), size)]
        while wait(futures, timeout=stopping.POLL).not_done:
            if stopping.requested():
                for f in futures:
                    f.cancel()
                stopping.check("extraction")
        return [r for f in futures for r in f.result()]
    except BrokenProcessPool as exc:
        with _lock:
            if _pool is pool:
                _shutdown_locked()
        raise WorkerDied(f"worker process died ({exc})") from None
