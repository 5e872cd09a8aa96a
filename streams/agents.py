"""The agents: decode, call the pure core, write the table, publish. Nothing else lives here."""

from __future__ import annotations

import logging
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ais.decoder import Accepted, Refused, StreamDecoder
from ais.errors import Rejected
from ais.normalized_json import decode_record
from ais.records import Position, Record
from alerts.cap import add_delivery, delivery_route
from alerts.models import Alert
from alerts.rules import RuleContext, evaluate
from geofences import tracker
from geofences.index import FenceIndex
from pipeline.detector import track
from streams import metrics
from streams.app import Wiring
from streams.dead_letters import dead_letter
from streams.fence_map import MapAreas
from voyages import machine

Handler = Callable[[Any], Awaitable[None]]
log = logging.getLogger(__name__)


def parse_record(value: bytes) -> Record:
    """A normalized record from the positions or statics topic."""
    return decode_record(orjson.loads(value))


def _source(event: Any) -> dict[str, Any]:
    msg = event.message
    return {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}


def register(w: Wiring, index: FenceIndex, ctx: RuleContext) -> None:
    """Attach the four stage agents and the housekeeping timer to the app."""
    t = w.topics
    metrics.init_series(list(index.by_id), [r.id for r in ctx.routes])

    async def reject(event: Any, reason: str, detail: str, stage: str) -> None:
        metrics.REJECTED.labels(reason=reason).inc()
        raw = event.value if isinstance(event.value, bytes) else b""
        value = dead_letter(reason, detail, raw, _source(event), stage)
        await t["dead-letters"].send(key=event.key, value=value)

    async def guarded(stage: str, stream: Any, handle: Handler) -> None:
        # Bound once: a labels() lookup per message is what made Faust's own sensor costly.
        taken = metrics.STAGE_MESSAGES.labels(stage=stage)
        spent = metrics.STAGE_SECONDS.labels(stage=stage)
        # Faust would ack a message whose agent raised and stop the agent: contain it here.
        async for event in stream.events():
            taken.inc()
            started = time.perf_counter()
            try:
                await handle(event)
            except Rejected as exc:
                await reject(event, exc.reason, exc.detail, stage)
            except Exception as exc:  # one bad message never stops the stream
                metrics.PROCESSING_ERRORS.labels(stage=stage).inc()
                detail = "".join(traceback.format_exception_only(exc)).strip()
                await reject(event, "internal_error", detail, stage)
            spent.observe(time.perf_counter() - started)

    map_areas = MapAreas(index)
    decoders: dict[int, StreamDecoder] = {}  # per raw partition: open multiparts, times
    last_fed: dict[int, float] = {}  # per raw partition: monotonic time of its last message

    async def refuse(out: Refused, key: bytes | None) -> None:
        error = out.error
        metrics.REJECTED.labels(reason=error.reason).inc()
        value = dead_letter(error.reason, error.detail, out.raw, out.source, "ingest")
        await t["dead-letters"].send(key=key, value=value)

    async def on_raw(event: Any) -> None:
        msg = event.message
        decoder = decoders.setdefault(msg.partition, StreamDecoder())
        last_fed[msg.partition] = time.monotonic()
        # Faust gives the Kafka timestamp in seconds already: the receive time.
        for out in decoder.feed(event.value or b"", msg.timestamp, _source(event)):
            if isinstance(out, Accepted):
                for record in out.records:
                    topic = t["positions"] if record.kind == "position" else t["statics"]
                    body = orjson.dumps(record.model_dump(mode="json"))
                    await topic.send(key=str(record.mmsi).encode(), value=body)
            elif isinstance(out, Refused):
                await refuse(out, event.key)

    async def expire_quiet_partitions() -> None:
        quiet_since = time.monotonic() - w.settings.multipart_idle_s
        for partition, decoder in list(decoders.items()):
            if last_fed.get(partition, 0.0) <= quiet_since:
                for out in decoder.finish():
                    if isinstance(out, Refused):
                        await refuse(out, None)

    async def on_position(event: Any) -> None:
        record = parse_record(event.value)
        key = str(record.mmsi).encode()
        stored = w.tracks.get(key)
        state = tracker.TrackState.from_dict(stored) if stored else tracker.TrackState()
        new_state, events = track(state, record, index)
        if new_state is state:
            metrics.STALE_POSITIONS.inc()
            return
        if isinstance(record, Position):
            metrics.POSITIONS.inc()
            metrics.EVENT_LAG.observe(time.time() - record.ts.timestamp())
            if map_areas.area_of(record.lat, record.lon) is not None:
                await t["nearby"].send(key=key, value=event.value)
        for ev in events:
            if "fence" in ev:
                metrics.GEOFENCE_EVENTS.labels(fence=ev["fence"], kind=ev["kind"]).inc()
            # Wait for the broker: the state below must never be durable without its events.
            await (await t["geofence-events"].send(key=key, value=orjson.dumps(ev)))
        w.tracks[key] = new_state.to_dict()

    async def on_fence_event(event: Any) -> None:
        ev = orjson.loads(event.value)
        key = str(ev["mmsi"]).encode()
        stored = w.voyages.get(key)
        state = machine.VoyageState.from_dict(stored) if stored else machine.VoyageState()
        new_state, voyage_events = machine.step(state, ev)
        if new_state is state:
            return  # a repeat of an event already applied: at-least-once input
        for vev in voyage_events:
            metrics.VOYAGE_EVENTS.labels(kind=vev["kind"]).inc()
            await (await t["voyage-events"].send(key=key, value=orjson.dumps(vev)))
        w.voyages[key] = new_state.to_dict()

    async def publish(alerts: list[Alert], wait: bool = False) -> None:
        for alert in alerts:
            metrics.ALERTS.labels(kind=alert.kind, severity=alert.severity).inc()
            sent = await t["alerts"].send(key=str(alert.mmsi).encode(), value=alert.to_json())
            if wait:  # before the state that implies it is written
                await sent

    async def on_voyage_event(event: Any) -> None:
        ev = orjson.loads(event.value)
        await publish(evaluate(ev, ctx))
        route = delivery_route(ev, ctx) if ev["kind"] == "delivery" else None
        if route is not None:  # the cap totals are per route: re-key to meet their table
            await t["deliveries"].send(key=route.encode(), value=event.value)

    async def on_delivery(event: Any) -> None:
        ev = orjson.loads(event.value)
        key = f"{event.key.decode()}|{ev['departed_at'][:4]}"
        stored = w.caps.get(key.encode())
        totals, barrels, alerts = add_delivery({key: stored} if stored else {}, ev, ctx)
        if barrels is None:
            return  # not on a route, no hull size, or counted already
        metrics.ESTIMATED_BARRELS.labels(route=event.key.decode()).inc(barrels)
        await publish(alerts, wait=True)
        w.caps[key.encode()] = totals[key]

    stages: list[tuple[str, str, Handler]] = [
        ("ingest", "ais-raw", on_raw),
        ("track", "positions+statics", on_position),
        ("voyage", "geofence-events", on_fence_event),
        ("alert", "voyage-events", on_voyage_event),
        ("cap", "deliveries", on_delivery),
    ]
    for stage, topic, handle in stages:
        channel = (
            t[topic]
            if topic in t
            else w.app.topic(
                *(t[name].get_topic_name() for name in topic.split("+")),
                key_serializer="raw",
                value_serializer="raw",
            )
        )
        w.app.agent(channel, name=f"{w.settings.namespace}.{stage}")(
            _agent_fn(stage, handle, guarded)
        )

    async def count_vessels_in_fences() -> None:
        counts: Counter[str] = Counter()
        for value in list(w.tracks.values()):
            counts.update((value or {}).get("visits", {}).keys())
        for fence in index.by_id:
            metrics.VESSELS_IN_FENCE.labels(fence=fence).set(counts.get(fence, 0))

    async def reload_watchlist() -> None:
        if ctx.watchlist.reload_if_changed():
            log.info("watchlist reloaded from %s", ctx.watchlist.path)

    w.app.timer(5.0)(count_vessels_in_fences)
    w.app.timer(10.0)(reload_watchlist)
    w.app.timer(min(10.0, w.settings.multipart_idle_s / 2))(expire_quiet_partitions)


def _agent_fn(
    stage: str, handle: Handler, guarded: Callable[[str, Any, Handler], Awaitable[None]]
) -> Callable[[Any], Awaitable[None]]:
    async def agent(stream: Any) -> None:
        await guarded(stage, stream, handle)

    agent.__name__ = agent.__qualname__ = stage
    return agent
