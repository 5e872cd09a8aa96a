"""The bindings: which topic feeds which stage, which table holds its state, which metrics count.

The stages themselves live in `pipeline/` and know nothing of Kafka. Ingest and track carry the
world's traffic and are bound in batches (`streams.bindings.ingest`, `streams.bindings.track`);
voyage, alert and cap see only rare events and are bound one message at a time here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from alerts.models import Alert
from alerts.rules import RuleContext
from geofences.index import FenceIndex
from pipeline.alert_stage import alert_batch
from pipeline.cap_stage import cap_batch
from pipeline.detector import watched_by
from pipeline.voyage_stage import voyage_batch
from pipeline.write_back import WriteBack
from sea.sampler import SeaContext
from sea.zones import SeaZones
from streams import metrics
from streams.app import Wiring
from streams.bindings.guard import guarded
from streams.bindings.ingest import Ingest
from streams.bindings.sea import SeaBinding
from streams.bindings.track import TrackBinding
from streams.kafka.bulk_producer import BulkProducer
from streams.kafka.partitioner import key_of
from streams.monitoring import supervised
from streams.web.fence_map import MapAreas
from voyages import machine

Handler = Callable[[Any], Awaitable[None]]
log = logging.getLogger(__name__)


def register(w: Wiring, index: FenceIndex, ctx: RuleContext) -> TrackBinding:
    """Attach the stages, their tables and the housekeeping timers to the app."""
    t = w.topics
    metrics.init_series(list(index.by_id), [r.id for r in ctx.routes])
    bulk = BulkProducer(w.settings)
    w.app.task(supervised("bulk producer", bulk.run))
    sea = SeaContext(ctx.sea_rules, SeaZones(index, ctx.sea_rules), watched_by(ctx))
    ingest = Ingest(w.settings, bulk, MapAreas(index))
    w.app.task(supervised("ingest", ingest.run))

    track = TrackBinding(
        w.app,
        t,
        w.tracks,
        index,
        bulk,
        sea if w.settings.at_sea else None,
    )
    w.app.agent(t["frames"], name=f"{w.settings.namespace}.track")(_named("track", track.run))
    w.app.on_partitions_revoked.connect(track.on_revoked)
    w.app.timer(0.25)(track.flush_if_due)

    def load_voyage(mmsi: int) -> machine.VoyageState | None:
        stored = w.voyages.get(key_of(mmsi))
        return machine.VoyageState.from_dict(stored) if stored else None

    async def on_fence_event(event: Any) -> None:
        states = WriteBack(load_voyage, machine.VoyageState)
        for vev in voyage_batch(states, [orjson.loads(event.value)]):
            metrics.VOYAGE_EVENTS.labels(kind=vev["kind"]).inc()
            # Wait for the broker: the state below must never be durable without its events.
            await (await t["voyage-events"].send(key=event.key, value=orjson.dumps(vev)))
        for mmsi, state in states.take().items():
            w.voyages[key_of(mmsi)] = state.to_dict()

    async def publish(
        alerts: list[Alert], wait: bool = False, corrected: frozenset[str] = frozenset()
    ) -> None:
        for alert in alerts:
            if alert.alert_id in corrected:  # a new word on an alert already counted
                metrics.ALERT_CORRECTIONS.labels(kind=alert.kind).inc()
            else:
                metrics.ALERTS.labels(kind=alert.kind, severity=alert.severity).inc()
            # A cap alert may be re-issued for another crossing vessel: keyed by its id, so that
            # its versions stay in order on one partition.
            by_id = alert.mmsi is None or alert.kind == "cap_threshold"
            key = str(alert.alert_id if by_id else alert.mmsi).encode()
            sent = await t["alerts"].send(key=key, value=alert.to_json())
            if wait:  # before the state that implies it is written
                await sent

    async def on_voyage_event(event: Any) -> None:
        batch = alert_batch([orjson.loads(event.value)], ctx)
        await publish(batch.alerts)
        for route, delivery in batch.deliveries:  # the cap totals are per route: re-keyed
            await t["deliveries"].send(key=route.encode(), value=orjson.dumps(delivery))

    def load_totals(key: str) -> dict[str, Any] | None:
        stored: dict[str, Any] | None = w.caps.get(key.encode())
        return stored

    async def on_delivery(event: Any) -> None:
        route = event.key.decode()
        batch = cap_batch(load_totals, [(route, orjson.loads(event.value))], ctx)
        for counted_route, barrels in batch.barrels:
            metrics.ESTIMATED_BARRELS.labels(route=counted_route).inc(barrels)
        await publish(batch.alerts, wait=True, corrected=frozenset(batch.corrected))
        for key, totals in batch.changed.items():
            w.caps[key.encode()] = totals

    at_sea = SeaBinding(t, w.sea, sea, bulk, w.settings.namespace)
    w.app.agent(t["sea"], name=f"{w.settings.namespace}.sea")(_named("sea", at_sea.run))
    w.app.on_partitions_revoked.connect(at_sea.on_revoked)
    w.app.timer(0.5)(at_sea.announce)

    stages: list[tuple[str, str, Handler]] = [
        ("voyage", "geofence-events", on_fence_event),
        ("alert", "voyage-events", on_voyage_event),
        ("cap", "deliveries", on_delivery),
    ]
    for stage, topic, handle in stages:
        bound = functools.partial(
            guarded, stage, handle=handle, dead_letters=t["dead-letters"], crash=w.app.crash
        )
        w.app.agent(t[topic], name=f"{w.settings.namespace}.{stage}")(_named(stage, bound))

    async def count_vessels_in_fences() -> None:
        counts = track.vessels_in_fences()
        for fence in index.by_id:
            metrics.VESSELS_IN_FENCE.labels(fence=fence).set(counts.get(fence, 0))

    async def reload_watchlist() -> None:
        if ctx.watchlist.reload_if_changed():
            log.info("watchlist reloaded from %s", ctx.watchlist.path)

    w.app.timer(5.0)(count_vessels_in_fences)
    w.app.timer(10.0)(reload_watchlist)
    return track


def _named(stage: str, fn: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    async def agent(stream: Any) -> None:
        await fn(stream)

    agent.__name__ = agent.__qualname__ = stage  # Faust names the agent's actors after it
    return agent
