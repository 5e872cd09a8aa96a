"""The track stage's flush order, with recording stand-ins for Faust and the producer.

What matters is the order: fence events acknowledged, then each changed state written once,
then those writes acknowledged, and only then the frames acknowledged (so Faust may commit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from shipwatch.ais.json_form import as_json
from shipwatch.pipeline.partitioner import key_of
from shipwatch.pipeline.vessel_state import VesselState
from streams.bindings.track import TrackBinding
from tests.fixtures.timeline import loading_then_delivery

CHANGELOG = "ns-tracks-changelog"


class Log(list[str]):
    """What happened, in order."""

    def later(self, what: str, delay: float = 0.01) -> asyncio.Future[None]:
        """A future the broker acknowledges a little later, noted when it does."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done() -> None:
            self.append(what)
            future.set_result(None)

        asyncio.get_running_loop().call_later(delay, done)
        return future


@dataclass
class Topic:
    name: str
    log: Log
    pause: float = 0.0  # as a producer whose buffer is full makes a send wait

    async def send(self, key: bytes | None, value: bytes) -> asyncio.Future[None]:
        await asyncio.sleep(self.pause)
        self.log.append(f"send {self.name}")
        return self.log.later(f"acked {self.name}")

    def get_topic_name(self) -> str:
        return self.name


@dataclass
class Table:
    changelog_topic: Topic
    data: dict[bytes, bytes] = field(default_factory=dict)


class Bulk:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.written: list[tuple[int, bytes | None, bytes]] = []
        self.ready = asyncio.Event()
        self.ready.set()

    async def send_keyed(self, topic: str, records: Any) -> list[asyncio.Future[None]]:
        self.written += [(mmsi % 6, key_of(mmsi), value) for mmsi, value in records]
        self.log.append(f"send {topic}")
        return [self.log.later(f"acked {topic}")]


@dataclass
class Message:
    offset: int
    generation_id: int = 1
    topic: str = "ns.frames"
    partition: int = 0


@dataclass
class Event:
    value: bytes
    message: Message
    key: bytes | None = None


class Stream:
    def __init__(self, log: Log) -> None:
        self.log = log

    async def ack(self, event: Event) -> None:
        self.log.append(f"ack frame {event.message.offset}")


@dataclass
class App:
    consumer_generation_id: int = 1
    crashed: BaseException | None = None

    async def crash(self, reason: BaseException) -> None:
        self.crashed = reason


def binding(core: Any) -> tuple[TrackBinding, Log, Bulk, Table]:
    """A track binding over recording stand-ins."""
    log = Log()
    table = Table(Topic(CHANGELOG, log))
    topics = {name: Topic(name, log) for name in ("geofence-events", "dead-letters")}
    bulk = Bulk(log)
    track = TrackBinding(App(), topics, table, core[0], bulk)  # type: ignore[arg-type]
    track.stream = Stream(log)
    return track, log, bulk, table


def frame(offset: int, positions: list[Any]) -> Event:
    """A frame event carrying these positions."""
    records = b",".join(orjson.dumps(as_json(p)) for p in positions)
    return Event(b'{"records":[' + records + b"]}", Message(offset))


def test_events_then_states_then_frames(core: Any) -> None:
    story = loading_then_delivery()

    async def scenario() -> tuple[Log, Bulk, Table]:
        track, log, bulk, table = binding(core)
        await track.apply(frame(0, story[:10]))  # sails into Vostochny: an enter event
        await track.apply(frame(1, story[10:12]))
        await track.flush()
        return log, bulk, table

    log, bulk, table = asyncio.run(scenario())
    sends = [entry for entry in log if entry.startswith("send geofence-events")]
    assert sends, "the story enters a fence"
    last_event_acked = max(i for i, e in enumerate(log) if e == "acked geofence-events")
    assert log.index(f"send {CHANGELOG}") > last_event_acked
    assert log.index(f"acked {CHANGELOG}") < log.index("ack frame 0") < log.index("ack frame 1")
    assert [key for _, key, _ in bulk.written] == [b"445123456"]  # one write, not one per fix
    stored = VesselState.from_json(table.data[b"445123456"])
    assert stored.visits  # the state the frames made
    assert [p for p, _, _ in bulk.written] == [445123456 % 6]


def test_a_rebalance_waits_for_the_flush_under_way_and_drops_the_rest(core: Any) -> None:
    story = loading_then_delivery()

    async def scenario() -> tuple[Log, TrackBinding]:
        track, log, _, _ = binding(core)
        await track.apply(frame(0, story[:3]))
        flushing = asyncio.create_task(track.flush())
        await asyncio.sleep(0.005)  # the flush waits for the broker
        await track.on_revoked()
        log.append("revoked")
        await flushing
        await track.apply(frame(1, story[3:6]))  # applied, then the partitions move again
        await track.on_revoked()
        await track.flush()
        return log, track

    log, track = asyncio.run(scenario())
    assert log.index(f"acked {CHANGELOG}") < log.index("ack frame 0") < log.index("revoked")
    assert "ack frame 1" not in log  # dropped: its next owner reads it again
    assert track.frames == [] and track.states.states == {}


def test_a_flush_never_takes_a_frame_whose_events_are_still_being_sent(core: Any) -> None:
    story = loading_then_delivery()

    async def scenario() -> Log:
        track, log, _, _ = binding(core)
        track.topics["geofence-events"].pause = 0.02
        applying = asyncio.create_task(track.apply(frame(0, story[:12])))
        await asyncio.sleep(0.001)  # the frame is applied, its first send is waiting
        await track.flush()  # as the timer would
        await applying
        await track.flush()
        return log

    log = asyncio.run(scenario())
    last_send = max(i for i, e in enumerate(log) if e == "send geofence-events")
    assert last_send < log.index(f"send {CHANGELOG}") < log.index("ack frame 0")


def test_a_frame_that_is_not_json_is_dead_lettered_and_the_next_goes_on(core: Any) -> None:
    async def scenario() -> Log:
        track, log, _, _ = binding(core)
        await track.apply(Event(b"{not json", Message(0)))
        await track.apply(frame(1, loading_then_delivery()[:2]))
        await track.flush()
        return log

    log = asyncio.run(scenario())
    assert "send dead-letters" in log
    assert log[-2:] == ["ack frame 0", "ack frame 1"]  # the bad frame's loss is on record


class BrokerGone(Bulk):
    async def send_keyed(self, topic: str, records: Any) -> list[asyncio.Future[None]]:
        raise ConnectionError("the broker is gone")


def test_a_flush_that_cannot_write_stops_the_worker_and_acknowledges_nothing(core: Any) -> None:
    async def scenario() -> tuple[Log, TrackBinding]:
        track, log, _, _ = binding(core)
        track.bulk = BrokerGone(log)
        await track.apply(frame(0, loading_then_delivery()[:3]))
        with pytest.raises(ConnectionError):
            await track.flush()
        return log, track

    log, track = asyncio.run(scenario())
    assert isinstance(track.app.crashed, ConnectionError)
    assert not any(entry.startswith("ack frame") for entry in log)
