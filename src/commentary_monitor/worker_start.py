"""Imported once by the extraction workers' fork server (see :data:`.workers.PRELOAD`):
what every worker needs, done before the workers are forked from it, so that each starts
with it instead of doing it again (the common words' stems: ~0.35 s of CPU each).

The stemming connection is closed before any fork: a worker opens its own when it needs it.
Then everything imported so far is frozen out of the garbage collector's reach: a worker's
collections then walk only what its jobs allocate, not the ~75,000 objects of its modules
(0.65 -> 0.25 ms of collection per article), and leave the pages it shares with the server
untouched.
"""

import gc

from .search import prestem

prestem(close=True)
gc.freeze()
