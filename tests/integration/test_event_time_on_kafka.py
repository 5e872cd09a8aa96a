"""Event time on the real broker: partitions running unevenly decide what `detect` decides.

The sea_days story (scenarios/sea_days.py) runs over four days; its STS pair sits on
different partitions, one partition carries only days 1-2 and another only days 3-4, and two
dark tankers are sighted at berths from whose cells no AIS ever comes again. Replayed at full
speed into one worker, and again as a catch-up (the worker stopped mid-replay, started after
it ended), the stream must publish exactly detect's alerts, those included.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.harness import start_worker
from shipwatch.scenarios.sea_days import DARK_AT_CHONGJIN, DARK_AT_VOSTOCHNY, SCENARIO_PATH
from shipwatch.settings import Settings
from streams.bindings.ingest import progress_of
from tests.fixtures.kafka import cli, detect_alerts, settle

pytestmark = pytest.mark.integration


def uneven(settings: Settings) -> Settings:
    """Six partitions (the STS pair on different ones), and idleness short enough that the
    partition whose data end on day 2 stops holding the others back soon after the replay."""
    return settings.model_copy(update={"partitions": 6, "watermark_idle_s": 4.0})


def expected(settings: Settings) -> dict[str, dict[str, object]]:
    alerts = detect_alerts(SCENARIO_PATH, settings=settings)
    found = {a["alert_id"]: orjson.loads(orjson.dumps(a)) for a in alerts}
    kinds = {a["kind"] for a in alerts}
    assert {"sts_encounter", "dark_vessel"} <= kinds
    dark = {a["evidence"]["sighting_id"] for a in alerts if a["kind"] == "dark_vessel"}
    assert dark == {DARK_AT_VOSTOCHNY, DARK_AT_CHONGJIN}  # without --flush: no AIS follows
    return found


def replay_story(settings: Settings, path: Path = SCENARIO_PATH) -> None:
    """`shipwatch replay --max` of the story (or a part of it) into the namespace."""
    replayed = cli(settings, "replay", str(path), "--max")
    assert replayed.returncode == 0, replayed.stderr


def published(settings: Settings, at_least: int) -> dict[str, dict[str, object]]:
    got = settle(settings, "alerts", at_least=at_least, quiet=6)
    return {a["alert_id"]: a for a in map(orjson.loads, got)}


def test_a_replay_at_full_speed_publishes_detects_alerts(namespace_settings: Settings, tmp_path):
    settings = uneven(namespace_settings)
    want = expected(settings)
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        replay_story(settings)
        got = published(settings, len(want))
    finally:
        worker.stop()
    assert got == want


def test_a_catch_up_after_the_worker_was_down_publishes_detects_alerts(
    namespace_settings: Settings, tmp_path: Path
):
    settings = uneven(namespace_settings)
    want = expected(settings)
    lines = SCENARIO_PATH.read_bytes().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_bytes(b"".join(lines[: len(lines) // 3]))
    rest.write_bytes(b"".join(lines[len(lines) // 3 :]))
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    try:
        worker.wait_ready()
        replay_story(settings, first)
        settle(settings, "alerts", at_least=1, quiet=3)  # the worker is well into it
    finally:
        worker.stop()
    replay_story(settings, rest)  # while no worker runs
    worker = start_worker(settings, log)
    try:
        worker.wait_ready()
        got = published(settings, len(want))
    finally:
        worker.stop()
    assert got == want


async def _committed_progress(settings: Settings) -> dict[int, tuple[int, int, float | None]]:
    """Each raw partition's end offset, the ingest group's committed offset, and the
    progress committed with it."""
    topic = settings.topic("ais-raw")
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps)
        found = await admin.list_consumer_group_offsets(
            f"{settings.namespace}.ingest", partitions=tps
        )
    finally:
        await consumer.stop()
        await admin.close()
    return {
        tp.partition: (ends[tp], found[tp].offset, progress_of(found[tp].metadata)) for tp in tps
    }


async def _raw_progress_told(settings: Settings, since: dict[int, int]) -> list[dict[str, Any]]:
    """The raw partitions' progress told on `frames` from these offsets on, in order."""
    topic = settings.topic("frames")
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    told: list[dict[str, Any]] = []
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, since.get(tp.partition, 0))
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for messages in (await consumer.getmany(*tps, timeout_ms=500)).values():
                for m in messages:
                    found = orjson.loads(m.value).get("progress")
                    if found is not None and found["l"] == 0:
                        told.append(found)
    finally:
        await consumer.stop()
    return told


async def _ends(settings: Settings, name: str) -> dict[int, int]:
    topic = settings.topic(name)
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        return {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


def test_a_new_worker_takes_up_each_raw_partitions_progress_where_the_last_one_committed_it(
    namespace_settings: Settings, tmp_path: Path
):
    """A raw partition read to its end before its owner died has nothing left to read: its
    next owner tells the progress committed with its offset, not "nothing yet". Told as
    nothing, the watermark over idle partitions was the newest of the others only, and what
    waited for the rest of the days stayed undecided (an identity swap, once, on CI)."""
    settings = uneven(namespace_settings)
    first = start_worker(settings, tmp_path / "first.log")
    try:
        first.wait_ready()
        replay_story(settings)
        deadline = time.monotonic() + 90
        while True:  # every raw partition read and committed
            committed = asyncio.run(_committed_progress(settings))
            if all(end == offset for end, offset, _ in committed.values()):
                break
            assert time.monotonic() < deadline, committed
            time.sleep(1)
    finally:
        first.stop(signal.SIGKILL)
    # Each progress committed is the newest event time the first worker told of that partition.
    told = asyncio.run(_raw_progress_told(settings, {}))
    newest = {
        p: max((x["t"] for x in told if x["s"] == p and x["t"] is not None), default=None)
        for p in committed
    }
    assert {p: t for p, (_, _, t) in committed.items()} == newest
    assert sum(t is not None for t in newest.values()) >= 4  # the story fills most partitions

    since = asyncio.run(_ends(settings, "frames"))
    second = start_worker(settings, tmp_path / "second.log")
    try:
        second.wait_ready()
        time.sleep(settings.watermark_idle_s + 8)  # its heartbeats, and idleness after the wait
    finally:
        second.stop()
    again = asyncio.run(_raw_progress_told(settings, since))
    for p, t in newest.items():
        words = [(x["t"], x["i"]) for x in again if x["s"] == p]
        assert words and all(w[0] == t for w in words), (p, t, words)
        assert words[-1] == (t, True)  # nothing left to read: idle, where it got
