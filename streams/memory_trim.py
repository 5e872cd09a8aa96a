"""glibc's allocator set for a long-running worker, and its free pages handed back now and then.

After a peak (a catch-up, a burst of new vessels) glibc keeps the freed memory inside its heap
for reuse: a week's soak found 30-45 MB of it free in the worker's heap, and `malloc_trim(0)`
every 30 s gave about 20 MB of RSS back (docs/performance-log.md, 2026-12-06). A worker that is
not on glibc (musl, another system) simply does without.

`tune_allocator`, at start: glibc raises its mmap threshold after every large block it frees
(up to 32 MiB), so that later fetch buffers and batches land in the heap and stay there; and it
gives each thread that allocates an arena of its own (up to 8 a core), whose free pages
`malloc_trim` reaches less well. Both are fixed here, unless the environment sets them
(`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`): measured in the week soak, 2026-12-07.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

TRIM_EVERY_S = 60.0  # a trim walks the heap: milliseconds for a worker's, once a minute
# mallopt's parameters (malloc.h) and the values set.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, now kept: blocks this large
# or larger are mapped on their own and unmapped when freed
ARENA_MAX = 2  # the main heap, and one that every other thread shares (the history sink, trims)
# Each setting with the environment variable through which glibc would take it instead.
TUNED = (
    (M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES, "MALLOC_MMAP_THRESHOLD_"),
    (M_ARENA_MAX, ARENA_MAX, "MALLOC_ARENA_MAX"),
)


def _glibc(name: str, argtypes: list[Any]) -> Any | None:
    """glibc's function `name`, typed (it returns an int); None where glibc is not."""
    try:
        function = getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    function.restype = ctypes.c_int
    return function


def tune_allocator(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """Fix glibc's mmap threshold and cap its arenas (before threads start); returns what was
    set. Settings the environment gives glibc are left to it."""
    env = os.environ if environ is None else environ
    mallopt = _glibc("mallopt", [ctypes.c_int, ctypes.c_int])
    if mallopt is None:
        return {}
    return {
        name: value
        for param, value, name in TUNED
        if name not in env and mallopt(param, value) == 1
    }


def malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim(pad)`, typed; None where glibc is not."""
    return _glibc("malloc_trim", [ctypes.c_size_t])


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
