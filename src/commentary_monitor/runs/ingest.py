"""An ingest run, step by step: configured feeds -> new articles -> scores -> warehouse.

The Prefect flow (``flows/ingest.py``) is wiring: it defines the tasks (fetch the feeds,
read robots.txt, build a batch) and hands them to :func:`run_ingest`, which orders them:
feed groups, batch bounds, the task runner and worker pool, storing as batches arrive,
and stopping cleanly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from commentary_monitor import stopping
from commentary_monitor.config import Config, load_config
from commentary_monitor.errors import Stopped
from commentary_monitor.fetching.politeness import reset_host_budgets
from commentary_monitor.relevance.feedback import scorer_for
from commentary_monitor.relevance.profiles import load_profiles
from commentary_monitor.runs import pipeline
from commentary_monitor.runs.workers import MIN_POOL_JOBS, prestart, shutdown_pool, uses_local_pool
from commentary_monitor.warehouse.staging import IngestStore

BATCH_SIZE = 100
RAMP = (25, 50)       # the first batches, so the workers start on pages sooner
LAST = 25             # the last batches, so the last store (when the workers have finished) is short
HEAD_SHARE = 10       # the run reads the first 1/HEAD_SHARE of the feeds first (see feed_groups)


def batch_bounds(n: int, size: int = BATCH_SIZE, ramp: tuple[int, ...] = RAMP, last: int = LAST) -> list[tuple[int, int]]:
    """The candidates' batches as (start, end): ``ramp`` sizes first, then ``size``, and the
    end in pieces of ``last``: the first pages reach the workers after a short fetch, and
    little is left to store once they have finished."""
    out: list[tuple[int, int]] = []
    i, sizes = 0, iter(ramp)
    while i < n:
        rest = n - i
        s = next(sizes, size)
        if rest <= s + 2 * last:       # the end: what is over two pieces of ``last``, then those
            for piece in ([rest - 2 * last, last, last] if rest > 3 * last else [rest]):
                out.append((i, i + piece))
                i += piece
            break
        out.append((i, i + s))
        i += s
    return out


def feed_groups(feeds: list, split: bool) -> list[list]:
    """The feeds in the order the run reads them: with ``split``, the first tenth (at least
    one) on its own, so that the workers start on those feeds' pages while the others are
    read; else all at once."""
    if not split or len(feeds) < 2:
        return [feeds]
    head = -(-len(feeds) // HEAD_SHARE)
    return [feeds[:head], feeds[head:]]


def transient_only(task, task_run, state) -> bool:
    """Retry a task only for failures that may pass: the OS or the network, never our own
    errors (configuration, warehouse) or a bug. Per-URL failures never reach here: the
    library records them and carries on."""
    import httpx

    from commentary_monitor.errors import MonitorError

    exc = state.result(raise_on_failure=False)
    return isinstance(exc, (OSError, httpx.TransportError)) and not isinstance(exc, MonitorError)


@dataclass(frozen=True)
class IngestTasks:
    """The flow's tasks :func:`run_ingest` calls: ``fetch_feeds(feeds, settings, states,
    on_read=None)``, ``fetch_robots(candidates, settings)`` and ``build_articles`` (submitted
    to the task runner with ``pages, size, settings, scorer, workers``)."""
    fetch_feeds: Callable
    fetch_robots: Callable
    build_articles: Callable


def unless_stopped(fn, *args, default=None):
    """``fn(*args)``, or ``default`` when a stop is asked for meanwhile: a task that ends this
    way completes (a failed task would log its traceback) and the flow checks the request."""
    try:
        return fn(*args)
    except Stopped:
        return default


def _built(future) -> bool:
    """Whether a batch's task has ended, waiting a moment for it (the flow looks at the stop
    request in between)."""
    future.wait(stopping.POLL)
    return future.wrapped_future.done()


def task_runner_for(cfg: Config):
    """The task runner that builds the batches, and how many batches it keeps in flight.

    ``local``: threads in this process (each batch waits there for its pages from the run's
    page queue, and is extracted and scored in the [fetch] extract_workers processes). ``dask``: the workers of a Dask
    cluster (prefect-dask), each extracting and scoring its batch in its own process."""
    if cfg.runner.kind == "dask":
        from prefect_dask import DaskTaskRunner

        # The cluster's own INFO lines (nannies, workers registering) are noise in a run's log.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if cfg.runner.address:
            return DaskTaskRunner(address=cfg.runner.address), 2 * cfg.runner.workers, 1
        return (DaskTaskRunner(cluster_kwargs={"n_workers": cfg.runner.workers, "threads_per_worker": 1,
                                               "processes": True, "dashboard_address": None}),
                2 * cfg.runner.workers, 1)
    return ThreadPoolTaskRunner(max_workers=3), 3, cfg.fetch.extract_workers


def api_for_other_processes():
    """Settings under which task runs in other processes report to this run's Prefect API.

    With no PREFECT_API_URL set, this process talks to an ephemeral API server it started;
    a Dask worker, knowing nothing of it, would start a server of its own on the same
    database. Naming that server's URL in the settings (which travel with each task to
    its worker) makes the workers use it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        return nullcontext()
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    return temporary_settings(updates={PREFECT_API_URL: server.api_url}) if server.running else nullcontext()


def run_ingest(config_path: str | None, tasks: IngestTasks) -> pipeline.IngestSummary:
    """The ingest, step by step (the flow in ``flows/ingest.py`` runs it with its tasks): the
    warehouse opened (or batches staged beside it), the feeds read in groups, the new pages
    queued, batches built on the configured task runner and stored as they come, the run
    recorded; on a stop request, what is built is stored and the summary says so."""
    started, set_up = time.monotonic(), time.perf_counter()
    reset_host_budgets()   # each host's time budget is per run
    cfg = load_config(config_path)
    log = get_run_logger()
    local_pool = uses_local_pool(cfg)
    # The extraction workers' fork server: started by the CLI before Prefect's API server
    # when a first run or profiles to build make it worth it, else by the first pool of the
    # run (see prepare below), which a run with fewer new pages than MIN_POOL_JOBS never needs.
    # The warehouse, or (while another process holds the file) batches staged beside it.
    with IngestStore.open(cfg.store, wait=cfg.lock_timeout, on_note=log.warning) as wh:
        if wh.abandon_stale_runs():
            log.warning("marked runs left unfinished by an earlier process as 'abandoned'")
        # The profiles are loaded now (a broken one fails every run, new pages or not); the
        # scorer (its feedback models, the sides' regions and third countries: ~0.4 s of CPU
        # and wordfreq's import) is made when the run has pages to score.
        profiles, labels = load_profiles(cfg.profiles, cfg.profile_cache), wh.feedback_labels()
        made: list = []
        making = threading.Lock()     # the batches may be submitted from the feed readers' threads

        def scorer():
            with making:
                if not made:
                    made.append(scorer_for(cfg, labels, profiles=profiles))
                return made[0]

        if local_pool:
            # The extraction workers keep every core busy: DuckDB's own threads would only take
            # turns with them (one thread stores a batch with ~15% less CPU).
            wh.set_threads(1)
        run_id = wh.start_run("ingest")
        # The article pages are fetched in the background, each host at its own pace (a
        # Crawl-delay holds up that host's pages only); the batches take what has arrived.
        pages = pipeline.page_queue(cfg.fetch)
        try:
            outcomes: list = []
            candidates: list = []
            new_by_feed: dict[str, int] = {}
            relevant = {p.name: 0 for p in cfg.profiles}
            from_feed = deferred = batches_kept = 0
            stopped: str | None = None
            try:
                wh.upsert_feeds([(f.url, f.name) for f in cfg.feeds])
                states = wh.feed_states([f.url for f in cfg.feeds])
                clock = time.perf_counter()
                # the warehouse opened, the profiles loaded, the run recorded
                stages: dict[str, float] = {"set-up": clock - set_up}

                def lap(stage: str) -> None:
                    nonlocal clock
                    now = time.perf_counter()
                    stages[stage] = stages.get(stage, 0.0) + now - clock
                    clock = now

                def parsed(read: list) -> None:
                    """Parsing the feeds just read (feedparser): part of "fetch feeds"."""
                    stages["parse feeds"] = stages.get("parse feeds", 0.0) + sum(o.parse_seconds for o in read)

                groups = feed_groups(list(cfg.feeds), split=local_pool)
                outcomes = tasks.fetch_feeds(groups[0], cfg.fetch, states)
                stopping.check("ingest")
                candidates = pipeline.select_new_stored(outcomes, wh, cfg.fetch.max_new_per_feed)
                robots: dict = {}
                workers_started = False

                def prepare(new: list) -> None:
                    """Start the extraction workers once there is work for them (while robots.txt
                    and the first pages are fetched), and read the new sites' robots.txt (no task
                    run when robots.txt is not obeyed: ~0.1-0.2 s before the first page)."""
                    nonlocal workers_started
                    if local_pool and not workers_started and len(candidates) >= MIN_POOL_JOBS:
                        prestart(pipeline.warm_up, cfg.fetch.extract_workers, scorer())
                        workers_started = True
                    if new and cfg.fetch.obey_robots:
                        robots.update(tasks.fetch_robots(new, cfg.fetch))

                prepare(candidates)
                pipeline.queue_candidates(pages, candidates, robots)
                lap("fetch feeds")
                parsed(outcomes)
                runner, window, workers = task_runner_for(cfg)
                remote = cfg.runner.kind != "local" and candidates
                with api_for_other_processes() if remote else nullcontext(), \
                        runner if candidates or len(groups) > 1 else nullcontext():
                    in_flight: deque = deque()
                    done_to = 0        # candidates[:done_to] are in batches

                    def submit(end: int) -> None:
                        nonlocal done_to
                        # A batch built in this process waits for its pages in its own thread; one
                        # built elsewhere (Dask) gets them from here.
                        source = pages if cfg.runner.kind == "local" else pages.take(end - done_to)
                        params = dict(pages=source, size=end - done_to, settings=cfg.fetch, scorer=scorer(),
                                      workers=workers)
                        in_flight.append((time.time(), runner.submit(tasks.build_articles, parameters=params)))
                        done_to = end

                    ramp = list(RAMP)
                    if len(groups) > 1:
                        # The first feeds' first batches go to the workers while this thread reads the
                        # other feeds (parsing them takes ~0.4 ms an entry, on one core).
                        while ramp and done_to + ramp[0] <= len(candidates) and len(in_flight) < window:
                            submit(done_to + ramp.pop(0))
                        more: list = []

                        def read(outcome: pipeline.FeedOutcome) -> None:
                            """A feed read: its pages are fetched while the others are still read
                            (one that drips holds up only its own; their new sites' robots.txt is
                            read by the page queue)."""
                            new = pipeline.select_new_stored([outcome], wh, cfg.fetch.max_new_per_feed,
                                                             taken=candidates + more)
                            more.extend(new)
                            pipeline.queue_candidates(pages, new, robots)

                        rest = tasks.fetch_feeds(groups[1], cfg.fetch, states, on_read=read)
                        stopping.check("ingest")
                        outcomes += rest
                        candidates += more
                        prepare([])
                        lap("fetch feeds")
                        parsed(rest)
                    bounds = deque((done_to + a, done_to + b) for a, b in batch_bounds(len(candidates) - done_to, ramp=tuple(ramp)))

                    def submit_next() -> None:
                        if bounds and len(in_flight) < window:
                            submit(bounds.popleft()[1])

                    def store(submitted: float, batch: pipeline.Batch) -> None:
                        nonlocal deferred, from_feed, batches_kept
                        stages["task start-up"] = stages.get("task start-up", 0.0) + max(0.0, batch.started - submitted)
                        for stage, seconds in batch.timings.items():
                            stages[stage] = stages.get(stage, 0.0) + seconds
                        articles, scores = pipeline.set_aside_deferred(wh, batch.articles, batch.scores)
                        deferred += len(batch.articles) - len(articles)
                        # Prefect's future and the task's state refer to each other, so the batch would
                        # live until a full garbage collection: let go of its contents now.
                        batch.articles.clear()
                        batch.scores.clear()
                        # with their pages, fingerprints and index terms
                        if wh.store_articles(run_id, articles, scores) < len(articles):
                            # a lake's other writers stored some of them meanwhile: theirs, not ours
                            ours = wh.stored_by(run_id, [a.article_id for a in articles])
                            kept = [(a, s) for a, s in zip(articles, scores) if a.article_id in ours]
                            articles, scores = [a for a, _ in kept], [s for _, s in kept]
                        batches_kept += 1
                        lap("store")
                        for a, per_profile in zip(articles, scores):
                            new_by_feed[a.feed_url] = new_by_feed.get(a.feed_url, 0) + 1
                            from_feed += a.text_source == "feed"
                            for s in per_profile:
                                relevant[s.profile] += s.relevant

                    for _ in range(window):
                        submit_next()
                    try:
                        while in_flight:
                            submitted, future = in_flight[0]
                            if not _built(future):
                                stopping.check("ingest")
                                continue
                            in_flight.popleft()
                            batch = future.result()
                            stopping.check("ingest")   # a batch ended by a stop request
                            submit_next()   # keep the runner busy while this batch is stored
                            lap("waiting for batches")
                            store(submitted, batch)
                            del batch, future
                    except Stopped:
                        # What is built is kept; the batches still waiting for pages end at once
                        # (the requests are cancelled) and the runner's threads with them.
                        for submitted, future in in_flight:
                            if future.wrapped_future.done() and (batch := future.result(raise_on_failure=False)) \
                                    and isinstance(batch, pipeline.Batch):
                                store(submitted, batch)
                        raise
                    finally:
                        pages.close()   # nothing left to wait for: no batch thread outlives the runner
                        stages["fetch pages"] = pages.busy_seconds
            except Stopped as exc:
                stopped = exc.why
            for o in outcomes:
                o.new_items = new_by_feed.get(o.feed.url, 0)
                if stopped:   # the feed's pages not stored yet: the next run reads it whole again
                    o.etag = o.last_modified = None
            pipeline.record_outcomes(wh, run_id, outcomes)
            if not stopped:
                wh.prune_pages(cfg.keep_html_days)
                lap("store")
                wh.index_new()   # any article a killed run stored but did not index
                lap("index")
            staged = wh.settle()   # the file free again: commit what was staged
            summary = pipeline.IngestSummary(
                run_id=run_id,
                feeds_ok=sum(o.status == "ok" for o in outcomes),
                feeds_failed=[(o.feed.url, o.error_kind or "error", o.error or "") for o in outcomes if o.status != "ok"],
                articles_new=sum(new_by_feed.values()),
                from_feed_content=from_feed,
                relevant=relevant,
                seconds=time.monotonic() - started,
                pages_deferred=deferred,
                feeds_with_problems=[(o.feed.url, o.problem) for o in outcomes if o.status == "ok" and o.problem],
                stages=stages,
                stopped=stopped,
                candidates=len(candidates),
                batches_kept=batches_kept,
                staged=staged,
            )
            wh.finish_run(run_id, "cancelled" if stopped else "ok", summary.render(), summary.feeds_ok,
                          len(summary.feeds_failed), summary.articles_new)
            if not stopped:
                create_markdown_artifact(key="ingest-summary", markdown=f"```\n{summary.render()}\n```",
                                         description=f"ingest run {run_id}")
        except BaseException as exc:
            wh.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
        finally:
            pages.close()
            shutdown_pool()   # the extraction workers live as long as the run
    return summary
