"""Commits wait for the changelog records buffered before them, within a bound; a crashed
worker commits nothing more."""

from __future__ import annotations

import asyncio

import faust
import pytest
from faust.transport.consumer import Consumer

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


class Crashable:
    """What the commit looks at: the consumer's app and whether it crashed."""

    def __init__(self, crashed: bool) -> None:
        self.app = faust.App("commit-safety-test", env={})
        if crashed:
            self.app._crash(RuntimeError("an agent raised"))  # what mode's crash() sets


def committing(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []

    async def commit_tps(self: object, tps: object, start_new_transaction: bool) -> bool:
        calls.append(tps)
        return True

    monkeypatch.setattr(commit_safety, "_commit_tps", commit_tps)
    return calls


def test_a_crashed_worker_commits_nothing(monkeypatch: pytest.MonkeyPatch):
    calls = committing(monkeypatch)
    consumer = Crashable(crashed=True)
    with pytest.raises(commit_safety.CrashedNoCommit):
        asyncio.run(commit_safety._commit_unless_crashed(consumer, ["tp"], True))
    assert calls == []


def test_a_running_worker_commits_as_faust_does(monkeypatch: pytest.MonkeyPatch):
    calls = committing(monkeypatch)
    consumer = Crashable(crashed=False)
    did = asyncio.run(commit_safety._commit_unless_crashed(consumer, ["tp"], True))
    assert did is True and calls == [["tp"]]


def test_the_patch_replaces_the_consumers_commit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(Consumer, "_commit_tps", Consumer._commit_tps)  # restored afterwards
    commit_safety.no_commit_after_crash()
    commit_safety.no_commit_after_crash()  # idempotent
    assert Consumer._commit_tps is commit_safety._commit_unless_crashed
