"""The heap trim and the allocator's settings: on glibc they run; elsewhere, nothing."""

from __future__ import annotations

import asyncio
import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from streams import memory_trim

ROOT = Path(__file__).resolve().parents[3]


def test_on_glibc_the_trim_runs_in_a_thread_and_returns():
    trim_heap = memory_trim.trimmer()
    assert trim_heap is not None  # this machine, like the image, runs glibc
    assert asyncio.run(trim_heap()) is None


def test_without_glibc_there_is_no_trim(monkeypatch: pytest.MonkeyPatch):
    def no_libc(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert memory_trim.trimmer() is None


# In a fresh interpreter (a long-lived one may have a free chunk in its heap large enough for
# the block, which glibc then uses whatever the threshold): free a 4 MiB block, which raises
# glibc's own threshold to 4 MiB, then count the blocks mapped on their own around a 512 KiB one.
MAPPED_AFTER_A_LARGE_FREE = """
import ctypes, sys
from streams import memory_trim

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "tuned":
    memory_trim.tune_allocator({})
big = bytearray(4 << 20)
del big
before = mallinfo2().hblks
block = bytearray(512 << 10)
during = mallinfo2().hblks
del block
print(during - before, mallinfo2().hblks - before)
"""


def mapped_after_a_large_free(mode: str) -> list[int]:
    """(blocks mapped while the 512 KiB block lives, after it is freed), relative to before."""
    run = [sys.executable, "-c", MAPPED_AFTER_A_LARGE_FREE, mode]
    done = subprocess.run(run, capture_output=True, text=True, check=True, cwd=ROOT)
    return [int(n) for n in done.stdout.split()]


def test_large_blocks_stay_mapped_on_their_own_after_a_larger_one_is_freed():
    # Untuned, the block comes from the heap, and stays in it once freed; tuned, it is mapped
    # on its own and goes back to the system when freed.
    assert mapped_after_a_large_free("untuned") == [0, 0]
    assert mapped_after_a_large_free("tuned") == [1, 0]
    assert memory_trim.tune_allocator({}) == {
        "MALLOC_MMAP_THRESHOLD_": 131072,
        "MALLOC_ARENA_MAX": 2,
    }


def test_what_the_environment_gives_glibc_is_left_to_it():
    assert memory_trim.tune_allocator({"MALLOC_ARENA_MAX": "4"}) == {
        "MALLOC_MMAP_THRESHOLD_": 131072
    }


def test_without_glibc_the_allocator_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch):
    def no_libc(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert memory_trim.tune_allocator({}) == {}
