"""A stream partition is handed on without holes: records fetched and dropped are read again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.consumer import Consumer
from faust.types import TP
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.faust_patches import stream_holes
from streams.faust_patches.changelog_rewind import dropped_streams
from streams.faust_patches.stream_holes import Expected, without_holes

FRAMES = TP("ns-frames", 0)
OTHER = TP("ns-frames", 1)
CHANGELOG = TP("ns-tracks-changelog", 0)


class Message:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class Log:
    """A partition's log and the fetcher's position in it, as aiokafka keeps them."""

    def __init__(self, size: int) -> None:
        self.size, self.position = size, 0


class FetchingConsumer:
    """Faust's consumer as the patch sees it. Each fetch takes `chunk` records from each
    partition's position and moves the position past them, then hands on only the first `keep`
    (the rest dropped, as Faust's getmany does when the flow stops mid-batch)."""

    seek = stream_holes.seek  # Faust's seek, as patched

    def __init__(self, logs: dict[TP, Log], committed: dict[TP, int | None]) -> None:
        self.logs, self.committed = logs, committed
        self.plan: list[tuple[int, int]] = []  # (chunk, keep) of the next fetches
        self._read_offset: dict[TP, int | None] = {}
        self._committed_offset: dict[TP, int | None] = {}
        self.sought: list[tuple[TP, int]] = []
        self.note_drops = False  # as the patched getmany does (changelog_rewind.py)
        topics = type("Topics", (), {"acks_enabled_for": staticmethod(lambda topic: True)})()
        self.app = type("App", (), {"topics": topics})()
        self.log = type("Log", (), {"dev": staticmethod(lambda *a: None)})()

    def _is_changelog_tp(self, tp: TP) -> bool:
        return "changelog" in tp.topic

    def assignment(self) -> set[TP]:
        return set(self.logs)

    async def _seek(self, tp: TP, offset: int) -> None:
        self.logs[tp].position = offset
        self.sought.append((tp, offset))

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: 0 for tp in tps}

    async def seek_to_committed(self) -> dict[TP, int | None]:
        for tp, offset in self.committed.items():
            if offset is not None:
                self.logs[tp].position = offset
        return dict(self.committed)


async def fetch(consumer: FetchingConsumer, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
    chunk, keep = consumer.plan.pop(0) if consumer.plan else (3, 3)
    for tp, log in consumer.logs.items():
        taken = range(log.position, min(log.size, log.position + chunk))
        log.position = taken.stop
        for offset in list(taken)[:keep]:
            yield tp, Message(offset)
        if len(taken) > keep and consumer.note_drops:
            dropped_streams(consumer).setdefault(tp, taken[keep])


GETMANY = without_holes(fetch)


async def handed(consumer: FetchingConsumer, fetches: int) -> list[tuple[TP, int]]:
    out = []
    for _ in range(fetches):
        out += [(tp, m.offset) async for tp, m in GETMANY(consumer, 1.0)]
    return out


def run(consumer: FetchingConsumer, fetches: int) -> list[tuple[TP, int]]:
    async def go() -> list[tuple[TP, int]]:
        await stream_holes.perform_seek(consumer)  # as after every assignment
        consumer.sought.clear()  # the seeks that follow are the rewinds
        return await handed(consumer, fetches)

    return asyncio.run(go())


def offsets(out: list[tuple[TP, int]], tp: TP) -> list[int]:
    return [o for t, o in out if t == tp]


def test_records_after_dropped_ones_are_held_back_and_the_partition_read_again():
    consumer = FetchingConsumer({FRAMES: Log(10)}, {FRAMES: None})
    consumer.plan = [(4, 2), (4, 4), (4, 4), (4, 4)]  # 2 and 3 are fetched, then dropped
    out = run(consumer, 4)
    # 4-7 came after the hole: held back, and the partition sought back to 2.
    assert offsets(out, FRAMES) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert consumer.sought == [(FRAMES, 2)]


def test_reading_starts_at_the_committed_offset_and_a_hole_right_after_it_is_seen():
    consumer = FetchingConsumer({FRAMES: Log(10)}, {FRAMES: 5})
    consumer.plan = [(2, 0), (3, 3), (3, 3)]  # 5 and 6 dropped: 7 is the first offered
    out = run(consumer, 3)
    assert offsets(out, FRAMES)[:3] == [5, 6, 7]
    assert consumer.sought == [(FRAMES, 5)]


def test_a_partition_never_committed_is_read_from_its_start():
    consumer = FetchingConsumer({FRAMES: Log(6)}, {FRAMES: None})
    # Fetched before the rebalance ended, handed on, and cleared from the agents' queues:
    # the fetch position is past them, and nothing was committed to seek back to.
    consumer.logs[FRAMES].position = 4
    out = run(consumer, 2)
    assert offsets(out, FRAMES) == [0, 1, 2, 3, 4, 5]


def test_a_changelog_never_committed_is_left_where_the_recovery_put_it():
    consumer = FetchingConsumer({CHANGELOG: Log(6)}, {CHANGELOG: None})
    consumer.logs[CHANGELOG].position = 4  # the recovery's, or a standby's, reading
    asyncio.run(stream_holes.perform_seek(consumer))
    assert consumer.logs[CHANGELOG].position == 4 and consumer.sought == []


def test_one_partitions_hole_does_not_hold_back_another():
    consumer = FetchingConsumer({FRAMES: Log(6), OTHER: Log(6)}, {FRAMES: None, OTHER: None})
    consumer.plan = [(2, 1), (2, 2)]
    out = run(consumer, 2)
    # Both lost offset 1 at the first fetch; each is read again on its own.
    assert offsets(out, FRAMES) == [0] and offsets(out, OTHER) == [0]
    assert sorted(consumer.sought) == [(FRAMES, 1), (OTHER, 1)]


def test_a_real_gap_in_the_log_is_read_past_after_a_few_rewinds():
    expected = Expected()
    expected.sought(FRAMES, 10)
    holes = []
    for _ in range(stream_holes.REWINDS_BEFORE_GAP + 1):
        holes.append(expected.hole(FRAMES, 12))  # 10 and 11 not handed on
        expected.rewinding(FRAMES, 10, dropped=False)  # sought back; 12 still comes first
    # After three rewinds to 10, 12 still came first: 10 and 11 are not in the log (compacted).
    assert holes == [True] * stream_holes.REWINDS_BEFORE_GAP + [False]
    assert expected.next[FRAMES] == 13


def test_a_known_drop_never_counts_towards_a_gap():
    expected = Expected()
    expected.sought(FRAMES, 10)
    for _ in range(10):
        expected.rewinding(FRAMES, 10, dropped=True)
        assert expected.hole(FRAMES, 12)


def test_changelogs_are_left_to_the_recovery():
    consumer = FetchingConsumer({CHANGELOG: Log(6)}, {CHANGELOG: None})
    consumer.plan = [(2, 1), (2, 2)]
    out = run(consumer, 2)
    assert offsets(out, CHANGELOG) == [0, 2, 3] and consumer.sought == []


def test_the_patch_wraps_getmany_once(monkeypatch):
    for name in ("getmany", "seek", "perform_seek"):
        monkeypatch.setattr(Consumer, name, getattr(Consumer, name))  # restored afterwards
    stream_holes.no_stream_holes()
    wrapped = Consumer.getmany
    stream_holes.no_stream_holes()
    assert Consumer.getmany is wrapped
    assert Consumer.seek is stream_holes.seek
    assert Consumer.perform_seek is stream_holes.perform_seek


def test_records_dropped_at_the_end_of_a_partition_are_read_again_without_a_later_one():
    consumer = FetchingConsumer({FRAMES: Log(4)}, {FRAMES: None})
    consumer.note_drops = True
    consumer.plan = [(4, 2), (4, 4)]  # 2 and 3 dropped, and nothing comes after them
    out = run(consumer, 2)
    assert offsets(out, FRAMES) == [0, 1, 2, 3]
    assert consumer.sought == [(FRAMES, 2)]


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 40),
    committed=st.one_of(st.none(), st.integers(0, 10)),
    plan=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 8)), max_size=30),
)
def test_no_offset_is_ever_passed_unread(size, committed, plan):
    """Whatever is dropped, each record handed on follows one already handed on (or the
    committed offset), and everything is handed on in the end."""
    start = min(committed or 0, size)
    consumer = FetchingConsumer({FRAMES: Log(size)}, {FRAMES: committed})
    consumer.plan, consumer.note_drops = list(plan), True  # as getmany notes each drop
    out = offsets(run(consumer, len(plan) + size + 2), FRAMES)
    frontier = start
    for offset in out:
        assert offset <= frontier, f"{offset} handed on before {frontier}"
        frontier = max(frontier, offset + 1)
    assert frontier == size
