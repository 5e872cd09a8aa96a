#!/usr/bin/env python3
"""Record what this release writes on every topic and table changelog: the upgrade fixtures.

A deployment is upgraded in place: the new release reads the tables, topics and history the
old one left (docs/guarantees.md, "Upgrades keep state"). This script keeps a sample of each,
exactly as this release's code writes them, in `tests/data/upgrade/<release>/`, and
`tests/unit/upgrade/test_upgrade_fixtures.py` has every later release read every release's.

No Kafka: the real code runs against a stand-in of the broker (`Wire`) that keeps every record
sent, by topic and partition. `shipwatch replay` publishes the reference scenario and the four
days at sea (and a few bad lines); a live feed's deduplicator and publisher publish NMEA
sentences and the feed's status; then the stages run in the order a worker catching up would:
ingest over the raw topic (its stage, and its binding's sends), the track binding over the
frames (with its flushes into the `tracks` changelog), the sea stage over its frames (sent on,
and its changed keys written, as its binding does: each value's JSON), the voyage, alert and cap
bindings one message at a time (their table writes through each Faust table's serializers).
The triage service writes a few analysts' actions, and the history sink stores some of the
kept history-topic records into a small SQLite database.

Each topic or changelog becomes one JSON-lines file: per record its partition, offset, Kafka
timestamp, headers, key and value (as text when UTF-8, else base64 in `key_b64`/`value_b64`;
a tombstone's value is null), and `expect`: facts this release's readers found in it, for a
later release's readers to find too. `manifest.json` lists the files with their SHA-256.

A release's directory is never written over once that release is out: a new release adds its
own (`--replace` only while the version in pyproject.toml is not yet released).

    .venv/bin/python scripts/record_upgrade_fixtures.py [--release X.Y.Z] [--replace]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sqlite3
import sys
import tempfile
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import orjson
from aiokafka import TopicPartition
from pyais import encode_dict
from pyais.util import checksum

from alerts.cap import FORMAT as CAPS_FORMAT
from geofences.map_areas import MapAreas
from shipwatch.feeds.dedup import Deduplicator
from shipwatch.feeds.outlet import Source
from shipwatch.feeds.received import Received
from shipwatch.feeds.sources import parse_source
from shipwatch.feeds.status import StatusReport
from shipwatch.history.records import Batch
from shipwatch.history.store import FORMAT as HISTORY_FORMAT
from shipwatch.history.store import HistoryStore
from shipwatch.history.thinning import Thinner
from shipwatch.metrics import HISTORY_TOPICS
from shipwatch.pipeline.frames import parse_frame
from shipwatch.pipeline.graph import GRAPH, message_stages
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.partitioner import KeyPartitioner
from shipwatch.pipeline.setup import build_core
from shipwatch.pipeline.vessel_state import FORMAT as TRACKS_FORMAT
from shipwatch.pipeline.watched import watched_by
from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.stage import sea_batch
from shipwatch.sea.zones import SeaZones
from shipwatch.settings import BUNDLED_GEOFENCES, Settings
from shipwatch.triage.actions import parse_action
from shipwatch.voyages.machine import FORMAT as VOYAGES_FORMAT
from shipwatch.watermarks import SEA_LEVEL, Progress
from shipwatch.web.live_feed import AlertFeed
from shipwatch.web.triage import TriageService
from streams.app import create_app
from streams.bindings.agents import MessageBinding
from streams.bindings.guard import send_dead_letter
from streams.bindings.history_sink import HistorySink
from streams.bindings.ingest import Ingest
from streams.bindings.sea import TableStore, send_events, send_sea
from streams.bindings.track import TrackBinding
from streams.kafka import replayer
from streams.kafka.bulk_producer import BulkProducer
from streams.kafka.raw_publisher import RawPublisher
from streams.kafka.topics import TOPICS, changelog
from streams.kafka.triage_topic import TOPIC as TRIAGE_TOPIC

ROOT = Path(__file__).resolve().parents[1]


def _facts_module() -> ModuleType:
    """tests/unit/upgrade/facts.py: what a record means, shared with the tests that read it."""
    path = ROOT / "tests" / "unit" / "upgrade" / "facts.py"
    spec = importlib.util.spec_from_file_location("upgrade_facts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FACTS = _facts_module()
OUT = ROOT / "tests" / "data" / "upgrade"
SCENARIOS = ROOT / "shipwatch" / "scenarios" / "data"
INPUTS = (SCENARIOS / "reference.csv", SCENARIOS / "sea_days.jsonl")
NAMESPACE = "shipwatch"
PARTITIONS = 6  # the settings' default
RAW_BATCH = 200  # raw messages ingest takes per partition per poll (a live poll's size)
FLUSH_EVERY = 12  # frames between the track stage's flushes
SENT_AT_MS = 1_711_929_600_000  # the Kafka timestamp a record sent without one gets (2024-04-01)
FEED_AT = 1_711_933_200.0  # when the feed below receives its lines (2024-04-01T01:00:00Z)
FEED_VESSEL = 445990101  # a vessel of the reference scenario, heard again live afterwards
# Bad input `replay` reads: a record of no vessel, a line that is not even text.
BAD_LINES = (b'{"kind":"position","mmsi":"x","ts":"2024-03-07T00:00:00Z"}', b"\xff\xfe\x00 ?")
MAX_FRAME_BYTES = 6_000  # frames kept in a fixture are small ones


# ---------------------------------------------------------------- the broker, as a stand-in


@dataclass(frozen=True, slots=True)
class Sent:
    """One record as the broker would keep it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int | None
    headers: tuple[tuple[str, bytes], ...]


class Wire:
    """Every record every producer sent, by topic and partition, in order."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.logs: dict[str, dict[int, list[Sent]]] = defaultdict(lambda: defaultdict(list))
        self.keyed = KeyPartitioner(partitions)  # murmur2, as the Kafka clients' default
        self.spread = 0

    def partition_of(self, key: bytes | None) -> int:
        """The default partitioner's choice: by key; a record with none anywhere (in turn)."""
        if key is None:
            self.spread += 1
            return self.spread % self.partitions
        return self.keyed(key)

    def append(
        self,
        topic: str,
        partition: int,
        key: bytes | None,
        value: bytes | None,
        timestamp: int | None = None,
        headers: Iterable[tuple[str, bytes]] = (),
    ) -> Sent:
        """Keep a record at the end of its partition."""
        log = self.logs[topic][partition]
        sent = Sent(topic, partition, len(log), key, value, timestamp, tuple(headers))
        log.append(sent)
        return sent

    def records(self, topic: str) -> list[Sent]:
        """Every record of a topic, by partition, then offset."""
        return [s for p in sorted(self.logs[topic]) for s in self.logs[topic][p]]


def _done(value: Any = None) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


class _Batch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes | None, bytes, int | None, tuple[tuple[str, bytes], ...]]]
        self.records = []

    def append(
        self, *, key: bytes | None, value: bytes, timestamp: int | None, headers: Any
    ) -> object:
        self.records.append((key, value, timestamp, tuple(headers or ())))
        return object()  # aiokafka's metadata: there was room


class KafkaProducerStandIn:
    """What the bulk producer and `replay` use of aiokafka's producer, onto the wire."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def partitions_for(self, topic: str) -> set[int]:
        """Every topic has the settings' partition count."""
        return set(range(self.wire.partitions))

    def create_batch(self) -> _Batch:
        """An empty batch."""
        return _Batch()

    async def send_batch(self, batch: _Batch, topic: str, *, partition: int) -> Any:
        """The batch's records onto their partition."""
        for key, value, timestamp, headers in batch.records:
            self.wire.append(topic, partition, key, value, timestamp, headers)
        return _done()

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Any = None,
    ) -> Any:
        """One record, partitioned by its key."""
        chosen = self.wire.partition_of(key) if partition is None else partition
        self.wire.append(topic, chosen, key, value, timestamp_ms, headers or ())
        return _done()


class TopicStandIn:
    """A topic of the Faust app (raw serializers) as the agents send to it."""

    def __init__(self, name: str, wire: Wire) -> None:
        self.name, self.wire = name, wire

    def get_topic_name(self) -> str:
        """The full topic name."""
        return self.name

    async def send(self, *, key: bytes | None = None, value: bytes | None = None, **_: Any) -> Any:
        """One record, partitioned by its key as Faust's producer does."""
        self.wire.append(self.name, self.wire.partition_of(key), key, value)
        return _done()


class TableStandIn(dict[bytes, Any]):
    """A Faust table as an agent uses it (get, set, pop), writing the changelog as Faust does:
    key and value through the table's own serializers, to the partition of the message being
    processed (a deletion is a tombstone)."""

    def __init__(self, table: Any, wire: Wire) -> None:
        super().__init__()
        self.table, self.wire = table, wire
        self.topic = table.changelog_topic.get_topic_name()
        self.partition = 0  # of the message the agent is processing

    def __setitem__(self, key: bytes, value: Any) -> None:
        super().__setitem__(key, value)
        self._log(key, value, self.table.value_serializer)

    def pop(self, key: bytes, default: Any = None) -> Any:  # type: ignore[override]
        """Remove a key (a tombstone on the changelog), as MutableMapping.pop does."""
        if key not in self:
            return default
        value = super().pop(key)
        self._log(key, None, "raw")
        return value

    def _log(self, key: bytes, value: Any, serializer: Any) -> None:
        changelog_topic = self.table.changelog_topic
        raw_key, _ = changelog_topic.prepare_key(key, self.table.key_serializer)
        raw_value, _ = changelog_topic.prepare_value(value, serializer)
        self.wire.append(self.topic, self.partition, raw_key, raw_value)


async def _crash(exc: BaseException) -> None:
    """The app's crash: the binding raises the error itself right after."""


@dataclass
class _Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    generation_id: int = 0


@dataclass
class _Event:
    key: bytes | None
    value: bytes | None
    message: _Message


def event_of(sent: Sent) -> _Event:
    """A consumed record as Faust hands it to an agent."""
    stamp = SENT_AT_MS if sent.timestamp is None else sent.timestamp
    message = _Message(sent.topic, sent.partition, sent.offset, sent.key, sent.value, stamp)
    return _Event(sent.key, sent.value, message)


class Reader:
    """A consumer of one topic: what is new on each partition since the last poll."""

    def __init__(self, wire: Wire, topic: str) -> None:
        self.wire, self.topic = wire, topic
        self.next: dict[int, int] = defaultdict(int)

    def poll(self, partition: int, most: int | None = None) -> list[Sent]:
        """Up to `most` new records of a partition."""
        log = self.wire.logs[self.topic][partition]
        start = self.next[partition]
        taken = log[start:] if most is None else log[start : start + most]
        self.next[partition] = start + len(taken)
        return taken

    def pending(self) -> bool:
        """Whether any partition has records not yet read."""
        logs = self.wire.logs[self.topic]
        return any(len(log) > self.next[p] for p, log in logs.items())


# ---------------------------------------------------------------- running the release


@dataclass
class Run:
    """The wire after the run, and what is needed to describe it."""

    wire: Wire
    settings: Settings
    foreign: set[tuple[str, int, int]] = field(default_factory=set)  # not written by shipwatch


async def run_release(settings: Settings, work: Path) -> Run:
    """Everything this release writes, from the scenarios, onto a wire."""
    wire = Wire(settings.partitions)
    run = Run(wire, settings)
    producer = KafkaProducerStandIn(wire)
    bulk = BulkProducer(settings)
    bulk._producer = producer  # type: ignore[assignment]  # started, on the stand-in
    bulk.ready.set()
    wiring = create_app(settings)
    topics: dict[str, Any] = {name: TopicStandIn(settings.topic(name), wire) for name in TOPICS}
    index, ctx = build_core(settings.geofences_dir, settings)

    await _replay(settings, producer, work)
    await _feed(settings, bulk)
    await _ingest(settings, bulk, index, wire)
    # Something not written by shipwatch on the frames topic: the track stage dead-letters it.
    garbage = wire.append(settings.topic("frames"), 0, None, b"not a frame")
    run.foreign.add((garbage.topic, garbage.partition, garbage.offset))
    sea = SeaContext(ctx.sea_rules, SeaZones(index, ctx.sea_rules), watched_by(ctx))
    await _track(settings, wiring, topics, index, bulk, sea, wire)
    await _sea(settings, wiring, topics, bulk, sea, wire)
    await _message_stages(settings, wiring, topics, ctx, wire)
    await _triage(settings, wire)
    return run


async def _replay(settings: Settings, producer: KafkaProducerStandIn, work: Path) -> None:
    """`shipwatch replay` of the scenarios and of a file of bad lines, as fast as it can."""
    bad = work / "bad-lines.jsonl"
    bad.write_bytes(b"\n".join(BAD_LINES) + b"\n")

    async def start(_: Settings) -> KafkaProducerStandIn:
        return producer

    replayer._start = start  # type: ignore[assignment]  # the stand-in in place of Kafka
    counts = await replayer.replay(settings, [*INPUTS, bad], "auto", None)
    logging.info("replay: %d sent, %d dead-lettered", counts.sent, counts.dead_lettered)


def _tagged(line: bytes, station: str, t: float) -> bytes:
    body = f"s:{station},c:{int(t)}".encode()
    return b"\\" + body + b"*" + f"{checksum(body):02X}".encode() + b"\\" + line


def _feed_lines() -> list[tuple[bytes, float]]:
    """What a receiver sends: position reports (one with its own tag-block time), a two-part
    static report, and a line whose checksum is wrong."""
    vessel = {"mmsi": FEED_VESSEL, "speed": 0.1, "course": 58.0, "heading": 60, "status": 5}
    first = {"type": 1, "lat": 42.7601, "lon": 133.0711, **vessel}
    second = {"type": 3, "lat": 42.7602, "lon": 133.0712, **vessel}
    static = {
        "type": 5, "mmsi": FEED_VESSEL, "imo": 9123458, "callsign": "HMKA4",
        "shipname": "KALMAEGI 4", "ship_type": 80, "to_bow": 60, "to_stern": 48, "to_port": 8,
        "to_starboard": 8, "draught": 6.9, "destination": "CHONGJIN",
    }  # fmt: skip
    (one,) = encode_dict(first, radio_channel="A", talker_id="AI", sentence_type="VDM")
    (two,) = encode_dict(second, radio_channel="B", talker_id="AI", sentence_type="VDM")
    parts = encode_dict(static, radio_channel="B", talker_id="AI", sentence_type="VDM", seq_id=4)
    broken = one[:-2] + ("00" if one[-2:] != "00" else "01")
    t = FEED_AT
    return [
        (_tagged(one.encode(), "rcv1", t - 5), t),
        (two.encode(), t + 60),
        *[(part.encode(), t + 61) for part in parts],
        (broken.encode(), t + 62),
    ]


async def _feed(settings: Settings, bulk: BulkProducer) -> None:
    """`shipwatch feed`: lines through its deduplicator onto the raw topic, then its status."""
    source = Source(parse_source("tcp://192.0.2.10:5631"), settings.feed_clock_tolerance_s)
    source.connected()
    dedup = Deduplicator(settings.feed_dedup_window_s)
    publisher = RawPublisher(settings, bulk)
    sender = b"192.0.2.10:5631"
    items: list[Received] = []
    for line, at in _feed_lines():
        source.heard(1, len(line), at)
        items += dedup.take(Received(source.name, sender, line, at))
    items += dedup.flush()
    await publisher.publish(items)
    await publisher.status(StatusReport([source]).records(FEED_AT + 65))
    source.disconnected()
    await publisher.status(StatusReport([source]).records(FEED_AT + 70))


async def _ingest(settings: Settings, bulk: BulkProducer, index: Any, wire: Wire) -> None:
    """The ingest binding over the raw topic, polls of RAW_BATCH per partition in turn, then
    every raw partition told idle (nothing left to read)."""
    areas = MapAreas(index)
    ingest = Ingest(settings, bulk, areas)
    frames = await bulk.partitioner(settings.topic("frames"))  # as Ingest.run wires its stage
    history = Thinner(settings.history_thin_s, settings.history_turn_deg)

    def on_map(lat: float, lon: float) -> bool:
        return areas.area_of(lat, lon) is not None

    raw_count = len(await bulk.partitions(ingest.raw_topic))
    stage = IngestStage(
        ingest.raw_topic, Routing(frames, on_map, history, frames.partitions, raw_count)
    )
    reader = Reader(wire, ingest.raw_topic)
    now = 0.0
    while reader.pending():
        for partition in range(raw_count):
            polled = reader.poll(partition, RAW_BATCH)
            if polled:
                now += 0.5
                messages = [event_of(s).message for s in polled]
                await ingest._send(stage.batch(partition, messages, now))
    for partition in range(raw_count):
        await ingest._send(stage.finish(partition))
        beats = stage.heartbeat(partition, idle=True, now=now + 10, every=True)
        await bulk.send_partitioned(settings.topic("frames"), ((p, None, f) for p, f in beats))


def _agent_stream(binding: Any) -> None:
    async def ack(_: Any) -> bool:
        return True

    binding.stream = SimpleNamespace(ack=ack)


async def _track(
    settings: Settings,
    wiring: Any,
    topics: dict[str, Any],
    index: Any,
    bulk: BulkProducer,
    sea: SeaContext,
    wire: Wire,
) -> None:
    """The track binding over the frames topic, flushing into the tracks changelog."""
    app = SimpleNamespace(crash=_crash, consumer_generation_id=0)
    track = TrackBinding(app, topics, wiring.tracks, index, bulk, sea)  # type: ignore[arg-type]
    _agent_stream(track)
    reader = Reader(wire, settings.topic("frames"))
    taken = 0
    while reader.pending():
        for partition in range(settings.partitions):
            for sent in reader.poll(partition, 4):
                await track.apply(event_of(sent))  # type: ignore[arg-type]
                taken += 1
                if taken % FLUSH_EVERY == 0:
                    await track.flush()
    await track.flush()
    await track.tell_progress()


class SeaTable(TableStore):
    """The sea binding's store (streams/bindings/sea.py) over a stand-in table, flushed after
    each frame: each key it changed once, the value's JSON (orjson) or a tombstone, on the
    frame's partition, as the binding's flush writes them."""

    def __init__(self, table: Any, wire: Wire) -> None:
        super().__init__(SimpleNamespace(data={}))
        self.topic = table.changelog_topic.get_topic_name()
        self.wire = wire

    def commit(self, partition: int) -> None:
        """The frame's changes onto the changelog."""
        changes = sorted(self.take())
        self.written(changes)
        for key, raw in changes:
            self.wire.append(self.topic, partition, key, raw)


async def _sea(
    settings: Settings,
    wiring: Any,
    topics: dict[str, Any],
    bulk: BulkProducer,
    sea: SeaContext,
    wire: Wire,
) -> None:
    """The sea stage over its topic, a frame at a time, as its binding runs it: what a frame
    forwards sent on behind the partition's progress, its events onto voyage-events, refused
    records dead-lettered, then its state written; and the timer's announcements of every
    partition's watermark (level 2), until nothing is left to read."""
    table = SeaTable(wiring.sea, wire)
    topic = settings.topic("sea")
    reader = Reader(wire, topic)
    count = settings.partitions
    watermarks: dict[int, float | None] = {}
    announced: dict[int, float | None] = {}
    for _ in range(100):
        if not reader.pending():
            for partition, watermark in sorted(watermarks.items()):
                if watermark is not None and announced.get(partition) != watermark:
                    announced[partition] = watermark
                    told = Progress(SEA_LEVEL, partition, count, watermark)
                    await send_sea(bulk, topic, [], told, everywhere=True)
            if not reader.pending():
                return
        for partition in range(count):
            for sent in reader.poll(partition):
                records, progress = parse_frame(sent.value or b"")
                batch = sea_batch(table, records, sea.rules, sea.zones, partition, progress)
                if batch.forward:
                    mine = Progress(SEA_LEVEL, partition, count, batch.watermark)
                    await send_sea(bulk, topic, batch.forward, mine)
                watermarks[partition] = batch.watermark
                await send_events(bulk, topics["voyage-events"], batch.events)
                for record, reason, detail in batch.refused:
                    if reason == "internal_error":
                        raise RuntimeError(f"the sea stage failed on {record}: {detail}")
                    raw = orjson.dumps(record)
                    event = event_of(sent)
                    dead = topics["dead-letters"]
                    await send_dead_letter(dead, event, reason, detail, raw, "sea")  # type: ignore[arg-type]
                table.commit(partition)
    raise RuntimeError("the sea stage kept sending itself frames")


async def _message_stages(
    settings: Settings, wiring: Any, topics: dict[str, Any], ctx: Any, wire: Wire
) -> None:
    """Voyage, alert and cap, one message at a time, in the graph's order."""
    steps = message_stages(ctx)
    tables = {"voyages": wiring.voyages, "caps": wiring.caps}
    for spec in GRAPH:
        if spec.batched:
            continue
        table = TableStandIn(tables[spec.state], wire) if spec.state else None
        binding = MessageBinding(spec.name, steps[spec.name], table, topics)
        reader = Reader(wire, settings.topic(spec.reads))
        for partition in range(settings.partitions):
            for sent in reader.poll(partition):
                if table is not None:
                    table.partition = partition
                await binding.on_message(event_of(sent))  # type: ignore[arg-type]


async def _triage(settings: Settings, wire: Wire) -> None:
    """Analysts' actions on two alerts, written by the triage service."""
    service = TriageService(settings, AlertFeed())
    topic = settings.topic(TRIAGE_TOPIC)

    async def send(key: bytes, value: bytes) -> tuple[int, int]:
        sent = wire.append(topic, wire.partition_of(key), key, value, SENT_AT_MS)
        service.take(sent.offset, key, value)  # read back, as the service's follower would
        await service.applied(sent.partition, sent.offset + 1)
        return sent.partition, sent.offset

    service.attach(send)
    alerts = [orjson.loads(s.value or b"{}") for s in wire.records(settings.topic("alerts"))]
    chosen = sorted({a["alert_id"] for a in alerts if a["kind"] == "sanctioned_voyage"})[:1]
    chosen += sorted({a["alert_id"] for a in alerts if a["kind"] == "sts_encounter"})[:1]
    actions = [
        (chosen[0], {"action": "acknowledge"}, "ana"),
        (chosen[0], {"action": "note", "text": "Loaded at the berth."}, "ana"),
        (chosen[1], {"action": "assign", "assignee": "bo"}, "ana"),
        (chosen[1], {"action": "false_positive"}, "bo"),
        (chosen[1], {"action": "reopen"}, "ana"),
    ]
    for minute, (alert_id, body, who) in enumerate(actions):
        at = f"2024-04-02T09:{minute:02d}:00.000Z"
        await service.write(service.board.act(alert_id, parse_action(body), who, at))


# ---------------------------------------------------------------- what the fixtures keep


def _json(value: bytes | None) -> Any:
    return None if value is None else orjson.loads(value)


def _pick(records: list[Sent], label: Callable[[Sent], Any], per: int, most: int) -> list[Sent]:
    """Up to `per` records of each label (in order), at most `most` in all."""
    seen: Counter[Any] = Counter()
    out = []
    for sent in records:
        mark = label(sent)
        if mark is None or seen[mark] >= per:
            continue
        seen[mark] += 1
        out.append(sent)
        if len(out) >= most:
            break
    return out


def _small(records: list[Sent]) -> list[Sent]:
    return [s for s in records if s.value is not None and len(s.value) <= MAX_FRAME_BYTES]


def _frame_label(sent: Sent) -> Any:
    found = FACTS.frame_facts(sent.value or b"")
    progress = found["progress"]
    shape = tuple(sorted(found["kinds"]))
    return (shape, None if progress is None else (progress["l"], progress["i"]))


def _kind(sent: Sent) -> Any:
    return _json(sent.value).get("kind")


def _tracks_label(sent: Sent) -> Any:
    found = FACTS.tracks_facts(sent.value or b"")
    sea = found["sea"]
    shape = (bool(found["fences"]), bool(found["pending"]), sea is not None)
    return (*shape, bool(sea and sea["loiter"]), bool(found["gap"]), bool(found["suspect"]))


def _voyages_label(sent: Sent) -> Any:
    value = _json(sent.value)
    calls = len(value.get("calls", []))
    return (bool(value.get("open")), min(calls, 3), value.get("last_gap") is None)


def _sea_label(sent: Sent) -> Any:
    kind = FACTS.sea_kind((sent.key or b"").decode())
    return (kind, "deleted") if sent.value is None else kind


def _sea_values(newest_first: list[Sent]) -> list[Sent]:
    """Two values of each kind of key (the newest small ones, else the smallest), and two
    tombstones."""
    out = _pick([x for x in newest_first if x.value is None], _sea_label, 1, 2)
    for kind in ("clock", "cell", "tick", "pair", "watched~vessels", "watched~v", "watched~dark"):
        values = [x for x in newest_first if x.value is not None and _sea_label(x) == kind]
        small = [x for x in values if len(x.value or b"") <= MAX_FRAME_BYTES // 2]
        out += small[:2] or sorted(values, key=lambda x: len(x.value or b""))[:1]
    return out


def _unique(records: Iterable[Sent]) -> list[Sent]:
    """Each record once, in partition and offset order."""
    found = {(s.partition, s.offset): s for s in records}
    return [found[k] for k in sorted(found)]


def choose(run: Run) -> dict[str, tuple[str, list[Sent]]]:
    """The records each fixture file keeps, by file: (topic or table, records). A changelog's
    records are any of its values, not only the newest: an upgrade may stop a worker at any."""
    wire, s = run.wire, run.settings

    def ours(topic: str) -> list[Sent]:
        records = wire.records(topic)
        return [x for x in records if (x.topic, x.partition, x.offset) not in run.foreign]

    def newest_first(topic: str) -> list[Sent]:
        return sorted(ours(topic), key=lambda x: (-x.offset, x.partition))

    def voyage_event_label(sent: Sent) -> Any:
        value = _json(sent.value)
        return (value.get("kind"), value.get("departed_at") is None, value.get("mmsi") is None)

    def dead_letter_label(sent: Sent) -> Any:
        value = _json(sent.value)
        return (value["stage"], value["reason"])

    raw = ours(s.topic("ais-raw"))
    # The triaged alerts, and their vessels' first static report (the history has them).
    triaged = {_json(x.value)["alert_id"] for x in ours(s.topic("alert-state"))}
    alerts = ours(s.topic("alerts"))
    their = [x for x in alerts if _json(x.value)["alert_id"] in triaged]
    vessels = {x.key for x in their}
    statics = ours(s.topic("statics"))
    picked: dict[str, list[Sent]] = {
        # CSV rows and JSON lines by what they start with; the feed's lines (with headers),
        # the bad lines and a few sightings all.
        "ais-raw": _unique(
            _pick(raw, lambda x: x.value[:12] if x.value else None, 3, 12)
            + [x for x in raw if x.headers or x.value in BAD_LINES]
            + [x for x in raw if x.value and x.value.startswith(b'{"kind":"sighting"')][:2]
        ),
        "positions": _pick(ours(s.topic("positions")), lambda x: x.key, 1, 12),
        "statics": _pick(statics, lambda x: x.key, 1, 8)
        + _pick([x for x in statics if x.key in vessels], lambda x: x.key, 1, 4),
        "nearby": _pick(ours(s.topic("nearby")), lambda x: x.key, 1, 6),
        "sightings": ours(s.topic("sightings"))[:6],
        "history": sorted(ours(s.topic("history")), key=lambda x: len(x.value or b""))[:2],
        "frames": _pick(_small(ours(s.topic("frames"))), _frame_label, 1, 10),
        "geofence-events": _pick(ours(s.topic("geofence-events")), _kind, 2, 20),
        "voyage-events": _pick(ours(s.topic("voyage-events")), voyage_event_label, 2, 30),
        "deliveries": ours(s.topic("deliveries"))[:6],
        "alerts": _pick(alerts, _kind, 2, 20) + _pick(their, lambda x: x.key, 1, 4),
        "dead-letters": _pick(ours(s.topic("dead-letters")), dead_letter_label, 1, 10),
        "sea": _pick(_small(ours(s.topic("sea"))), _frame_label, 1, 10),
        "alert-state": ours(s.topic("alert-state")),
        "feed-status": ours(s.topic("feed-status")),
    }
    tables: dict[str, list[Sent]] = {
        "tracks": _pick(newest_first(changelog(s, "tracks")), _tracks_label, 1, 14),
        "voyages": _pick(newest_first(changelog(s, "voyages")), _voyages_label, 1, 10),
        "caps": ours(changelog(s, "caps"))[:6],
        "sea": _sea_values(newest_first(changelog(s, "sea"))),
    }
    out = {f"topics/{name}.jsonl": (name, _unique(records)) for name, records in picked.items()}
    out |= {f"changelogs/{name}.jsonl": (name, _unique(rs)) for name, rs in tables.items()}
    for path, (name, records) in out.items():
        if not records:
            raise RuntimeError(f"nothing was written for {name} ({path}): the run is incomplete")
    return out


def expect(path: str, name: str, sent: Sent) -> dict[str, Any] | None:
    """Facts this release's readers find in a record, for later releases' readers to find
    (tests/unit/upgrade/facts.py)."""
    value = sent.value
    if value is None:
        return None
    if path.startswith("topics/") and name in ("frames", "history", "sea"):
        return FACTS.frame_facts(value)
    if path == "topics/alerts.jsonl":
        return FACTS.alert_facts(value)
    if path == "changelogs/tracks.jsonl":
        return FACTS.tracks_facts(value)
    if path == "changelogs/voyages.jsonl":
        return FACTS.voyages_facts(_json(value))
    if path == "changelogs/caps.jsonl":
        return FACTS.caps_facts(_json(value))
    if path == "changelogs/sea.jsonl":
        return FACTS.sea_facts((sent.key or b"").decode(), value)
    return None


def _bytes_field(name: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {name: None}
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_b64": base64.b64encode(data).decode("ascii")}


def line_of(path: str, name: str, sent: Sent) -> bytes:
    """One fixture line: where the record was, its bytes, and what it holds."""
    line: dict[str, Any] = {"partition": sent.partition, "offset": sent.offset}
    line["timestamp"] = sent.timestamp
    line["headers"] = [{"name": h, **_bytes_field("value", v)} for h, v in sent.headers]
    line |= _bytes_field("key", sent.key)
    line |= _bytes_field("value", sent.value)
    facts = expect(path, name, sent)
    if facts is not None:
        line["expect"] = facts
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def ingest_facts(records: list[Sent], settings: Settings) -> dict[str, Any]:
    """What ingest makes of the kept raw records: a fresh stage (a new worker's) over each
    partition's records as one poll, a record without a Kafka timestamp stamped 0 (the tests
    read them so)."""
    index, _ = build_core(settings.geofences_dir, settings)
    areas = MapAreas(index)
    stage = IngestStage(
        settings.topic("ais-raw"),
        Routing(lambda m: 0, lambda lat, lon: areas.area_of(lat, lon) is not None),
    )
    counts: Counter[str] = Counter()
    for partition in sorted({s.partition for s in records}):
        messages = [
            _Message(s.topic, s.partition, s.offset, s.key, s.value, s.timestamp or 0)
            for s in records
            if s.partition == partition
        ]
        routed = stage.batch(partition, messages)
        routed.dead_letters += stage.finish(partition).dead_letters
        counts["positions"] += len(routed.positions)
        counts["nearby"] += len(routed.nearby)
        counts["statics"] += len(routed.statics)
        counts["sightings"] += len(routed.sightings)
        counts["dead_letters"] += len(routed.dead_letters)
    return dict(sorted(counts.items()))


def write_history(run: Run, kept: dict[str, tuple[str, list[Sent]]], path: Path) -> dict[str, Any]:
    """The history sink's database of kept history-topic records (the position frames, and
    what concerns the triaged alerts' vessels or no vessel); what it holds."""
    settings = run.settings
    triaged = {_json(s.value)["alert_id"] for s in kept["topics/alert-state.jsonl"][1]}
    alerts = [_json(s.value) for s in kept["topics/alerts.jsonl"][1]]
    vessels = {str(a["mmsi"]).encode() for a in alerts if a["alert_id"] in triaged}
    polled: dict[TopicPartition, list[Any]] = defaultdict(list)
    for name in HISTORY_TOPICS:
        for sent in kept[f"topics/{name}.jsonl"][1]:
            if name == "history" or sent.key in vessels or _json(sent.value).get("mmsi") is None:
                polled[TopicPartition(sent.topic, sent.partition)].append(event_of(sent).message)
    # A smaller page than SQLite's 4 KiB default, set before the store makes its tables: the
    # file stays some KB. The store sets no page size; nothing else differs.
    db = sqlite3.connect(path)
    db.execute("PRAGMA page_size = 1024")
    db.execute("VACUUM")  # an empty database with that page size
    db.close()
    store = HistoryStore(path)
    # As the sink does: a poll parsed into one batch, written in one transaction.
    batch = Batch()
    HistorySink(settings)._parse(batch, dict(polled), len(settings.namespace) + 1)
    store.write(batch)
    facts: dict[str, Any] = {
        "offsets": [[t, p, o] for (t, p), o in sorted(store.offsets().items())],
        "fixes": store.db.execute("SELECT count(*) FROM fixes").fetchone()[0],
        "events": store.db.execute("SELECT count(*) FROM events").fetchone()[0],
        "alerts": sorted(r[0] for r in store.db.execute("SELECT alert_id FROM alerts")),
        "vessels": {},
    }
    for (mmsi,) in store.db.execute("SELECT mmsi FROM vessels ORDER BY mmsi").fetchall():
        history = store.vessel(mmsi)
        assert history is not None
        facts["vessels"][str(mmsi)] = {
            "name": history.identity.get("name"),
            "fixes": len(history.track),
            "timeline": len(history.timeline),
        }
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return facts


# ---------------------------------------------------------------- the directory


def release_of(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The version in pyproject.toml."""
    version: str = tomllib.loads(pyproject.read_text())["project"]["version"]
    return version


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record(release: str, target: Path) -> dict[str, Any]:
    """Run the release and write its fixtures into `target` (a new directory)."""
    with tempfile.TemporaryDirectory(prefix="upgrade-fixtures-") as tmp:
        work = Path(tmp)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            namespace=NAMESPACE,
            partitions=PARTITIONS,
            data_dir=work / "data",
            geofences_dir=BUNDLED_GEOFENCES,
        )
        run = asyncio.run(run_release(settings, work))
        kept = choose(run)
        target.mkdir(parents=True)
        files: dict[str, Any] = {}
        for path, (name, records) in sorted(kept.items()):
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"".join(line_of(path, name, sent) for sent in records))
            kind = "topic" if path.startswith("topics/") else "table"
            files[path] = {kind: name, "records": len(records)}
        history = target / "history" / "history.sqlite3"
        history.parent.mkdir()
        history_facts = write_history(run, kept, history)
        files["history/history.sqlite3"] = {"database": "history"}
        for path, entry in files.items():
            entry["bytes"] = (target / path).stat().st_size
            entry["sha256"] = _digest(target / path)
        manifest = {
            "release": release,
            "recorded_by": "scripts/record_upgrade_fixtures.py",
            "namespace": settings.namespace,
            "partitions": settings.partitions,
            "inputs": [str(p.relative_to(ROOT)) for p in INPUTS]
            + ["bad lines and a live feed's NMEA, made by the script"],
            "formats": {
                "tracks": TRACKS_FORMAT,
                "voyages": VOYAGES_FORMAT,
                "caps": CAPS_FORMAT,
                "history": HISTORY_FORMAT,
            },
            "files": files,
            "facts": {
                "ais-raw": ingest_facts(kept["topics/ais-raw.jsonl"][1], settings),
                "history": history_facts,
            },
        }
        text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
        (target / "manifest.json").write_text(text)
        return manifest


def main(argv: list[str] | None = None) -> int:
    """Write `tests/data/upgrade/<release>/`; refuse to write over one unless --replace."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", default=release_of(), help="default: pyproject's version")
    parser.add_argument("--out", type=Path, default=OUT, help="default: tests/data/upgrade")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="write over the release's directory: only while that release is not yet out",
    )
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("SHIPWATCH_")]:
        del os.environ[name]  # the settings are the defaults, whatever this shell has
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger().setLevel(logging.INFO)
    for noisy in ("faust", "mode", "aiokafka", "streams", "shipwatch"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    target = args.out / args.release
    if target.exists() and not args.replace:
        print(
            f"{target} exists: a released version's fixtures are never written over; bump the "
            "version for a new release (or --replace while it is not yet released)",
            file=sys.stderr,
        )
        return 2
    staging = args.out / f".{args.release}.new"
    shutil.rmtree(staging, ignore_errors=True)
    manifest = record(args.release, staging)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    total = sum(f["bytes"] for f in manifest["files"].values())
    total += (target / "manifest.json").stat().st_size
    for path, entry in sorted(manifest["files"].items()):
        print(f"{entry['bytes']:>8} B  {entry.get('records', '-'):>3}  {path}")
    print(f"{total:>8} B in all, in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
