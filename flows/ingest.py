"""The ingest flow: configured feeds -> new articles -> scores -> warehouse.

Wiring only: the tasks call one library function each, and the run's order (feed groups,
batches, the task runner, stopping) lives in :mod:`commentary_monitor.runs.ingest`. Tasks
are coarse (all feeds, then batches of articles) because a Prefect task run costs ~25 ms of CPU,
and carry no tags: a tagged task run asks the API for the tag's concurrency slots first (a
round trip per task run, and ~0.2 s on a command's first).
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import Cancelled, Failed

from commentary_monitor import stopping
from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import AllFeedsFailed, Stopped
from commentary_monitor.relevance.scoring import Scorer
from commentary_monitor.runs import pipeline
from commentary_monitor.runs.ingest import IngestTasks, run_ingest, transient_only, unless_stopped

from commentary_monitor.flows.hooks import announce, notify_on_failure, plain_flow

RETRY = dict(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_only)


@task(name="fetch-feeds", cache_policy=NO_CACHE, **RETRY)
def fetch_feeds(feeds: list, settings: FetchSettings, states: dict, on_read=None) -> list[pipeline.FeedOutcome]:
    return unless_stopped(pipeline.fetch_feeds, feeds, settings, states, on_read, default=[])


@task(name="fetch-robots", cache_policy=NO_CACHE, **RETRY)
def fetch_robots(candidates: list, settings: FetchSettings) -> dict:
    return unless_stopped(pipeline.fetch_robots, candidates, settings, default={})


@task(name="build-articles", cache_policy=NO_CACHE, **RETRY)
def build_articles(pages, size: int, settings: FetchSettings, scorer: Scorer,
                   workers: int | None = None) -> pipeline.Batch | None:
    """Extract and score one batch of articles from the next ``size`` pages to arrive in the
    run's page queue (or from the pages taken already, for a runner in other processes), on
    whichever task runner the config names; None when a stop was asked for before it was built."""
    return unless_stopped(pipeline.arrived_batch, pages, size, settings, scorer, workers)


TASKS = IngestTasks(fetch_feeds=fetch_feeds, fetch_robots=fetch_robots, build_articles=build_articles)


@plain_flow(name="ingest", validate_parameters=False, on_failure=[notify_on_failure, announce],
      on_completion=[announce], on_cancellation=[announce])
def ingest(config_path: str | None = None) -> pipeline.IngestSummary:
    """Read the feeds, build and store the new articles; the run's summary.

    Asked to stop (SIGTERM, SIGINT, a Prefect cancellation: see :mod:`commentary_monitor.stopping`),
    it stores the batches already built and ends Cancelled within seconds; when every feed it
    asked failed, it ends Failed (so the failure notice goes out) with
    :class:`~commentary_monitor.errors.AllFeedsFailed`, which carries the summary."""
    with stopping.handling_signals():
        try:
            summary = run_ingest(config_path, TASKS)
        except Stopped as exc:
            return Cancelled(message=f"ingest: stopped by {exc.why} before the run began; nothing stored")
    if summary.stopped:
        return Cancelled(message=summary.stop_line(), data=summary)
    if summary.all_failed:
        return Failed(message=summary.all_failed_line(), data=AllFeedsFailed(summary.all_failed_line(), summary))
    return summary
