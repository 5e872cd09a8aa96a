"""Publishing recorded AIS onto the raw topic, paced by event time, until all is acknowledged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from ais.errors import Rejected
from ais.files import RawUnit, read_units
from ais.raw_message import decode_message
from streams.dead_letters import dead_letter
from streams.errors import KafkaUnavailable
from streams.kafka_config import client_options
from streams.settings import Settings

IN_FLIGHT = 5000  # sends awaited in batches of this size to bound memory


@dataclass
class ReplayCounts:
    """What a replay did."""

    sent: int = 0
    dead_lettered: int = 0
    files: int = 0
    failed: list[str] = field(default_factory=list)


def event_time(unit: RawUnit) -> float | None:
    """The event time of a raw message, for pacing; None when it has none we can read."""
    try:
        return decode_message(unit.payload)[0].ts.timestamp()
    except Rejected:
        return None


async def replay(
    settings: Settings, paths: Iterable[Path], fmt: str, speed: float | None
) -> ReplayCounts:
    """Send every line of the files; `speed` None means as fast as possible."""
    producer = AIOKafkaProducer(
        **client_options(settings), acks="all", enable_idempotence=True, linger_ms=5
    )
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        raise KafkaUnavailable(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}") from exc
    raw_topic, dlq_topic = settings.topic("ais-raw"), settings.topic("dead-letters")
    counts = ReplayCounts()
    pending: list[asyncio.Future[object]] = []
    first_event: float | None = None
    started = time.monotonic()
    try:
        for path in paths:
            counts.files += 1
            for unit in read_units(path, fmt):
                source = {"file": unit.source, "line": unit.line}
                if not isinstance(unit, RawUnit):
                    value = dead_letter(
                        unit.error.reason, unit.error.detail, unit.raw, source, "replay"
                    )
                    pending.append(await producer.send(dlq_topic, value))
                    counts.dead_lettered += 1
                    continue
                if speed is not None:
                    t = event_time(unit)
                    if t is not None:
                        first_event = t if first_event is None else first_event
                        delay = (t - first_event) / speed - (time.monotonic() - started)
                        if delay > 0:
                            await asyncio.sleep(delay)
                pending.append(await producer.send(raw_topic, unit.payload, key=unit.key))
                counts.sent += 1
                if len(pending) >= IN_FLIGHT:
                    await asyncio.gather(*pending)
                    pending.clear()
        await asyncio.gather(*pending)
    except KafkaError as exc:
        raise KafkaUnavailable(f"publishing to {settings.kafka_bootstrap} failed: {exc}") from exc
    finally:
        await producer.stop()
    return counts
