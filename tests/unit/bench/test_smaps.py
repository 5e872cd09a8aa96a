"""bench.smaps: anonymous memory told apart by the kind of mapping that holds it."""

from __future__ import annotations

import os
import threading

from bench.smaps import KINDS, anonymous_by_kind_mb, by_kind_mb, parse


def _entry(low: int, high: int, perms: str, name: str, anonymous_kb: int) -> str:
    path = f"                          {name}" if name else ""
    return (
        f"{low:x}-{high:x} {perms} 00000000 00:00 0{path}\n"
        f"Size:           {(high - low) // 1024} kB\n"
        f"Rss:            {anonymous_kb} kB\n"
        f"Anonymous:      {anonymous_kb} kB\n"
        "VmFlags: rd wr mr mw me ac\n"
    )


def test_each_kind_of_mapping_is_told_apart() -> None:
    arena = 0x7F0000000000  # aligned to 64 MiB: a glibc thread arena's heap
    guard = 0x7F0010000000
    text = "".join(
        [
            _entry(0x555500000000, 0x555500100000, "rw-p", "[heap]", 900),
            _entry(0x5555AA000000, 0x5555AA001000, "rw-p", "/usr/lib/libc.so.6", 4),
            _entry(arena, arena + 0x200000, "rw-p", "", 1500),
            _entry(arena + 0x200000, arena + 0x4000000, "---p", "", 0),
            # Aligned as well, but no reservation after it: Python's arenas, say.
            _entry(arena + 0x4000000, arena + 0x4200000, "rw-p", "", 2048),
            _entry(arena + 0x4200000, arena + 0x4300000, "r-xp", "/usr/lib/libm.so.6", 0),
            _entry(guard, guard + 0x1000, "---p", "", 0),
            _entry(guard + 0x1000, guard + 0x801000, "rw-p", "", 24),  # a thread's stack
            _entry(guard + 0x801000, guard + 0x901000, "rw-p", "", 1024),  # object arenas
            _entry(0x7FFD00000000, 0x7FFD00021000, "rw-p", "[stack]", 40),
            _entry(0x7FFD00100000, 0x7FFD00102000, "r--p", "[vvar]", 0),
        ]
    )
    maps = parse(text)
    assert len(maps) == 11 and maps[2].start == arena and maps[2].anonymous_kb == 1500
    kinds = by_kind_mb(maps)
    assert set(kinds) == set(KINDS)
    assert kinds == {
        "heap": 900 / 1024,
        "malloc_arenas": 1500 / 1024,
        "thread_stacks": 24 / 1024,
        "stack": 40 / 1024,
        "other": (1024 + 2048) / 1024,
        "file_private": 4 / 1024,
    }


def test_a_threads_malloc_lands_in_a_thread_arena_of_this_process() -> None:
    # bytes over 512 go to glibc's malloc; a thread other than the main one gets an arena of
    # its own.
    held: list[bytes] = []
    ready, done = threading.Event(), threading.Event()

    def allocate() -> None:
        held.extend(bytes(4000) for _ in range(2000))  # 8 MB, written: resident
        ready.set()
        done.wait(10)

    before = anonymous_by_kind_mb(os.getpid())
    thread = threading.Thread(target=allocate)
    thread.start()
    try:
        assert ready.wait(10)
        after = anonymous_by_kind_mb(os.getpid())
    finally:
        done.set()
        thread.join()
    assert after["malloc_arenas"] - before["malloc_arenas"] > 6.0
    assert sum(after.values()) > after["malloc_arenas"]
