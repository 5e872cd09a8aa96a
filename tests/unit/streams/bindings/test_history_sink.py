"""The history sink's loop over a scripted consumer, into a real SQLite store, no broker.

What matters: every history topic's records land in the store with the offsets they reach,
in one transaction, gathered over polls until enough rows or seconds; a restarted sink seeks
to exactly those offsets (the beginning where it has none); a record read twice is stored
once; a value that is not a record costs only itself.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from shipwatch.history.records import Batch
from shipwatch.history.store import HistoryStore
from shipwatch.settings import Settings
from streams.bindings import history_sink as binding

NS = "hist"
TOPICS = ("history", "statics", "geofence-events", "voyage-events", "alerts")
PARTITIONS = 2
VESSEL = 445_123_456
OTHER = 273_456_789
Polled = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


class Finished(Exception):
    """The script is over: ends the sink's loop from inside `getmany`."""


def tp(topic: str, partition: int = 0) -> TopicPartition:
    return TopicPartition(f"{NS}.{topic}", partition)


class Consumer:
    """aiokafka's consumer as the sink uses it: assigned, sought, polled; each `getmany`
    returns the script's next poll."""

    def __init__(self, polls: list[Polled], ends: dict[TopicPartition, int] | None = None):
        self.polls = deque(polls)
        self.ends = ends or {}
        self.assigned: list[TopicPartition] = []
        self.sought: dict[TopicPartition, int | str] = {}
        self.options: dict[str, Any] = {}
        self.stopped = False
        self.sink: binding.HistorySink | None = None  # the sink polling it

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    def assign(self, tps: list[TopicPartition]) -> None:
        self.assigned = list(tps)

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.sought[tp] = "beginning"

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset

    async def getmany(self, timeout_ms: int, max_records: int) -> Polled:
        if not self.polls:
            raise Finished
        return self.polls.popleft()

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.ends.get(tp)


def message(at: TopicPartition, offset: int, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=at.topic,
        partition=at.partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=len(value),
        headers=(),
    )


def messages(at: TopicPartition, first: int, *records: dict[str, Any] | bytes) -> Any:
    """A partition's messages from offset `first`, each a record's JSON (or the bytes given)."""
    values = [r if isinstance(r, bytes) else orjson.dumps(r) for r in records]
    return [message(at, first + i, v) for i, v in enumerate(values)]


def fix(minute: int, mmsi: int = VESSEL) -> dict[str, Any]:
    return {
        "kind": "position",
        "mmsi": mmsi,
        "ts": f"2024-03-07T01:{minute:02d}:00Z",
        "lat": 42.74,
        "lon": 133.05,
        "sog": 0.2,
        "cog": 90.0,
        "heading": None,
    }


def history_frame(*fixes: dict[str, Any]) -> bytes:
    """A frame of kept fixes, as ingest writes them on `history`."""
    return orjson.dumps({"records": list(fixes)})


STATIC = {
    "kind": "static",
    "mmsi": VESSEL,
    "ts": "2024-03-07T01:00:00Z",
    "name": "CHON MA SAN",
    "imo": 8912345,
    "callsign": "HMXY7",
}
ENTER = {
    "kind": "enter",
    "mmsi": VESSEL,
    "fence": "vostochny",
    "at": "2024-03-07T01:05:00Z",
    "observed_entry": True,
    "seq": 1,
}
PORT_CALL = {
    "kind": "port_call",
    "mmsi": VESSEL,
    "port": "vostochny",
    "arrived_at": "2024-03-07T01:05:00Z",
    "departed_at": None,
    "stayed": "stop",
}
ALERT = {
    "alert_id": "watchlist_port_call-445123456-912c6a57f23b62bc",
    "kind": "watchlist_port_call",
    "severity": "warning",
    "mmsi": VESSEL,
    "at": "2024-03-07T01:05:00Z",
    "title": "Watch-listed vessel calling at vostochny",
}


def sink_run(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, consumer: Consumer
) -> binding.HistorySink:
    """A sink over the scripted consumer until its script ends; its store left open."""
    counts = {f"{NS}.{t}": PARTITIONS for t in TOPICS}

    async def ensure_topics(settings: Settings) -> dict[str, int]:
        return counts

    def made(**options: Any) -> Consumer:
        consumer.options = options
        return consumer

    monkeypatch.setattr(binding, "AIOKafkaConsumer", made)
    monkeypatch.setattr(binding, "ensure_topics", ensure_topics)
    sink = consumer.sink = binding.HistorySink(Settings(namespace=NS, data_dir=data_dir))

    async def run() -> None:
        with pytest.raises(Finished):
            await asyncio.wait_for(sink.run(), 10.0)
        assert sink.opened.is_set()

    try:
        asyncio.run(run())
    finally:
        sink.thread.shutdown(wait=True)
    assert consumer.stopped
    return sink


@pytest.fixture
def close() -> Any:
    """Closes the stores the test opened."""
    sinks: list[binding.HistorySink] = []
    yield sinks.append
    for sink in sinks:
        if sink.store is not None:
            sink.store.close()


def every_topic_once() -> Polled:
    """One poll with something on every history topic (offsets as if some came before)."""
    frames = (history_frame(fix(0), fix(5)), history_frame(fix(10)))
    return {
        tp("history", 1): messages(tp("history", 1), 0, *frames),
        tp("statics"): messages(tp("statics"), 7, STATIC),
        tp("geofence-events"): messages(tp("geofence-events"), 0, ENTER),
        tp("voyage-events", 1): messages(tp("voyage-events", 1), 3, PORT_CALL),
        tp("alerts"): messages(tp("alerts"), 0, ALERT),
    }


def every_offsets() -> dict[tuple[str, int], int]:
    """The offsets `every_topic_once` brings the store to."""
    return {
        ("history", 1): 2,
        ("statics", 0): 8,
        ("geofence-events", 0): 1,
        ("voyage-events", 1): 4,
        ("alerts", 0): 1,
    }


def test_every_topics_records_are_stored_with_the_offsets_they_reach(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    consumer = Consumer([every_topic_once()])
    sink = sink_run(monkeypatch, tmp_path, consumer)
    close(sink)
    # Every partition of every history topic, read without a group, each from its beginning.
    assert sorted(consumer.assigned) == sorted(tp(t, p) for t in TOPICS for p in range(2))
    assert set(consumer.sought.values()) == {"beginning"}
    assert consumer.options["enable_auto_commit"] is False
    assert "group_id" not in consumer.options
    assert binding.store_path(sink.settings) == tmp_path / NS / "history.sqlite3"
    assert binding.store_path(sink.settings).exists()

    store = sink.store
    assert store is not None
    assert store.offsets() == every_offsets()
    history = store.vessel(VESSEL)
    assert history is not None
    assert [f.ts for f in history.track] == [fix(m)["ts"] for m in (0, 5, 10)]
    assert history.identity["name"] == "CHON MA SAN"
    kinds = sorted((e.kind, e.source) for e in history.timeline)
    assert kinds == [("enter", "event"), ("port_call", "event"), ("watchlist_port_call", "alert")]
    assert store.alert(ALERT["alert_id"]) == ALERT


def test_a_restarted_sink_resumes_at_the_offsets_it_stored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    close(sink_run(monkeypatch, tmp_path, Consumer([every_topic_once()])))
    more = {tp("history", 1): messages(tp("history", 1), 2, history_frame(fix(15)))}
    again = Consumer([more])
    sink = sink_run(monkeypatch, tmp_path, again)
    close(sink)
    assert again.sought[tp("history", 1)] == 2
    assert again.sought[tp("statics", 0)] == 8
    assert again.sought[tp("voyage-events", 1)] == 4
    assert again.sought[tp("history", 0)] == "beginning"  # never read: from its beginning
    assert sink.store is not None
    history = sink.store.vessel(VESSEL)
    assert history is not None
    assert [f.ts for f in history.track] == [fix(m)["ts"] for m in (0, 5, 10, 15)]
    assert sink.store.offsets()[("history", 1)] == 3


def test_records_read_twice_are_stored_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    # As after a crash between the transaction and the next poll, or a broker's redelivery.
    sink = sink_run(monkeypatch, tmp_path, Consumer([every_topic_once(), every_topic_once()]))
    close(sink)
    assert sink.store is not None
    history = sink.store.vessel(VESSEL)
    assert history is not None
    assert len(history.track) == 3
    assert sorted(e.kind for e in history.timeline) == ["enter", "port_call", "watchlist_port_call"]
    # A port call published again when the vessel leaves replaces its open version.
    left = {**PORT_CALL, "departed_at": "2024-03-07T09:00:00Z"}
    again = Consumer([{tp("voyage-events", 1): messages(tp("voyage-events", 1), 4, left)}])
    sink = sink_run(monkeypatch, tmp_path, again)
    close(sink)
    assert sink.store is not None
    history = sink.store.vessel(VESSEL)
    assert history is not None
    (call,) = [e for e in history.timeline if e.kind == "port_call"]
    assert call.record["departed_at"] == "2024-03-07T09:00:00Z"


def test_a_value_that_is_not_a_record_costs_only_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    other = {**STATIC, "mmsi": OTHER, "name": "SOKOL", "imo": 9301234}
    bad_fix = {"kind": "position", "mmsi": VESSEL, "ts": "2024-03-07T01:20:00Z"}  # no lat/lon
    polled = {
        tp("statics", 1): messages(tp("statics", 1), 0, b"{not json", b"[1, 2]", other),
        tp("history"): messages(tp("history"), 0, history_frame(fix(0), bad_fix, fix(30))),
    }
    sink = sink_run(monkeypatch, tmp_path, Consumer([polled]))
    close(sink)
    store = sink.store
    assert store is not None
    # The bad values are behind the stored offsets: not read again forever.
    assert store.offsets() == {("statics", 1): 3, ("history", 0): 1}
    assert store.summary(OTHER)["name"] == "SOKOL"
    history = store.vessel(VESSEL)
    assert history is not None
    assert [f.ts for f in history.track] == [fix(0)["ts"], fix(30)["ts"]]


class Writes:
    """Each transaction the store is asked for: its rows, its offsets, and the polls then left."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, consumer: Consumer) -> None:
        self.seen: list[tuple[int, dict[tuple[str, int], int], int]] = []
        write = HistoryStore.write

        def counted(store: HistoryStore, batch: Batch) -> None:
            self.seen.append((batch.rows(), dict(batch.offsets), len(consumer.polls)))
            write(store, batch)

        monkeypatch.setattr(HistoryStore, "write", counted)


def fixes_poll(first: int, *minutes: int) -> Polled:
    """A poll of one history frame (at offset `first`) with a fix at each minute."""
    at = tp("history")
    return {at: messages(at, first, history_frame(*(fix(m) for m in minutes)))}


def test_polls_are_gathered_into_one_transaction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    # A transaction per poll of a few hundred rows cost 15 µs a row; gathered, 4 µs.
    consumer = Consumer([fixes_poll(0, 0, 1), fixes_poll(1, 2), every_topic_once()])
    writes = Writes(monkeypatch, consumer)
    sink = sink_run(monkeypatch, tmp_path, consumer)
    close(sink)
    assert writes.seen == [(10, every_offsets() | {("history", 0): 2}, 0)]
    assert sink.store is not None
    history = sink.store.vessel(VESSEL)
    assert history is not None
    assert [f.ts for f in history.track] == [fix(m)["ts"] for m in (0, 1, 2, 5, 10)]


def test_enough_rows_make_a_transaction_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    monkeypatch.setattr(binding, "FLUSH_ROWS", 3)
    polls = [fixes_poll(0, 0, 1), fixes_poll(1, 2, 3), fixes_poll(2, 4), fixes_poll(3, 5)]
    consumer = Consumer(polls)
    writes = Writes(monkeypatch, consumer)
    close(sink_run(monkeypatch, tmp_path, consumer))
    # 2 rows wait; 4 are written while 2 polls are left; the last 2 when the sink stops.
    assert writes.seen == [(4, {("history", 0): 2}, 2), (2, {("history", 0): 4}, 0)]


def test_rows_wait_at_most_flush_s_for_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    monkeypatch.setattr(binding, "FLUSH_S", 0.05)

    class Slow(Consumer):
        async def getmany(self, timeout_ms: int, max_records: int) -> Polled:
            polled = await super().getmany(timeout_ms, max_records)
            if not polled:
                await asyncio.sleep(0.03)  # a quiet topic: the poll times out empty
            return polled

    consumer = Slow([fixes_poll(0, 0), {}, {}, {}, {}, fixes_poll(1, 1)])
    writes = Writes(monkeypatch, consumer)
    close(sink_run(monkeypatch, tmp_path, consumer))
    first, last = writes.seen
    assert first[:2] == (1, {("history", 0): 1}) and first[2] >= 1  # before the next fix came
    assert last == (1, {("history", 0): 2}, 0)


def test_a_pages_read_writes_the_rows_gathered_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, close: Any
) -> None:
    # A vessel on the live map is clicked before the sink's next transaction is due: its page
    # must have the vessel, not "no history" for up to FLUSH_S.
    seen: dict[str, Any] = {}

    class Clicked(Consumer):
        async def getmany(self, timeout_ms: int, max_records: int) -> Polled:
            if len(self.polls) == 1:  # the first poll is gathered, nothing is written yet
                assert self.sink is not None
                seen["written before"] = len(writes.seen)
                store = await self.sink.ready()  # what the pages call before reading
                seen["vessel"] = await self.sink.call(store.vessel, VESSEL)
            return await super().getmany(timeout_ms, max_records)

    consumer = Clicked([fixes_poll(0, 0, 1), fixes_poll(1, 2)])
    writes = Writes(monkeypatch, consumer)
    close(sink_run(monkeypatch, tmp_path, consumer))
    assert seen["written before"] == 0
    assert [f.ts for f in seen["vessel"].track] == [fix(0)["ts"], fix(1)["ts"]]
    # The read's transaction, then the rest when the sink stopped; each with its offsets.
    assert writes.seen == [(2, {("history", 0): 1}, 1), (1, {("history", 0): 2}, 0)]
