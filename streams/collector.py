"""Python's cyclic garbage collector set for a worker's heap.

A worker allocates a few dicts and tuples per position, nearly all freed at once by their
reference counts, and keeps a large start-up heap (Faust, aiokafka, the fences, the modules)
that is never garbage. With Python's defaults (a youngest collection every 700 allocations, a
full one whenever the older objects grew by a quarter) the full collections walked that whole
heap again and again: a worker draining 150,000 positions ran 11-12 of them, 60 ms each, and
about 1,500 young ones, some 13 % of its CPU (docs/performance-log.md, 2026-12-06). Frozen,
the start-up heap is never walked; the young generation is collected less often.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from faust.types import AppT

log = logging.getLogger(__name__)

# Allocations (less deallocations) of tracked objects between young collections: Python's
# default is 700. A cycle made per position still goes within this many allocations.
YOUNG_THRESHOLD = 10_000
OLDER_THRESHOLDS = (10, 10)  # Python's defaults: young collections per middle, middle per full


def tune() -> None:
    """Collect less often (at start, before the app is built)."""
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


def freeze_start_up_heap() -> None:
    """Leave every object alive now out of later collections: called once the worker has
    started, when what it keeps for its lifetime is built. Their memory is still freed when
    their references go; only a cycle among them would stay."""
    gc.collect()  # start-up's own garbage first, so that none of it is frozen
    gc.freeze()
    log.info("collector: %d start-up objects frozen", gc.get_freeze_count())


def freeze_once_running(app: AppT) -> None:
    """Freeze again once the first recovery is over: Faust's services, the clients, the
    tables and the pages' views are built by then."""

    tables: Any = app.tables  # the TableManager's recovery is not in Faust's types

    async def freeze_when_recovered() -> None:
        await tables.recovery.completed.wait()
        await asyncio.sleep(1.0)  # the agents and tasks started after the recovery too
        freeze_start_up_heap()

    app.task(freeze_when_recovered)
