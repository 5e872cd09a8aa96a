"""A worker that crashes on a send the broker refused commits nothing past that message."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from tests.fixtures.failing_send_worker import FAIL_MARK
from tests.fixtures.kafka import cli

pytestmark = [pytest.mark.integration, pytest.mark.faults]


async def committed(settings: Settings) -> dict[TopicPartition, int]:
    """What the workers' consumer group (Faust's group id is the namespace) has committed."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.namespace)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


def test_a_worker_crashing_on_a_refused_send_commits_nothing_past_it(
    namespace_settings: Settings, worker_factory
):
    failing = worker_factory("tests.fixtures.failing_send_worker")
    assert cli(namespace_settings, "replay", str(SCENARIO_PATH), "--max").returncode == 0
    deadline = time.monotonic() + 120
    while (found := re.search(rf"{FAIL_MARK} (\S+) (\d+) (\d+)", failing.tail(200_000))) is None:
        assert time.monotonic() < deadline and failing.process.poll() is None, failing.tail()
        time.sleep(0.1)
    # The broker stays up all along: only the worker's own rule can keep the offset back.
    failing.process.wait(60)
    assert failing.process.returncode != 0, failing.tail()
    topic, partition, offset = found.group(1), int(found.group(2)), int(found.group(3))
    at = asyncio.run(committed(namespace_settings)).get(TopicPartition(topic, partition))
    # Offsets before it were committed while it waited; its own never was, not even by the
    # commit a stopping consumer makes (streams/faust_patches/commit_safety.py), so the next
    # worker reads it again (that a restarted worker then publishes every alert is
    # tests/integration/test_faults.py's).
    assert at is not None and 0 < at <= offset, f"committed {at}, failed at {offset}"
    assert "no offset is committed from now on" in failing.tail(200_000)
