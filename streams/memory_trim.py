"""The allocator's free pages handed back to the system now and then (glibc's `malloc_trim`).

After a peak (a catch-up, a burst of new vessels) glibc keeps the freed memory inside its heap
for reuse: a week's soak found 30-45 MB of it free in the worker's heap, and `malloc_trim(0)`
every 30 s gave about 20 MB of RSS back (docs/performance-log.md, 2026-12-06). A worker that is
not on glibc (musl, another system) simply does without.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

TRIM_EVERY_S = 60.0  # a trim walks the heap: milliseconds for a worker's, once a minute


def malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim(pad)`, typed; None where glibc is not."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def trimmer() -> Callable[[], Awaitable[None]] | None:
    """A coroutine function that trims the heap in a thread; None where glibc is not."""
    trim = malloc_trim()
    if trim is None:
        log.info("no glibc malloc_trim here: freed memory stays with the allocator")
        return None

    async def trim_heap() -> None:
        # In a thread: the event loop goes on while the heap is walked.
        await asyncio.to_thread(trim, 0)

    return trim_heap
