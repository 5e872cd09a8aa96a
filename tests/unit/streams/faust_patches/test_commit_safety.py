"""Commits wait for the changelog records buffered before them, within a bound."""

from __future__ import annotations

import asyncio

import pytest

from streams.faust_patches import commit_safety


class Buffer:
    """Faust's ProducerBuffer as the flush sees it: each flush_atmost sends `per_call` records."""

    def __init__(self, size: int, per_call: int) -> None:
        self.size, self.per_call, self.calls = size, per_call, 0

    async def flush_atmost(self, max_messages: int | None) -> int:
        self.calls += 1
        sent = min(self.size, self.per_call)
        self.size -= sent
        return sent


def test_a_slow_buffer_is_flushed_until_empty_not_just_once():
    buffer = Buffer(size=5, per_call=2)  # Faust's flush would return after the first call
    asyncio.run(commit_safety.flush_until_empty(buffer))
    assert buffer.size == 0 and buffer.calls == 3


def test_a_stuck_buffer_gives_up_after_the_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(commit_safety, "FLUSH_LIMIT_S", 0.05)
    buffer = Buffer(size=3, per_call=0)  # the broker is away: nothing goes out
    asyncio.run(commit_safety.flush_until_empty(buffer))
    assert buffer.size == 3 and buffer.calls > 1
