"""The ingest binding's loop over a scripted consumer and a recording producer, no broker.

What matters: a fetch's offsets are committed only once everything it sent is acknowledged,
in fetch order, and never past a send that failed; a revocation commits what is in flight
before the partitions go; and the frames partitions hear each raw partition's event-time
progress after the records it covers, and its idleness only when it is caught up.

The consumer is aiokafka's as ingest uses it (getmany, commit, assignment, positions, end
offsets, the rebalance listener); the producer is the bulk producer's interface. The decoding
and routing are the real ingest stage's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import OffsetAndMetadata

from shipwatch.settings import Settings
from streams.bindings import ingest as binding

NS = "ns"
RAW = f"{NS}.ais-raw"
TP0, TP1 = TopicPartition(RAW, 0), TopicPartition(RAW, 1)
FRAMES = 2  # partitions of `ns.frames`; a vessel's is its MMSI mod 2 here
T0 = datetime(2024, 3, 7, tzinfo=UTC)
Batches = dict[TopicPartition, list[Any]]


class Finished(Exception):
    """The script is over: ends the consumer loop from inside `getmany`."""


# ---------------------------------------------------------------- the producer


class Partitioner:
    """The frames topic's partitioner, as `BulkProducer.partitioner` gives it."""

    partitions = FRAMES

    def __call__(self, mmsi: int) -> int:
        return mmsi % FRAMES


@dataclass
class Sent:
    topic: str  # without the namespace
    partition: int | None  # None: keyed by MMSI, the producer picks
    key: bytes | None
    value: bytes
    fetch: str  # the fetch it was sent after, as the script names it


class Producer:
    """The bulk producer as ingest calls it: every record recorded in order, one future per
    call; with `hold`, the broker acknowledges (or fails) a fetch's sends when the test says."""

    def __init__(self, log: list[str], hold: bool = False) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.log, self.hold = log, hold
        self.sent: list[Sent] = []
        self.fetch = "-"
        self.unacked: dict[str, list[asyncio.Future[None]]] = {}

    async def partitioner(self, topic: str) -> Partitioner:
        assert topic == f"{NS}.frames"
        return Partitioner()

    async def partitions(self, topic: str) -> set[int]:
        assert topic == RAW
        return {0, 1}

    def _send(self, topic: str, rows: list[tuple[int | None, bytes | None, bytes]]) -> list[Any]:
        if not rows:
            return []
        short = topic.removeprefix(f"{NS}.")
        self.sent += [Sent(short, p, key, value, self.fetch) for p, key, value in rows]
        self.log.append(f"send {short} ({self.fetch})")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.hold:
            self.unacked.setdefault(self.fetch, []).append(future)
        else:
            future.set_result(None)
        return [future]

    async def send_keyed(self, topic: str, records: Any) -> list[Any]:
        return self._send(topic, [(None, str(mmsi).encode(), value) for mmsi, value in records])

    async def send_partitioned(self, topic: str, records: Any) -> list[Any]:
        return self._send(topic, list(records))

    async def send_one(self, topic: str, key: bytes | None, value: bytes) -> list[Any]:
        return self._send(topic, [(None, key, value)])

    def acknowledge(self, fetch: str, error: BaseException | None = None) -> None:
        """The broker answers every send made after that fetch."""
        for future in self.unacked.pop(fetch):
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        self.log.append(f"{'failed' if error else 'acked'} {fetch}")

    def frames(self, since: int = 0) -> list[tuple[int, list[Any], dict[str, Any] | None]]:
        """(frames partition, records, progress) of the frames sent, in order."""
        out = []
        for s in self.sent[since:]:
            if s.topic == "frames":
                assert s.partition is not None
                value = orjson.loads(s.value)
                out.append((s.partition, value["records"], value.get("progress")))
        return out


# ---------------------------------------------------------------- the consumer

Step = Callable[["Consumer"], Awaitable[Batches | None]]


class Consumer:
    """aiokafka's consumer as ingest uses it; each `getmany` runs the script's next step.

    A raw partition's position is the offset after the last message returned (as aiokafka
    keeps it), and its end offset that plus `backlog` messages written but not yet fetched."""

    def __init__(self, log: list[str], producer: Producer) -> None:
        self.log, self.producer = log, producer
        self.steps: deque[Step] = deque()
        self.assigned = {TP0, TP1}
        self.positions = {TP0: 0, TP1: 0}
        self.backlog: dict[TopicPartition, int] = {}
        self.commits: list[dict[int, int]] = []
        self.metadata: dict[int, str] = {}  # the last committed with each partition's offset
        self.options: dict[str, Any] = {}
        self.listener: Any = None
        self.subscribed: list[str] = []
        self.stopped = False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.subscribed, self.listener = topics, listener

    async def getmany(self, timeout_ms: int, max_records: int) -> Batches:
        if not self.steps:
            raise Finished
        batches = await self.steps.popleft()(self) or {}
        for tp, messages in batches.items():
            self.positions[tp] = messages[-1].offset + 1
        return batches

    async def commit(self, offsets: dict[TopicPartition, tuple[int, str]]) -> None:
        committed = {tp.partition: offset for tp, (offset, _) in offsets.items()}
        self.metadata.update({tp.partition: metadata for tp, (_, metadata) in offsets.items()})
        self.commits.append(committed)
        self.log.append(f"commit {committed}")

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.positions[tp] + self.backlog.get(tp, 0) for tp in tps}

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def rebalance(self, revoked: set[TopicPartition], assigned: set[TopicPartition]) -> None:
        """As aiokafka's coordinator runs the listener: an exception it raises is logged and
        the rebalance goes on; the positions of the partitions assigned start again from the
        committed offsets."""
        try:
            await self.listener.on_partitions_revoked(revoked)
        except Exception as exc:
            self.log.append(f"listener failed: {exc!r}")
        self.assigned = set(assigned)
        for tp in assigned:
            done = [c[tp.partition] for c in self.commits if tp.partition in c]
            self.positions[tp] = done[-1] if done else 0
        await self.listener.on_partitions_assigned(assigned)


class Admin:
    """aiokafka's admin client as ingest uses it: the group's committed offsets, as the
    scripted consumer committed them."""

    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer
        self.closed = False

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self.closed = True

    async def list_consumer_group_offsets(
        self, group_id: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        assert group_id == f"{NS}.ingest"
        out = {}
        for tp in partitions:
            done = [c[tp.partition] for c in self.consumer.commits if tp.partition in c]
            metadata = self.consumer.metadata.get(tp.partition, "")
            out[tp] = OffsetAndMetadata(done[-1] if done else -1, metadata)
        return out


def fetch(name: str, batches: Batches, backlog: dict[TopicPartition, int] | None = None) -> Step:
    """A step: `getmany` returns these messages (the sends they make belong to `name`)."""

    async def step(consumer: Consumer) -> Batches:
        consumer.log.append(f"fetch {name}")
        consumer.producer.fetch = name
        if backlog is not None:
            consumer.backlog.update(backlog)
        return batches

    return step


def quiet(seconds: float = 0.0) -> Step:
    """A step: a poll that finds nothing (after `seconds` of wall clock)."""

    async def step(consumer: Consumer) -> None:
        await asyncio.sleep(seconds)

    return step


class Areas:
    """The fences' map areas: north of 42° N here."""

    def area_of(self, lat: float, lon: float) -> str | None:
        return "vostochny" if lat > 42.0 else None


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ship(n: int) -> int:
    """Vessel n's MMSI (a ship station's: 9 digits); its frames partition is n mod 2."""
    return 273_000_000 + n


def key(n: int) -> bytes:
    return str(ship(n)).encode()


def position(n: int, minutes: float, lat: float = 40.0) -> bytes:
    """A normalized JSON position line of vessel n, as a raw message carries it."""
    return orjson.dumps(
        {
            "kind": "position",
            "mmsi": ship(n),
            "ts": at(minutes),
            "lat": lat,
            "lon": 132.0,
            "sog": 10.0,
            "cog": 90.0,
        }
    )


def raw(tp: TopicPartition, first: int, *values: bytes) -> list[ConsumerRecord[bytes, bytes]]:
    """Raw messages of a partition at consecutive offsets from `first`."""
    return [
        ConsumerRecord(
            topic=tp.topic,
            partition=tp.partition,
            offset=first + i,
            timestamp=int(T0.timestamp() * 1000),
            timestamp_type=0,
            key=None,
            value=value,
            checksum=None,
            serialized_key_size=-1,
            serialized_value_size=len(value),
            headers=(),
        )
        for i, value in enumerate(values)
    ]


@dataclass
class World:
    log: list[str]
    producer: Producer
    consumer: Consumer
    ingest: binding.Ingest


def world(monkeypatch: pytest.MonkeyPatch, hold: bool = False, **settings: Any) -> World:
    """An Ingest over a scripted consumer (its steps given to `run`) and a recording producer."""
    log: list[str] = []
    producer = Producer(log, hold)
    consumer = Consumer(log, producer)

    def made(**options: Any) -> Consumer:
        consumer.options = options
        return consumer

    monkeypatch.setattr(binding, "AIOKafkaConsumer", made)
    monkeypatch.setattr(binding, "AIOKafkaAdminClient", lambda **_: Admin(consumer))
    ingest = binding.Ingest(Settings(namespace=NS, **settings), producer, Areas())  # type: ignore[arg-type]
    return World(log, producer, consumer, ingest)


def run(w: World, *steps: Step) -> BaseException | None:
    """Run the loop through the steps; what it raised, other than the end of the script."""
    w.consumer.steps.extend(steps)

    async def loop() -> BaseException | None:
        try:
            await asyncio.wait_for(w.ingest.run(), 5.0)
        except Finished:
            return None
        except Exception as exc:
            return exc
        return None

    return asyncio.run(loop())


def progress(raw_partition: int, t: float | None, idle: bool = False) -> dict[str, Any]:
    """A raw partition's progress as the frames carry it."""
    return {"l": 0, "s": raw_partition, "n": 2, "t": t, "i": idle}


def epoch(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


# ---------------------------------------------------------------- commits


def test_offsets_are_committed_in_fetch_order_only_once_everything_sent_is_acknowledged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, hold=True)
    seen: dict[str, Any] = {}

    async def later_fetch_acknowledged_first(consumer: Consumer) -> None:
        w.producer.acknowledge("B")

    async def then_the_first(consumer: Consumer) -> None:
        seen["commits before A was acknowledged"] = list(consumer.commits)
        w.producer.acknowledge("A")

    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), b"{not json", position(2, 1))}),
        fetch("B", {TP1: raw(TP1, 0, position(3, 0), position(3, 1))}),
        later_fetch_acknowledged_first,
        quiet(),
        then_the_first,
        quiet(),
    )
    assert outcome is None
    # An automatic commit would run ahead of the acknowledgements: the loop commits itself.
    assert w.consumer.options["enable_auto_commit"] is False
    assert w.consumer.options["group_id"] == f"{NS}.ingest"
    assert w.consumer.subscribed == [RAW]
    assert seen["commits before A was acknowledged"] == []  # B done, but A before it is not
    assert w.consumer.commits == [{0: 3, 1: 2}]
    assert w.log.index("acked A") < w.log.index("commit {0: 3, 1: 2}")
    # The bad line was dead-lettered within its fetch: the commit waited for that send too.
    (letter,) = [s for s in w.producer.sent if s.topic == "dead-letters"]
    assert letter.fetch == "A"
    dead = orjson.loads(letter.value)
    assert (dead["reason"], dead["stage"]) == ("bad_json", "ingest")
    assert dead["source"] == {"topic": RAW, "partition": 0, "offset": 1}
    positions = [s for s in w.producer.sent if s.topic == "positions"]
    assert [(s.key, s.fetch) for s in positions] == [
        (key(1), "A"),
        (key(2), "A"),
        (key(3), "B"),
        (key(3), "B"),
    ]


def test_a_send_the_broker_refused_stops_the_loop_and_nothing_after_it_is_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, hold=True)

    async def broker_answers(consumer: Consumer) -> None:
        w.producer.acknowledge("B")
        w.producer.acknowledge("A", KafkaTimeoutError("no answer from the broker"))

    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), position(1, 1))}),
        fetch("B", {TP1: raw(TP1, 0, position(3, 0))}),
        broker_answers,
        quiet(),  # never reached: the loop has stopped
    )
    assert isinstance(outcome, KafkaTimeoutError)
    assert w.consumer.commits == []  # B was acknowledged, but it comes after A
    assert w.consumer.stopped


def test_a_revocation_waits_for_the_sends_in_flight_and_commits_them_before_returning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, hold=True)
    seen: dict[str, Any] = {}

    async def partitions_move(consumer: Consumer) -> None:
        revoking = asyncio.create_task(consumer.listener.on_partitions_revoked({TP0, TP1}))
        await asyncio.sleep(0.01)
        seen["returned before the broker answered"] = revoking.done()
        w.producer.acknowledge("A")
        await revoking
        consumer.log.append("revoked")
        consumer.assigned = set()

    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), position(2, 1), position(1, 2))}),
        partitions_move,
        quiet(),
    )
    assert outcome is None
    assert seen["returned before the broker answered"] is False
    assert w.consumer.commits == [{0: 3}]
    assert w.log.index("acked A") < w.log.index("commit {0: 3}") < w.log.index("revoked")


def test_a_send_that_fails_during_a_revocation_lets_no_later_offset_be_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, hold=True)

    async def broker_fails_then_partitions_move(consumer: Consumer) -> None:
        w.producer.acknowledge("B")
        w.producer.acknowledge("A", KafkaTimeoutError("no answer from the broker"))
        # Another worker joins and takes nothing of ours: partition 0 comes straight back.
        await consumer.rebalance(revoked={TP0, TP1}, assigned={TP0, TP1})

    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), position(1, 1), position(1, 2))}),
        fetch("B", {TP0: raw(TP0, 3, position(1, 3), position(1, 4))}),
        broker_fails_then_partitions_move,
        quiet(),
        quiet(),
    )
    # Either the loop stops on the failure (the worker restarts and reads A again), or at
    # least no offset past A's first message is committed while A's records are not taken.
    past_a = [c for c in w.consumer.commits if c.get(0, 0) > 0]
    assert isinstance(outcome, KafkaTimeoutError) or past_a == [], (outcome, w.log)


# ---------------------------------------------------------------- event-time progress


def test_frames_carry_the_raw_partitions_progress_after_the_records_it_covers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch)
    messages = raw(TP0, 0, position(11, 0), position(12, 5, lat=42.7), position(11, 9))
    assert run(w, fetch("A", {TP0: messages})) is None
    told = [(p, r, prog) for p, r, prog in w.producer.frames() if prog and prog["s"] == 0]
    newest = epoch(9)
    # Each vessel's records in its own frames partition, in order, the progress after them.
    with_records = {p: r for p, r, prog in told if r}
    assert {p: [(r["mmsi"], r["ts"]) for r in rs] for p, rs in with_records.items()} == {
        1: [(ship(11), at(0)), (ship(11), at(9))],
        0: [(ship(12), at(5))],
    }
    assert all(prog == progress(0, newest) for _, _, prog in told)
    assert {p for p, _, _ in told} == set(range(FRAMES))  # every frames partition hears of it
    # Partition 1, assigned but with nothing read yet, is told too: the frames partitions know
    # both sources and wait for it rather than run on partition 0's time alone.
    silent = [p for p, r, prog in w.producer.frames() if prog == progress(1, None)]
    assert sorted(silent) == list(range(FRAMES))
    frame = next(s.value for s in w.producer.sent if s.topic == "frames" and key(11) in s.value)
    assert frame.index(b'"records"') < frame.index(b'"progress"')
    # The records go out for outside readers too; only the one on the map on `nearby`.
    assert [s.key for s in w.producer.sent if s.topic == "positions"] == [key(11), key(12), key(11)]
    assert [s.key for s in w.producer.sent if s.topic == "nearby"] == [key(12)]


def idle_then(monkeypatch: pytest.MonkeyPatch, *steps: Step) -> World:
    """Raw partition 1 catches up and goes quiet (told idle); partition 0 keeps a backlog."""
    w = world(monkeypatch, watermark_idle_s=0.02)
    first = {TP0: raw(TP0, 0, position(10, 0)), TP1: raw(TP1, 0, position(21, 0))}
    outcome = run(w, fetch("A", first, backlog={TP0: 50}), quiet(0.05), *steps)
    assert outcome is None
    return w


def test_a_quiet_partition_is_told_idle_only_when_nothing_is_left_to_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = idle_then(monkeypatch)
    said = [(p, prog) for p, _, prog in w.producer.frames() if prog]
    assert {p for p, prog in said if prog == progress(1, epoch(0), idle=True)} == {0, 1}
    assert not any(prog["i"] for _, prog in said if prog["s"] == 0)  # quiet, but lagging


def frames_after(w: World, name: str) -> list[tuple[int, list[Any], dict[str, Any] | None]]:
    first = next(i for i, s in enumerate(w.producer.sent) if s.fetch == name)
    return w.producer.frames(first)


def assert_partition_1_holds_first(w: World) -> None:
    """On every frames partition that hears partition 0 move on, partition 1's word that it
    is not idle any more came first."""
    order = [(p, prog) for p, _, prog in frames_after(w, "B") if prog]
    moved = [i for i, (_, prog) in enumerate(order) if prog["s"] == 0 and prog["t"] == epoch(60)]
    assert moved, order
    for i in moved:
        p = order[i][0]
        woken = [j for j, (q, prog) in enumerate(order) if q == p and prog["s"] == 1]
        assert woken and woken[0] < i, (p, order)
        assert order[woken[0]][1]["i"] is False


def test_an_idle_partition_with_input_waiting_holds_the_others_back_before_the_next_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Input came for partition 1 but this fetch brings only partition 0's, an hour on.
    later = {TP0: raw(TP0, 1, position(10, 60), position(11, 60))}
    w = idle_then(monkeypatch, fetch("B", later, backlog={TP1: 3}))
    assert_partition_1_holds_first(w)


def test_an_idle_partition_whose_input_is_in_this_fetch_holds_the_others_back_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Written together (docs/guarantees.md: "It holds again before the batch that moves the
    # others past it"): partition 0 an hour on, partition 1's one message half an hour on.
    later = {
        TP0: raw(TP0, 1, position(10, 60), position(11, 60)),
        TP1: raw(TP1, 1, position(21, 30)),
    }
    w = idle_then(monkeypatch, fetch("B", later))
    assert_partition_1_holds_first(w)


# ---------------------------------------------------------------- progress across owners


def test_each_offset_is_committed_with_the_progress_of_the_records_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, hold=True)
    seen: dict[str, Any] = {}

    async def only_a_acknowledged(consumer: Consumer) -> None:
        w.producer.acknowledge("A")
        await asyncio.sleep(0.01)  # the acknowledgements reach the batch's gathered future
        await w.ingest.commit_sent(consumer, wait=False)
        seen["after A"] = dict(consumer.metadata)
        w.producer.acknowledge("B")

    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), position(2, 5))}),
        fetch("B", {TP0: raw(TP0, 2, position(1, 30))}),
        only_a_acknowledged,
        quiet(),
    )
    assert outcome is None
    # B was read (the stage's progress is at minute 30), but only A is committed: its offset
    # goes with A's progress, never with that of records after it.
    assert w.consumer.commits[0] == {0: 2}
    assert binding.progress_of(seen["after A"][0]) == epoch(5)
    assert w.consumer.commits[-1] == {0: 3}
    assert binding.progress_of(w.consumer.metadata[0]) == epoch(30)


def test_a_new_owner_with_nothing_left_to_read_tells_the_progress_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first owner reads both partitions to their end and commits, then is gone.
    first = world(monkeypatch)
    both = {
        TP0: raw(TP0, 0, position(10, 0), position(11, 90)),
        TP1: raw(TP1, 0, position(21, 40)),
    }
    assert run(first, fetch("A", both), quiet()) is None
    # Its successor is assigned both; everything is committed, so it reads nothing.
    w = world(monkeypatch, watermark_idle_s=0.02)
    w.consumer.commits, w.consumer.metadata = first.consumer.commits, first.consumer.metadata

    async def assigned(consumer: Consumer) -> None:
        await consumer.rebalance(revoked=set(), assigned={TP0, TP1})

    assert run(w, assigned, quiet(), quiet(0.05), quiet()) is None
    told = [prog for _, records, prog in w.producer.frames() if prog and not records]
    # Where each partition got, and then idle there: a watermark over sources that are all
    # idle is the newest of them, not the time of whichever was read last.
    assert {(p["s"], p["t"]) for p in told} == {(0, epoch(90)), (1, epoch(40))}
    assert progress(0, epoch(90), idle=True) in told
    assert progress(1, epoch(40), idle=True) in told
    assert w.consumer.positions == {TP0: 2, TP1: 1}


def test_an_offset_committed_without_progress_leaves_the_partition_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch)
    w.consumer.commits = [{0: 7, 1: 3}]
    w.consumer.metadata = {0: "", 1: "not json"}  # an older release's, or another client's

    async def assigned(consumer: Consumer) -> None:
        await consumer.rebalance(revoked=set(), assigned={TP0, TP1})

    assert run(w, assigned, quiet()) is None
    told = [prog for _, _, prog in w.producer.frames() if prog]
    assert told and all(p["t"] is None for p in told)
    assert [binding.progress_of(m) for m in ("", "null", "[]", '{"progress": "x"}')] == [None] * 4


def test_a_rebalance_during_a_batchs_sends_commits_the_progress_that_batch_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # aiokafka runs the listener in a task of its own: partitions can move while a fetched
    # batch is still being sent, and the revocation forgets the stage's progress.
    w = world(monkeypatch)
    send_keyed = w.producer.send_keyed
    moved: list[bool] = []

    async def rebalanced_while_sending(topic: str, records: Any) -> list[Any]:
        sent = await send_keyed(topic, records)
        if w.producer.fetch == "B" and not moved:
            moved.append(True)
            await w.consumer.rebalance(revoked={TP0, TP1}, assigned={TP0, TP1})
        return sent

    monkeypatch.setattr(w.producer, "send_keyed", rebalanced_while_sending)
    outcome = run(
        w,
        fetch("A", {TP0: raw(TP0, 0, position(1, 0), position(2, 5))}),
        fetch("B", {TP0: raw(TP0, 2, position(1, 30))}),
        quiet(),
    )
    assert outcome is None and moved
    assert w.consumer.commits[-1] == {0: 3}
    assert binding.progress_of(w.consumer.metadata[0]) == epoch(30)  # not minute 5, not none


def test_a_progress_that_cannot_be_read_stops_the_loop_rather_than_tell_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = world(monkeypatch)
    committed = fetch("A", {TP0: raw(TP0, 0, position(10, 0), position(11, 90))})
    assert run(first, committed, quiet()) is None
    w = world(monkeypatch, watermark_idle_s=0.01)
    w.consumer.commits, w.consumer.metadata = first.consumer.commits, first.consumer.metadata
    tries: list[int] = []

    async def coordinator_loading(*_: Any, **__: Any) -> Any:
        tries.append(1)
        raise KafkaTimeoutError("the group coordinator is loading")

    monkeypatch.setattr(Admin, "list_consumer_group_offsets", coordinator_loading)
    monkeypatch.setattr(binding, "RESUME_WAIT_S", 0.0)

    async def assigned(consumer: Consumer) -> None:
        await consumer.rebalance(revoked=set(), assigned={TP0, TP1})

    outcome = run(w, assigned, quiet(), quiet())
    assert isinstance(outcome, KafkaTimeoutError)  # the supervisor starts the loop again
    assert len(tries) == binding.RESUME_TRIES
    assert [p for _, _, p in w.producer.frames() if p and p["s"] == 0] == []  # told nothing
    assert binding.progress_of(w.consumer.metadata[0]) == epoch(90)  # and committed nothing


def test_a_partition_that_comes_back_waits_the_whole_quiet_time_before_it_is_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(monkeypatch, watermark_idle_s=0.05)
    back: list[int] = []

    async def moved_away_and_back(consumer: Consumer) -> None:
        await consumer.rebalance(revoked={TP0, TP1}, assigned={TP0})
        await asyncio.sleep(0.06)  # another worker has it for longer than the quiet time
        await consumer.rebalance(revoked={TP0}, assigned={TP0, TP1})
        back.append(len(w.producer.sent))

    outcome = run(
        w, fetch("A", {TP1: raw(TP1, 0, position(21, 0))}), moved_away_and_back, quiet(), quiet()
    )
    assert outcome is None
    told = [p for _, _, p in w.producer.frames(back[0]) if p and p["s"] == 1]
    # Caught up, but quiet here for no time yet: told not idle (where it got) until the wait
    # has passed under this owner, whatever it was before it moved away.
    assert told and all(p["i"] is False for p in told), told
    assert {p["t"] for p in told} == {epoch(0)}
