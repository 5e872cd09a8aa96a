"""Dropped changelog records are read again from where the table needs them."""

from __future__ import annotations

import asyncio

from faust.transport.consumer import Consumer

from streams.faust_patches import changelog_rewind
from streams.faust_patches.changelog_rewind import rewind_targets


def test_a_dropped_partition_is_read_again_from_its_first_dropped_record():
    assert rewind_targets({"tracks-0": 40}, {"tracks-0"}, {"tracks-0": 39}) == {"tracks-0": 40}


def test_never_past_what_the_table_applied():
    # Records 31-39 are still in the recovery's queue: reading them twice is harmless, a seek
    # past them would skip them if they were lost on the way.
    assert rewind_targets({"tracks-0": 40}, {"tracks-0"}, {"tracks-0": 30}) == {"tracks-0": 31}
    assert rewind_targets({"tracks-0": 40}, {"tracks-0"}, {}) == {"tracks-0": 0}


def test_a_partition_moved_away_is_left_to_its_next_owner():
    assert rewind_targets({"tracks-0": 40, "sea-2": 7}, {"sea-2"}, {"sea-2": 6}) == {"sea-2": 7}


def test_the_patch_replaces_getmany_once(monkeypatch):
    monkeypatch.setattr(Consumer, "getmany", Consumer.getmany)  # restored afterwards
    changelog_rewind.rewind_dropped_changelog_records()
    changelog_rewind.rewind_dropped_changelog_records()
    assert Consumer.getmany is changelog_rewind.getmany


class Record:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class FetchingConsumer:
    """Faust's consumer as getmany sees it; the flow stops after `stop_after` records."""

    def __init__(self, records: dict[str, list[int]], stop_after: int, applied: dict[str, int]):
        self.records = {tp: [Record(o) for o in offsets] for tp, offsets in records.items()}
        self.stop_after, self.handed, self.flow = stop_after, 0, True
        self.should_stop = False
        self._buffered_partitions: set[str] = set()
        self.sought: list[dict[str, int]] = []
        recovery = type("Recovery", (), {"active_offsets": applied})()
        tables = type("Tables", (), {"recovery": recovery})()
        monitor = type("Monitor", (), {"track_tp_end_offset": lambda *a: None})()
        self.app = type("App", (), {"consumer_generation_id": 1, "tables": tables})()
        self.app.monitor = monitor
        self.scheduler = type("Scheduler", (), {"iterate": staticmethod(self._iterate)})()

    def _iterate(self, records):
        for tp, batch in records.items():
            for record in batch:
                yield tp, record

    @property
    def flow_active(self) -> bool:
        return self.flow

    async def _wait_next_records(self, timeout: float):
        return self.records, None

    def _is_changelog_tp(self, tp: str) -> bool:
        return tp.startswith("ns-tracks-changelog")

    def highwater(self, tp: str) -> int:
        return 100

    def _to_message(self, tp: str, record: Record) -> tuple[str, int]:
        self.handed += 1
        if self.handed >= self.stop_after:
            self.flow = False  # a rebalance stops the flow while the batch is handed on
        return (tp, record.offset)

    async def perform_seek(self) -> None:
        pass

    def assignment(self) -> set[str]:
        return set(self.records)

    async def seek_wait(self, targets: dict[str, int]) -> None:
        self.sought.append(targets)


async def drain(consumer: FetchingConsumer) -> list[tuple[str, int]]:
    return [message async for _, message in changelog_rewind.getmany(consumer, 1.0)]


def test_records_dropped_when_the_flow_stops_mid_batch_are_sought_back():
    tp = "ns-tracks-changelog-0"
    consumer = FetchingConsumer({tp: [10, 11, 12, 13]}, stop_after=2, applied={tp: 9})
    handed = asyncio.run(drain(consumer))
    assert handed == [(tp, 10), (tp, 11)]
    # 12 and 13 were fetched and dropped: the partition is read again from 12 at the latest
    # (from 10, just after what the table has applied, since 10 and 11 may still be queued).
    assert consumer.sought == [{tp: 10}]


def test_stream_partitions_are_left_to_fausts_own_seek():
    stream = "ns-frames-0"
    consumer = FetchingConsumer({stream: [5, 6, 7]}, stop_after=1, applied={})
    asyncio.run(drain(consumer))
    assert consumer.sought == []
