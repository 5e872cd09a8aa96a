"""The heap trim: on glibc it runs and returns; elsewhere the worker does without."""

from __future__ import annotations

import asyncio
import ctypes

import pytest

from streams import memory_trim


def test_on_glibc_the_trim_runs_in_a_thread_and_returns():
    trim_heap = memory_trim.trimmer()
    assert trim_heap is not None  # this machine, like the image, runs glibc
    assert asyncio.run(trim_heap()) is None


def test_without_glibc_there_is_no_trim(monkeypatch: pytest.MonkeyPatch):
    def no_libc(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert memory_trim.trimmer() is None
