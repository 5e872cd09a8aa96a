"""Publishing recorded AIS onto the raw topic, paced by event time, until all is acknowledged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shipwatch.ais.decoder import Refused, StreamDecoder
from shipwatch.ais.errors import Rejected
from shipwatch.ais.files import RawUnit, UnreadableUnit, read_units
from shipwatch.ais.nmea import NMEA_STARTS
from shipwatch.pipeline.dead_letters import dead_letter
from shipwatch.settings import Settings
from streams.errors import KafkaUnavailable
from streams.kafka.config import client_options
from streams.kafka.contact import first_contact

IN_FLIGHT = 5000  # sends awaited in batches of this size to bound memory


@dataclass
class ReplayCounts:
    """What a replay did."""

    sent: int = 0
    dead_lettered: int = 0
    files: int = 0
    failed: list[str] = field(default_factory=list)


Progress = Callable[[ReplayCounts, float], None]  # counts and fraction of the bytes read


class _Clock:
    """The event time of each line of one file, as the ingest decoder will see it."""

    def __init__(self, pace: bool) -> None:
        self.pace = pace
        self.decoder = StreamDecoder()

    def time_of(self, unit: RawUnit) -> tuple[float | None, bool, Rejected | None]:
        """(event time for pacing, whether it is also the Kafka timestamp to send, and for an
        NMEA line before any time in its file, why it cannot be sent: `no_time`, as `decode`
        says). Sent, the broker's clock would date it, days after the file's fixes; a line
        `decode` refuses for what it is (a bad checksum) or skips goes on all the same, as
        ingest refuses or skips it the same way."""
        nmea = unit.payload.lstrip()[:1] in NMEA_STARTS
        if not (nmea or self.pace):
            return None, False, None  # JSON and CSV carry their own time; no need to decode
        outputs = self.decoder.feed(unit.payload)
        t = self.decoder.known_time
        if not nmea or t is not None:
            return t, nmea, None
        # Only what `decode` refuses as `no_time`: a first fragment waits for the rest of its
        # message, which may carry a time; and a line refused for what it is goes on.
        untimed = (o.error for o in outputs if isinstance(o, Refused))
        return None, True, next((e for e in untimed if e.reason == "no_time"), None)


def _dead_letter(unit: RawUnit | UnreadableUnit, error: Rejected) -> bytes:
    source = {"file": unit.source, "line": unit.line}
    return dead_letter(error.reason, error.detail, unit.raw, source, "replay")


async def _start(settings: Settings) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        **client_options(settings), acks="all", enable_idempotence=True, linger_ms=5
    )
    try:
        with first_contact(settings):
            await producer.start()
    except KafkaUnavailable:
        await producer.stop()
        raise
    return producer


async def replay(
    settings: Settings,
    paths: Iterable[Path],
    fmt: str,
    speed: float | None,
    columns: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ReplayCounts:
    """Send every line of the files; `speed` None means as fast as possible."""
    paths = list(paths)
    total = sum(p.stat().st_size for p in paths) or 1
    producer = await _start(settings)
    raw_topic, dlq_topic = settings.topic("ais-raw"), settings.topic("dead-letters")
    counts, done = ReplayCounts(), 0
    pending: list[asyncio.Future[object]] = []
    first_event: float | None = None
    started = time.monotonic()

    async def refuse(unit: RawUnit | UnreadableUnit, error: Rejected) -> None:
        pending.append(await producer.send(dlq_topic, _dead_letter(unit, error)))
        counts.dead_lettered += 1

    try:
        for path in paths:
            counts.files += 1
            clock = _Clock(pace=speed is not None)
            for unit in read_units(path, fmt, columns):
                if progress is not None:
                    progress(counts, min(1.0, (done + unit.read_bytes) / total))
                if not isinstance(unit, RawUnit):
                    await refuse(unit, unit.error)
                    continue
                t, stamp, untimed = clock.time_of(unit)
                if untimed is not None:
                    await refuse(unit, untimed)
                    continue
                if speed is not None and t is not None:
                    first_event = t if first_event is None else first_event
                    delay = (t - first_event) / speed - (time.monotonic() - started)
                    if delay > 0:
                        await asyncio.sleep(delay)
                # An NMEA line's Kafka timestamp is its file time: the worker, which falls back
                # to the receive time, then dates untagged sentences as `decode` does.
                timestamp_ms = int(t * 1000) if stamp and t is not None else None
                pending.append(
                    await producer.send(
                        raw_topic, unit.payload, key=unit.key, timestamp_ms=timestamp_ms
                    )
                )
                counts.sent += 1
                if len(pending) >= IN_FLIGHT:
                    await asyncio.gather(*pending)
                    pending.clear()
            done += path.stat().st_size
        await asyncio.gather(*pending)
    except KafkaError as exc:
        raise KafkaUnavailable(f"publishing to {settings.kafka_bootstrap} failed: {exc}") from exc
    finally:
        await producer.stop()
    return counts
