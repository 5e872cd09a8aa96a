"""One /metrics page for shipwatch's and Faust's metrics, the worker group's consumer lag, and
the heap trimmed now and then."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web as aioweb
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import AgentT, AppT
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import generate_latest

from shipwatch.metrics import CONSUMER_LAG, REGISTRY
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.memory_trim import TRIM_EVERY_S, trimmer

log = logging.getLogger(__name__)

FAUST_PREFIX = "faust"  # fixed, so dashboards do not depend on the namespace (the app name)
LAG_INTERVAL_S = 10.0
RESTART_S = 10.0


def supervised(name: str, run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A Faust task that restarts `run` after a failure instead of crashing the worker."""

    # The page, the metrics and the webhook serve people; the agents must outlive their faults.
    async def task() -> None:
        while True:
            try:
                await run()
            except Exception:
                log.exception("%s failed; restarting in %.0f s", name, RESTART_S)
            await asyncio.sleep(RESTART_S)

    task.__name__ = task.__qualname__ = name.replace(" ", "_")
    return task


def register(app: AppT, settings: Settings) -> None:
    """Serve every metric at /metrics (Faust's page, our registry) and export consumer lag."""
    if settings.faust_metrics:
        # Faust's sensor adds the one /metrics route, rendering the registry it is given: ours.
        setup_prometheus_sensors(
            app, pattern="/metrics", registry=REGISTRY, name_prefix=FAUST_PREFIX
        )
    else:
        app.page("/metrics")(_metrics_page)

    async def consumer_lag() -> None:
        topics = sorted({name for agent in app.agents.values() for name in _topics_of(agent)})
        # The raw topic is read by the ingest loop's own group (streams/bindings/ingest.py), not
        # Faust's.
        groups = {app.conf.id: topics, f"{settings.namespace}.ingest": [settings.topic("ais-raw")]}
        await watch_consumer_lag(settings, groups)

    app.task(supervised("consumer lag", consumer_lag))
    trim_heap = trimmer()
    if trim_heap is not None:
        app.timer(TRIM_EVERY_S)(trim_heap)


async def _metrics_page(web: Any, request: Any) -> Any:
    return aioweb.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE})


def _topics_of(agent: AgentT[Any]) -> tuple[str, ...]:
    # An agent reads a Faust Topic (its `topics` are names) or an in-memory channel (none).
    return tuple(getattr(agent.channel, "topics", ()))


def lag_by_topic(
    ends: Mapping[TopicPartition, int],
    starts: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int],
) -> dict[str, int]:
    """Messages after the committed offset (or the log start when none), summed per topic."""
    lag: dict[str, int] = {}
    for tp, end in ends.items():
        position = committed.get(tp, -1)
        if position < 0:
            position = starts.get(tp, 0)
        lag[tp.topic] = lag.get(tp.topic, 0) + max(0, end - position)
    return lag


async def _group_lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, group: str, topics: Iterable[str]
) -> dict[str, int]:
    described = await admin.describe_topics(list(topics))
    tps = [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if not d.get("error_code")
        for p in d["partitions"]
    ]
    if not tps:
        return {}
    ends = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    offsets = await admin.list_consumer_group_offsets(group, partitions=tps)
    committed = {tp: meta.offset for tp, meta in offsets.items()}
    return lag_by_topic(ends, starts, committed)


async def watch_consumer_lag(
    settings: Settings, groups: Mapping[str, list[str]], interval: float = LAG_INTERVAL_S
) -> None:
    """Export each group's lag per input topic every `interval` s, forever."""
    # Measured from the broker, not from this worker's consumer: a stuck worker still shows.
    prefix = f"{settings.namespace}."
    admin = AIOKafkaAdminClient(**client_options(settings))
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        while True:
            try:
                for group, topics in groups.items():
                    lags = await _group_lag(admin, consumer, group, topics)
                    for topic, lag in lags.items():
                        CONSUMER_LAG.labels(topic=topic.removeprefix(prefix)).set(lag)
            except (KafkaError, OSError) as exc:
                log.warning("consumer lag: cannot read offsets: %s", exc)
            await asyncio.sleep(interval)
    finally:
        await consumer.stop()
        await admin.close()
