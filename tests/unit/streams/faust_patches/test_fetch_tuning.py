"""The worker's Faust consumer batches its fetches."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.faust_patches.fetch_tuning import FETCH_MAX_WAIT_MS, FETCH_MIN_BYTES, batch_fetches


def test_the_consumers_faust_creates_are_given_fuller_fetches(monkeypatch: pytest.MonkeyPatch):
    made: list[Any] = []

    def faust_creates(self: Any, transport: Any) -> Any:
        consumer = SimpleNamespace(_fetch_min_bytes=1, _fetch_max_wait_ms=1500, by=self)
        made.append(consumer)
        return consumer

    thread_class: Any = faust_aiokafka.AIOKafkaConsumerThread
    monkeypatch.setattr(thread_class, "_create_worker_consumer", faust_creates)
    batch_fetches()
    batch_fetches()  # a second app in the process: still one wrapper
    consumer = thread_class._create_worker_consumer("thread", "transport")
    assert made == [consumer] and consumer.by == "thread"
    assert (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms) == (
        FETCH_MIN_BYTES,
        FETCH_MAX_WAIT_MS,
    )


def test_aiokafka_still_keeps_the_fetch_settings_where_the_tuning_sets_them():
    async def attributes() -> tuple[int, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1", fetch_min_bytes=7)
        try:
            return consumer._fetch_min_bytes, consumer._fetch_max_wait_ms
        finally:
            await consumer.stop()

    assert asyncio.run(attributes()) == (7, 500)
