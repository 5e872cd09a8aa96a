"""Helpers for tests against the real broker: ports, topic reading, worker processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import BUNDLED_GEOFENCES, Settings, env_for


def detect_alerts(*files: Path, settings: Settings | None = None) -> list[dict[str, Any]]:
    """What `shipwatch detect` prints for the files: the stream must publish the same."""
    detector = Detector(*build_core(BUNDLED_GEOFENCES, settings))
    return [
        o.record
        for item in decode_files(files, "auto", Tally())
        if isinstance(item, Decoded)
        for r in item.records
        for o in detector.process(r)
        if o.stream == "alerts"
    ]


def scenario_alert_ids() -> set[str]:
    """The alert ids `detect` finds in the bundled reference scenario."""
    return {a["alert_id"] for a in detect_alerts(SCENARIO_PATH)}


def alert_id(value: bytes) -> str:
    """The id of an alert as published on the alerts topic."""
    return str(orjson.loads(value)["alert_id"])


async def _read(
    settings: Settings,
    name: str,
    partitions: int,
    wait: float,
    enough: Callable[[list[bytes]], bool],
) -> list[bytes]:
    topic = settings.topic(name)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            batch = await consumer.getmany(*tps, timeout_ms=300)
            for messages in batch.values():
                values.extend(m.value for m in messages if m.value is not None)
            if enough(values):
                break
    finally:
        await consumer.stop()
    return values


def read_topic(
    settings: Settings,
    name: str,
    *,
    wait: float = 60.0,
    enough: Callable[[list[bytes]], bool] = lambda _: False,
) -> list[bytes]:
    """Every value of a topic, read until `enough` says so or `wait` seconds have passed."""
    return asyncio.run(_read(settings, name, settings.partitions, wait, enough))


def settle(
    settings: Settings,
    name: str,
    *,
    quiet: float = 4.0,
    wait: float = 90.0,
    at_least: int = 0,
    key: Callable[[bytes], Hashable] = lambda value: value,
) -> list[bytes]:
    """Read a topic until it has `at_least` distinct values (by `key`) and `quiet` s of silence.

    Distinct, because at-least-once delivery may repeat a value: repeats must not make a
    half-finished run look complete.
    """
    deadline = time.monotonic() + wait
    previous = -1
    while True:
        values = read_topic(settings, name, wait=quiet)
        complete = len({key(v) for v in values}) >= at_least and len(values) == previous
        if complete or time.monotonic() > deadline:
            return values
        previous = len(values)


def cli(settings: Settings, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run a `shipwatch` subcommand with these settings."""
    return subprocess.run(
        [sys.executable, "-m", "shipwatch", *args],
        env=env_for(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
