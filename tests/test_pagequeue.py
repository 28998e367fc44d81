"""The run's page queue against real loopback sites: one host with a robots.txt Crawl-delay,
others without; the delayed host's pages never hold up the others'."""

from __future__ import annotations

import threading
import time

import pytest

from commentary_monitor import stopping
from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import FetchError, Stopped
from commentary_monitor.fetching.fetch import Fetched
from commentary_monitor.localsite import LocalSite
from commentary_monitor.fetching.pagequeue import PageQueue

DELAY = 1.0


@pytest.fixture
def sites():
    """A slow site (Crawl-delay: 1) and two fast ones, each on its own port: three hosts."""
    with LocalSite() as slow, LocalSite() as fast, LocalSite() as other:
        slow.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
        for site in (slow, fast, other):
            for i in range(30):
                site.add(f"/p{i}", f"<html><body><p>page {i}</p></body></html>")
        yield slow, fast, other


def settings_for(*sites: LocalSite, **kwargs) -> FetchSettings:
    return FetchSettings(allow_private=frozenset(s.host_port for s in sites), per_host_delay=0.0,
                         per_host_concurrency=2, max_crawl_delay=5.0, **kwargs)


def test_a_crawl_delayed_host_holds_up_only_its_own_pages(sites):
    slow, fast, other = sites
    # The slow host's pages come first, as a feed listed first would give them.
    items = [(f"slow{i}", slow.url(f"/p{i}")) for i in range(4)]
    items += [(f"{name}{i}", site.url(f"/p{i}")) for i in range(20) for name, site in (("fast", fast), ("other", other))]
    with PageQueue(settings_for(slow, fast, other), 100_000, robots=True) as pages:
        started = time.monotonic()
        pages.add(items)
        first = pages.take(41)
        first_took = time.monotonic() - started
        rest = pages.take(100)
        rest_took = time.monotonic() - started
    # the other hosts' 40 pages and the slow host's first one, well before its second
    assert first_took < DELAY, first_took
    assert sum(name.startswith("slow") for name, _ in first) <= 1
    assert [name for name, _ in rest] == ["slow1", "slow2", "slow3"]
    # the slow host's own pages still a Crawl-delay apart
    starts = [t for path, t in zip(slow.hits, slow.hit_times) if path.startswith("/p")]
    assert len(starts) == 4 and all(b - a >= DELAY - 0.05 for a, b in zip(starts, starts[1:])), starts
    assert rest_took >= 3 * DELAY - 0.1
    # every page arrived, once; a batch lists its pages in the order they were added
    got = first + rest
    assert sorted(name for name, _ in got) == sorted(name for name, _ in items)
    assert all(isinstance(page, Fetched) and page.status == 200 for _, page in got)
    order = [name for name, _ in items]
    assert [name for name, _ in first] == sorted((name for name, _ in first), key=order.index)
    assert slow.hits.count("/robots.txt") == 1 and fast.hits.count("/robots.txt") == 1


def test_failures_are_pages_too_and_robots_texts_given_are_not_fetched_again(sites):
    slow, fast, _ = sites
    fast.add("/robots.txt", "User-agent: *\nDisallow: /p1\n", "text/plain")
    with PageQueue(settings_for(slow, fast), 100_000, robots=True) as pages:
        pages.add([("ok", fast.url("/p0")), ("robots", fast.url("/p1")), ("missing", fast.url("/nope")),
                   ("blocked", "http://10.255.255.1/x")],
                  robots_texts={f"http://{fast.host_port}": "User-agent: *\nDisallow: /p1\n"})
        got = dict(pages.take(10))
    assert isinstance(got["ok"], Fetched)
    assert {k: v.kind for k, v in got.items() if isinstance(v, FetchError)} == {
        "robots": "robots", "missing": "http", "blocked": "blocked"}
    assert "/robots.txt" not in fast.hits and "/p1" not in fast.hits


def test_pages_are_fetched_only_so_far_ahead_of_the_batches(sites):
    _, fast, _ = sites
    with PageQueue(settings_for(fast), 100_000, ahead=5) as pages:
        pages.add([(i, fast.url(f"/p{i}")) for i in range(20)])
        time.sleep(0.5)
        assert len(fast.hits) == 5          # nothing taken: five fetched, no more
        assert [i for i, _ in pages.take(3)] == [0, 1, 2]
        time.sleep(0.5)
        assert len(fast.hits) == 8
        assert len(pages.take(100)) == 17 and pages.outstanding == 0


def test_a_stop_request_ends_a_batch_waiting_for_its_pages(sites):
    slow, _, _ = sites
    slow.add("/robots.txt", "User-agent: *\nCrawl-delay: 5\n", "text/plain")
    pages = PageQueue(settings_for(slow), 100_000, robots=True)
    pages.add([(i, slow.url(f"/p{i}")) for i in range(5)])
    threading.Timer(0.5, stopping.request).start()
    started = time.monotonic()
    try:
        with pytest.raises(Stopped):
            pages.take(5)
        pages.close()
    finally:
        stopping.reset()
    assert time.monotonic() - started < 2
    assert not pages._thread.is_alive()
    assert len([p for p in slow.hits if p.startswith("/p")]) == 1   # the first page; the rest never asked
