"""Imported once by the extraction workers' fork server (see :data:`.workers.PRELOAD`):
what every worker needs, done before the workers are forked from it, so that each starts
with it instead of doing it again (the common words' stems: ~0.35 s of CPU each).

The stemming connection is closed before any fork: a worker opens its own when it needs it.
"""

from .search import prestem

prestem(close=True)
