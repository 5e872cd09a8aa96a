"""The one-message agents (voyage, alert, cap): `guarded` around `MessageBinding`, with
recording stand-ins for Faust's stream, topics and tables, and the real stages.

What matters: a message whose handler raises is dead-lettered with its reason and source and
the stream goes on; a send the broker refused stops the worker instead (dead-lettering it would
let the offset be committed without the output); a message's sends are acknowledged before its
state is written; and bound this way the stages publish what `detect` publishes.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaTimeoutError

from shipwatch.pipeline.graph import message_stages
from streams.bindings.agents import MessageBinding
from streams.bindings.guard import guarded
from streams.errors import KafkaUnavailable
from tests.fixtures.timeline import loading_then_delivery


class Log(list[str]):
    """What happened, in order."""


@dataclass
class Topic:
    """A Faust topic's `send`: the broker acknowledges a little later (or fails the send)."""

    name: str
    log: Log
    fails: BaseException | None = None
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)

    async def send(self, key: bytes | None = None, value: bytes = b"") -> asyncio.Future[None]:
        self.sent.append((key, value))
        n = len(self.sent)
        self.log.append(f"send {self.name} {n}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def answer() -> None:
            if self.fails is None:
                self.log.append(f"acked {self.name} {n}")
                future.set_result(None)
            else:
                self.log.append(f"failed {self.name} {n}")
                future.set_exception(self.fails)

        asyncio.get_running_loop().call_later(0.002, answer)
        return future

    def records(self) -> list[Any]:
        return [orjson.loads(value) for _, value in self.sent]


class Table(dict[bytes, Any]):
    """A Faust table as the bindings use it (JSON values through Faust), writes noted."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log

    def __setitem__(self, key: bytes, value: Any) -> None:
        self.log.append(f"write {key.decode()}")
        super().__setitem__(key, value)


@dataclass
class Message:
    topic: str
    partition: int
    offset: int


@dataclass
class Event:
    key: bytes | None
    value: Any
    message: Message


class Stream:
    """A Faust stream's `events()`; notes each event as it is handed out."""

    def __init__(self, log: Log, events: list[Event]) -> None:
        self.log, self._events = log, events

    async def events(self) -> Any:
        for event in self._events:
            self.log.append(f"take {event.message.topic}@{event.message.offset}")
            yield event


def events_of(topic: str, values: list[bytes], keys: list[bytes | None]) -> list[Event]:
    return [
        Event(key, value, Message(topic, 2, offset))
        for offset, (key, value) in enumerate(zip(keys, values, strict=True))
    ]


class Crash:
    def __init__(self) -> None:
        self.reasons: list[BaseException] = []

    async def __call__(self, reason: BaseException) -> None:
        self.reasons.append(reason)


# ---------------------------------------------------------------- guarded


def test_a_message_that_raises_is_dead_lettered_with_its_reason_and_the_next_goes_on() -> None:
    log = Log()
    dead = Topic("dead-letters", log)
    crash = Crash()
    handled: list[int] = []
    stream = Stream(
        log,
        [
            Event(b"445123456", b'{"kind":"enter"}', Message("ns.geofence-events", 2, 40)),
            Event(b"445123456", b"boom", Message("ns.geofence-events", 2, 41)),
            Event(b"273456789", {"already": "parsed"}, Message("ns.geofence-events", 2, 42)),
            Event(b"273456789", b'{"kind":"exit"}', Message("ns.geofence-events", 2, 43)),
        ],
    )

    async def handle(event: Event) -> None:
        if event.value == b"boom":
            raise ValueError("no vessel in it")
        if not isinstance(event.value, bytes):
            raise TypeError("not bytes")
        handled.append(event.message.offset)

    asyncio.run(guarded("voyage", stream, handle, dead, crash))
    assert handled == [40, 43]  # the stream went on past both
    assert crash.reasons == []
    (boom_key, _), (parsed_key, _) = dead.sent
    boom, parsed = dead.records()
    assert boom_key == b"445123456" and parsed_key == b"273456789"
    assert boom["reason"] == "internal_error"
    assert boom["stage"] == "voyage"
    assert boom["detail"] == "ValueError: no vessel in it"
    assert boom["source"] == {"topic": "ns.geofence-events", "partition": 2, "offset": 41}
    assert base64.b64decode(boom["raw_b64"]) == b"boom"
    assert parsed["detail"] == "TypeError: not bytes"
    assert parsed["source"]["offset"] == 42
    assert parsed["raw_b64"] == ""  # a value Faust already parsed: its bytes are not at hand


@pytest.mark.parametrize(
    "refused",
    [KafkaTimeoutError("no answer from the broker"), KafkaUnavailable("the producer is down")],
    ids=["kafka-error", "kafka-unavailable"],
)
def test_a_send_the_broker_refused_stops_the_worker_and_is_not_dead_lettered(
    refused: Exception,
) -> None:
    log = Log()
    dead = Topic("dead-letters", log)
    crash = Crash()
    handled: list[int] = []
    stream = Stream(log, events_of("ns.voyage-events", [b"{}", b"{}"], [b"1", b"2"]))

    async def handle(event: Event) -> None:
        if event.message.offset == 0:
            raise refused
        handled.append(event.message.offset)

    with pytest.raises(type(refused)):
        asyncio.run(guarded("alert", stream, handle, dead, crash))
    assert crash.reasons == [refused]
    assert dead.sent == []  # its offset must not be committed as if it were handled
    assert handled == []  # and the stream stops there: the restarted worker reads it again


# ---------------------------------------------------------------- the stages, bound


@dataclass
class Agents:
    """The voyage and alert agents as `register` wires them, over recording stand-ins."""

    log: Log
    topics: dict[str, Topic]
    voyages: Table
    crash: Crash
    ctx: Any  # the rule context

    def agent(self, stage: str, table: Any) -> Any:
        steps = message_stages(self.ctx)
        bound = MessageBinding(stage, steps[stage], table, self.topics)  # type: ignore[arg-type]
        return functools.partial(
            guarded,
            stage,
            handle=bound.on_message,
            dead_letters=self.topics["dead-letters"],
            crash=self.crash,
        )


def agents(core: Any, fails: BaseException | None = None) -> Agents:
    log = Log()
    names = ("voyage-events", "alerts", "deliveries", "dead-letters")
    topics = {name: Topic(name, log) for name in names}
    topics["voyage-events"].fails = fails
    return Agents(log, topics, Table(log), Crash(), core[1])


def fence_events(run_detector: Any) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """The story's fence events, and everything `detect` makes of it."""
    detected = run_detector(loading_then_delivery())
    return [r for s, r in detected if s == "geofence-events"], detected


def fence_stream(log: Log, fences: list[dict[str, Any]]) -> Stream:
    """The fence events as the voyage agent reads them: keyed by vessel."""
    values = [orjson.dumps(e) for e in fences]
    return Stream(log, events_of("ns.geofence-events", values, [b"445123456"] * len(values)))


def test_bound_one_message_at_a_time_the_stages_publish_what_detect_publishes(
    core: Any, run_detector: Any
) -> None:
    fences, detected = fence_events(run_detector)
    a = agents(core)
    values = [orjson.dumps(e) for e in fences]
    values.insert(2, b'{"kind": "enter", "mmsi": ')  # cut short: dead-lettered, the rest goes on
    keys = [b"445123456"] * len(values)

    async def scenario() -> None:
        voyage = a.agent("voyage", a.voyages)
        await voyage(Stream(a.log, events_of("ns.geofence-events", values, keys)))
        published = a.topics["voyage-events"].sent
        voyage_events = events_of(
            "ns.voyage-events", [v for _, v in published], [k for k, _ in published]
        )
        await a.agent("alert", None)(Stream(a.log, voyage_events))

    asyncio.run(scenario())
    assert a.crash.reasons == []
    expected = [r for s, r in detected if s == "voyage-events"]
    assert a.topics["voyage-events"].records() == expected
    assert [k for k, _ in a.topics["voyage-events"].sent] == [b"445123456"] * len(expected)
    alert_ids = [r["alert_id"] for r in a.topics["alerts"].records()]
    assert alert_ids == [r["alert_id"] for s, r in detected if s == "alerts"]
    assert alert_ids  # the story is a sanctioned voyage
    (letter,) = a.topics["dead-letters"].records()
    assert (letter["reason"], letter["stage"]) == ("internal_error", "voyage")
    assert letter["source"] == {"topic": "ns.geofence-events", "partition": 2, "offset": 2}
    assert "JSONDecodeError" in letter["detail"]
    assert list(a.voyages) == [b"445123456"]  # the vessel's voyage state, kept between messages


def test_a_messages_state_is_written_only_after_its_sends_are_acknowledged(
    core: Any, run_detector: Any
) -> None:
    fences, _ = fence_events(run_detector)
    a = agents(core)

    async def scenario() -> None:
        await a.agent("voyage", a.voyages)(fence_stream(a.log, fences))

    asyncio.run(scenario())
    takes = [i for i, e in enumerate(a.log) if e.startswith("take")] + [len(a.log)]
    messages = [a.log[start:end] for start, end in itertools.pairwise(takes)]
    assert len(messages) == len(fences)
    with_sends = [m for m in messages if any(e.startswith("send") for e in m)]
    assert with_sends and all(any(e.startswith("write") for e in m) for m in with_sends)
    for m in messages:
        # Each message's sends all acknowledged before its state is written, and before the
        # next message is taken (after which Faust may commit this one's offset).
        sends = [e.removeprefix("send ") for e in m if e.startswith("send")]
        acked = [e.removeprefix("acked ") for e in m if e.startswith("acked")]
        assert sorted(acked) == sorted(sends), m
        writes = [i for i, e in enumerate(m) if e.startswith("write")]
        answered = [i for i, e in enumerate(m) if e.startswith(("send", "acked"))]
        assert not writes or not answered or max(answered) < min(writes), m


def test_a_send_that_fails_stops_the_worker_before_the_state_it_implies_is_written(
    core: Any, run_detector: Any
) -> None:
    fences, _ = fence_events(run_detector)
    a = agents(core, fails=KafkaTimeoutError("no answer from the broker"))

    async def scenario() -> None:
        await a.agent("voyage", a.voyages)(fence_stream(a.log, fences))

    with pytest.raises(KafkaTimeoutError):
        asyncio.run(scenario())
    assert len(a.crash.reasons) == 1
    assert a.topics["dead-letters"].sent == []
    first_send = next(i for i, e in enumerate(a.log) if e.startswith("send voyage-events"))
    failed_at = a.log[first_send].split()[-1]
    # The message whose event was refused wrote no state, and no later message was taken.
    after = a.log[first_send:]
    assert not any(e.startswith(("write", "take")) for e in after), after
    assert f"failed voyage-events {failed_at}" in after
