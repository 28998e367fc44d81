"""Imported once by the extraction workers' fork server (see :data:`.workers.PRELOAD`):
what every worker needs, done before the workers are forked from it, so that each starts
with it instead of doing it again:

- the common words' stems (~0.35 s of CPU a worker);
- trafilatura's lazy first-use work, which a worker would otherwise pay on its first real
  page: its first extraction and the public-suffix list (the first time a site's name is
  taken from its URL). (Its fallback extractors, and jusText's stop lists, are not used:
  see :func:`.extract.extract_page`.)
- the language detector's model (~1 s to load; see :mod:`.language`);
- the packaged embedding model (a worker's scorer arrives pickled by name and finds it);
- when the CLI names a configuration (``workers.PREBUILD_ENV``), its profiles, built into
  their cache if a seed or the config changed since they were last built: the server does
  it while Prefect starts its API server (on the core that start-up leaves idle), and the
  run loads them from the cache; and, for a topic profile with a description, the
  multilingual encoder and the description's match in it (~0.5 s, from the user's cache:
  each worker would otherwise load them itself, ~85 MB each, when a page wants them), and
  the tables a Russian or Chinese page's first reading makes (the countries' names in each
  language). Any failure is left for the run, which reports it.

The stemming connection is closed before any fork: a worker opens its own when it needs it.
Then everything done so far is frozen out of the garbage collector's reach: a worker's
collections then walk only what its jobs allocate, not the ~75,000 objects of its modules
(0.65 -> 0.25 ms of collection per article), and leave the pages it shares with the server
untouched.
"""

import gc
import os

from courlan import extract_domain

from commentary_monitor.extraction.extract import extract_page
from commentary_monitor.extraction.language import detector
from commentary_monitor.warehouse.search import prestem
from commentary_monitor.relevance.semantic import default_encoder

# A short page: trafilatura's first extraction.
_SHORT_PAGE = b"<html><head><title>Warm up</title></head><body><article><p>Warm up.</p></article></body></html>"

prestem(close=True)
extract_page(_SHORT_PAGE, "https://www.example.com/warm-up")
extract_domain("https://www.example.co.uk/warm-up")
default_encoder()
detector()


_FOREIGN_PAGES = [("Разминка", "Это короткий текст для разминки. " * 20), ("热身", "这是一段用于热身的短文。" * 20)]


def _prebuild_profiles() -> None:
    from commentary_monitor.runs.workers import PREBUILD_ENV

    path = os.environ.get(PREBUILD_ENV)
    if not path:
        return
    try:
        from commentary_monitor.config import load_config
        from commentary_monitor.relevance.profiles import load_profiles

        cfg = load_config(path)
        profiles = load_profiles(cfg.profiles, cfg.profile_cache)
        from commentary_monitor.relevance.multilingual import topic_matches

        topic_matches(profiles)
        if any(p.reference.get("sides") for p in profiles):
            from commentary_monitor.relevance.foreign_names import country_names

            country_names()     # and wordfreq's common words: read once here (~0.3 s a worker otherwise)
        # a Russian and a Chinese page's first reading: the countries' names in each language and
        # the third countries of each relationship profile's sides (~0.2 s a worker otherwise)
        from commentary_monitor.relevance.scoring import Scorer

        Scorer(profiles).score_many(_FOREIGN_PAGES)
    except Exception:   # noqa: BLE001 - the run builds them itself and reports what is wrong
        pass


_prebuild_profiles()
gc.freeze()
