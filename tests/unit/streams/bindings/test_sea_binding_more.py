"""The sea agent itself (test_sea_binding.py covers its table store and frame codec): frames in
through `SeaBinding.run`, with recording stand-ins for Faust and the bulk producer and the real
sea stage.

What matters: a frame's events and forwarded records are acknowledged before its state is
written, its state (each changed key once, in one batch per partition) before the frame is
acknowledged; a frame that is not one is dead-lettered and the next applied; a send that fails
stops the worker with the frame's state unwritten and the frame unacknowledged; each partition's
watermark is announced to every sea partition when it moves; after a revocation the watermarks
come from the table again and what was not flushed is dropped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import murmur2

from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.stage import sighting_input
from shipwatch.sea.zones import SeaZones
from streams.bindings.sea import SeaBinding

NS = "seamore"  # its own: the binding keeps each topic's partitioner for the process
SEA = f"{NS}.sea"
CHANGELOG = f"{NS}-sea-changelog"
PARTITIONS = 3
T0 = datetime(2024, 3, 7, tzinfo=UTC)
FAR_SOUTH = (40.0, 132.0)  # open sea, hundreds of km from every port
AT_VOSTOCHNY = (42.7445, 133.069)  # at the oil-products berths, a watched loading port


class Log(list[str]):
    """What happened, in order."""


@dataclass
class Sent:
    topic: str
    partition: int
    key: bytes | None
    value: bytes


class Bulk:
    """The bulk producer as the sea binding uses it; acknowledges a little later, or fails."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.ready = asyncio.Event()
        self.ready.set()
        self.sent: list[Sent] = []
        self.fails: BaseException | None = None

    async def partitions(self, topic: str) -> set[int]:
        assert topic in (SEA, f"{NS}.voyage-events")
        return set(range(PARTITIONS))

    async def send_partitioned(self, topic: str, records: Any) -> list[asyncio.Future[None]]:
        rows = [Sent(topic, p, key, value) for p, key, value in records]
        if not rows:
            return []
        self.sent += rows
        self.log.append(f"send {topic}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def answer() -> None:
            if self.fails is None:
                self.log.append(f"acked {topic}")
                future.set_result(None)
            else:
                self.log.append(f"failed {topic}")
                future.set_exception(self.fails)

        asyncio.get_running_loop().call_later(0.002, answer)
        return [future]

    def frames(self, partition: int | None = None) -> list[tuple[int, dict[str, Any]]]:
        return [
            (s.partition, orjson.loads(s.value))
            for s in self.sent
            if s.topic == SEA and partition in (None, s.partition)
        ]


@dataclass
class Topic:
    """A Faust topic: dead letters are sent through Faust; voyage events only named."""

    name: str
    log: Log
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)

    async def send(self, key: bytes | None = None, value: bytes = b"") -> asyncio.Future[None]:
        self.sent.append((key, value))
        self.log.append(f"send {self.name}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def get_topic_name(self) -> str:
        return f"{NS}-{self.name}" if self.name.endswith("changelog") else f"{NS}.{self.name}"


@dataclass
class App:
    crashed: list[BaseException] = field(default_factory=list)
    consumer_generation_id: int = 1

    async def crash(self, reason: BaseException) -> None:
        self.crashed.append(reason)


class Data(dict[bytes, bytes]):
    """The `sea` table's data: bytes in and out, every write and delete noted."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.log.append(f"write {key.decode()}")
        super().__setitem__(key, value)

    def pop(self, key: bytes, default: Any = None) -> Any:
        self.log.append(f"delete {key.decode()}")
        return super().pop(key, default)


class Table:
    """The `sea` table: its data, its changelog topic; it knows its app."""

    def __init__(self, log: Log) -> None:
        self.data, self.app = Data(log), App()
        self.changelog_topic = Topic("sea-changelog", log)

    def __getitem__(self, key: bytes) -> bytes:
        return self.data[key]


@dataclass
class Message:
    partition: int
    offset: int
    topic: str = SEA
    generation_id: int = 1


@dataclass
class Event:
    value: bytes
    message: Message
    key: bytes | None = None


class Stream:
    """A noack stream: the binding acknowledges each frame itself, after its flush."""

    def __init__(self, events: list[Event], log: Log | None = None) -> None:
        self._events, self.log = events, log if log is not None else Log()
        self.acked: list[int] = []

    def noack(self) -> Stream:
        return self

    async def events(self) -> Any:
        for event in self._events:
            yield event

    async def ack(self, event: Event) -> bool:
        self.log.append(f"ack {event.message.offset}")
        self.acked.append(event.message.offset)
        return True


async def drive(sea: SeaBinding, stream: Stream) -> None:
    """The agent over the frames, then the timer's flush (a second later)."""
    await sea.run(stream)
    await sea.flush()


def binding(core: Any, log: Log, table: Table | None = None) -> tuple[SeaBinding, Bulk, Table]:
    rules = core[1].sea_rules
    ctx = SeaContext(rules, SeaZones(core[0], rules), lambda mmsi, static: False)
    bulk = Bulk(log)
    table = Table(log) if table is None else table
    topics = {name: Topic(name, log) for name in ("voyage-events", "dead-letters")}
    return SeaBinding(topics, table, ctx, bulk, NS), bulk, table  # type: ignore[arg-type]


def sighting(sighting_id: str, where: tuple[float, float], core: Any) -> dict[str, Any]:
    """A satellite sighting as the track stage forwards it to the sea stage."""
    published = {
        "kind": "sighting",
        "sighting_id": sighting_id,
        "ts": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lat": where[0],
        "lon": where[1],
        "length_m": 120.0,
        "source": "sentinel-1",
    }
    return sighting_input(published, core[1].sea_rules)


def track_progress(core: Any, past_t0_s: float) -> dict[str, Any]:
    """The one track partition's progress, `past_t0_s` beyond T0 plus the allowed lateness."""
    t = T0.timestamp() + past_t0_s + core[1].sea_rules.lateness_s
    return {"l": 1, "s": 0, "n": 1, "t": t, "i": False}


def frame(records: list[dict[str, Any]], progress: dict[str, Any] | None = None) -> bytes:
    value: dict[str, Any] = {"records": records}
    if progress is not None:
        value["progress"] = progress
    return orjson.dumps(value)


def decided_now(core: Any) -> dict[str, Any]:
    """The track's progress an hour past T0: sightings at T0 are decided on it."""
    return track_progress(core, core[1].sea_rules.sighting_wait_s)


def kafka_partition(key: str) -> int:
    """Where Kafka's default partitioner puts a key (Faust's tables read by it)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


def test_a_frames_events_and_forwarded_records_are_acknowledged_before_its_state_is_written(
    core: Any,
) -> None:
    log = Log()
    sea, bulk, table = binding(core, log)
    records = [sighting("s-far", FAR_SOUTH, core), sighting("s-port", AT_VOSTOCHNY, core)]

    stream = Stream([Event(frame(records, decided_now(core)), Message(1, 0))], log)
    asyncio.run(drive(sea, stream))
    w1 = T0.timestamp() + core[1].sea_rules.sighting_wait_s
    # Nobody's AIS at the far one: a `sighting` event, keyed by its id, on its key's partition.
    (event,) = [s for s in bulk.sent if s.topic == f"{NS}.voyage-events"]
    assert orjson.loads(event.value)["sighting_id"] == "s-far"
    assert (event.key, event.partition) == (b"s-far", kafka_partition("s-far"))
    # At a watched port: one more hop, to the watched vessels' partition, behind this
    # partition's level-1 watermark (level 2 to the receiver), which covers it.
    ((p, forwarded),) = bulk.frames()
    assert p == kafka_partition("watched")
    assert [(r["kind"], r["sighting_id"]) for r in forwarded["records"]] == [("dark", "s-port")]
    assert forwarded["progress"] == {"l": 2, "s": 1, "n": PARTITIONS, "t": w1, "i": False}
    # The state (the partition's watermarks among it) only once both were acknowledged.
    # Then it is written to the changelog, and only once that is acknowledged is the frame.
    first_write = log.index(f"send {CHANGELOG}")
    assert {"acked " + SEA, f"acked {NS}.voyage-events"} <= set(log[:first_write])
    assert log.index(f"acked {CHANGELOG}") < log.index("ack 0")
    assert log[-1] == "ack 0"
    changelog = [s for s in bulk.sent if s.topic == CHANGELOG]
    assert {s.partition for s in changelog} == {1}  # where the frame came from
    assert len({s.key for s in changelog}) == len(changelog)  # each key once
    assert orjson.loads(table[b"wm:1"])["marks"]["1"]["p"] == {"0": [w1 + 600.0, False]}
    assert table.app.crashed == []


def test_a_frame_that_is_not_a_frame_is_dead_lettered_and_the_next_is_applied(core: Any) -> None:
    log = Log()
    sea, bulk, table = binding(core, log)
    strange = {"kind": "sonar", "key": "x"}
    records = [strange, sighting("s-far", FAR_SOUTH, core)]
    frames = [
        Event(b"{not json", Message(2, 7), key=b"k"),
        Event(frame(records, decided_now(core)), Message(2, 8)),
    ]
    stream = Stream(frames)
    asyncio.run(drive(sea, stream))
    dead = [orjson.loads(v) for _, v in sea.topics["dead-letters"].sent]
    assert [(d["reason"], d["stage"], d["source"]["offset"]) for d in dead] == [
        ("bad_frame", "sea", 7),
        ("internal_error", "sea", 8),  # one record of a frame: the rest of it is applied
    ]
    assert dead[0]["raw"] == "{not json"
    assert orjson.loads(dead[1]["raw"]) == strange
    assert "sonar" in dead[1]["detail"]
    events = [orjson.loads(s.value) for s in bulk.sent if s.topic == f"{NS}.voyage-events"]
    assert [e["sighting_id"] for e in events] == ["s-far"]
    assert b"wm:2" in table.data
    assert stream.acked == [7, 8]  # the dead letters acknowledged first
    assert table.app.crashed == []


def test_a_send_that_fails_stops_the_worker_and_the_frames_state_is_not_written(
    core: Any,
) -> None:
    log = Log()
    sea, bulk, table = binding(core, log)
    bulk.fails = KafkaTimeoutError("no answer from the broker")
    frames = [
        Event(frame([sighting("s-far", FAR_SOUTH, core)], decided_now(core)), Message(0, 3)),
        Event(frame([], decided_now(core)), Message(0, 4)),
    ]
    stream = Stream(frames, log)
    with pytest.raises(KafkaTimeoutError):
        asyncio.run(drive(sea, stream))
    assert [type(c) for c in table.app.crashed] == [KafkaTimeoutError]
    assert sea.topics["dead-letters"].sent == []  # dead-lettered, its offset would be committed
    assert dict(table.data) == {}  # the restarted worker reads the frame again over the old state
    assert not any(e.startswith(("write", "delete", f"send {CHANGELOG}")) for e in log)
    assert stream.acked == []


def test_each_watermark_is_announced_to_every_sea_partition_when_it_moves(core: Any) -> None:
    log = Log()
    sea, bulk, _ = binding(core, log)

    async def scenario() -> list[list[tuple[int, dict[str, Any]]]]:
        told = []
        await sea.on_frame(Event(frame([], track_progress(core, 100.0)), Message(1, 0)))
        for step in range(3):
            if step == 2:  # the track partition's progress moves on
                await sea.on_frame(Event(frame([], track_progress(core, 200.0)), Message(1, 1)))
            before = len(bulk.sent)
            await sea.announce()
            told.append(bulk.frames()[before:] if len(bulk.sent) > before else [])
        return told

    first, unchanged, moved = asyncio.run(scenario())
    level_2 = {"l": 2, "s": 1, "n": PARTITIONS, "i": False}
    assert sorted(p for p, _ in first) == list(range(PARTITIONS))
    assert all(
        f == {"records": [], "progress": level_2 | {"t": T0.timestamp() + 100.0}} for _, f in first
    )
    assert unchanged == []  # told again only every few seconds
    assert sorted(p for p, _ in moved) == list(range(PARTITIONS))
    assert all(f["progress"]["t"] == T0.timestamp() + 200.0 for _, f in moved)


def test_after_a_revocation_the_watermarks_come_from_the_table_not_from_memory(
    core: Any,
) -> None:
    log = Log()
    sea, bulk, table = binding(core, log)
    other, _, _ = binding(core, Log(), table)  # the worker that owns partition 1 meanwhile

    async def scenario() -> tuple[list[Any], list[Any]]:
        await sea.on_frame(Event(frame([], track_progress(core, 100.0)), Message(1, 0)))
        await sea.on_revoked()
        before = len(bulk.sent)
        await sea.announce()
        while_away = bulk.frames()[before:] if len(bulk.sent) > before else []
        await other.on_frame(Event(frame([], track_progress(core, 900.0)), Message(1, 1)))
        await other.flush()
        # Partition 1 comes back, its table as the changelog left it; a frame with no progress.
        await sea.on_frame(Event(frame([]), Message(1, 2)))
        before = len(bulk.sent)
        await sea.announce()
        return while_away, bulk.frames()[before:]

    while_away, back = asyncio.run(scenario())
    assert while_away == []  # a revoked partition is announced by its new owner, not by us
    assert {f["progress"]["t"] for _, f in back} == {T0.timestamp() + 900.0}


def test_frames_until_a_flush_write_each_changed_key_once_and_a_revocation_drops_them(
    core: Any,
) -> None:
    log = Log()
    sea, bulk, table = binding(core, log)
    far = [sighting(f"s-{i}", FAR_SOUTH, core) for i in range(3)]

    async def scenario() -> Stream:
        stream = Stream([], log)
        sea.stream = stream  # type: ignore[assignment]
        for offset, record in enumerate(far[:2]):  # waiting for the watermark: cell state
            await sea.apply(Event(frame([record], track_progress(core, 0.0)), Message(0, offset)))
        assert not any(e.startswith("write") for e in log)  # nothing durable before the flush
        await sea.flush()
        await sea.apply(Event(frame([far[2]], track_progress(core, 0.0)), Message(0, 2)))
        await sea.on_revoked()  # partitions move before the next flush
        await sea.flush()
        return stream

    stream = asyncio.run(scenario())
    changelog = [s for s in bulk.sent if s.topic == CHANGELOG]
    keys = [s.key for s in changelog]
    assert len(keys) == len(set(keys))  # the two frames' changes to one cell: written once
    assert b"wm:0" in keys and any(k != b"wm:0" for k in keys)
    assert stream.acked == [0, 1]  # the third frame: read again by the next owner
    head = next(k for k in keys if k != b"wm:0" and b"@" not in k)
    assert len(orjson.loads(table.data[head])["pending"]) == 2
