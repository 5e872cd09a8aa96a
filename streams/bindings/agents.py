"""The bindings: which topic feeds which stage, which table holds its state, which metrics count.

The stages themselves live in `pipeline/` and know nothing of Kafka. Ingest and track carry the
world's traffic and are bound in batches (`streams.bindings.ingest`, `streams.bindings.track`);
voyage, alert and cap see only rare events and are bound one message at a time here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from faust.types import EventT, StreamT

from alerts.context import RuleContext
from alerts.models import Alert
from geofences.index import FenceIndex
from geofences.map_areas import MapAreas
from shipwatch import metrics
from shipwatch.pipeline.graph import GRAPH, MessageStage, message_stages
from shipwatch.pipeline.watched import sea_context
from streams.app import Wiring
from streams.bindings.guard import guarded
from streams.bindings.ingest import Ingest
from streams.bindings.ingest_process import IngestProcess
from streams.bindings.sea import SeaBinding
from streams.bindings.track import TrackBinding
from streams.kafka.bulk_producer import BulkProducer
from streams.monitoring import supervised

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bound:
    """What the worker's health reads of the bindings."""

    track: TrackBinding
    ingest: IngestProcess | None  # None: ingest runs in the worker's own event loop


def register(w: Wiring, index: FenceIndex, ctx: RuleContext) -> Bound:
    """Attach the stages, their tables and the housekeeping timers to the app."""
    t = w.topics
    steps = message_stages(ctx)
    metrics.init_series(list(index.by_id), [r.id for r in ctx.routes])
    bulk = BulkProducer(w.settings)
    w.app.task(supervised("bulk producer", bulk.run))
    sea = sea_context(index, ctx)
    decoding: IngestProcess | None = None
    if w.settings.ingest == "process":
        decoding = IngestProcess(w.settings.log_level)
        decoding.start()  # now: its start-up overlaps the worker's
        w.app.task(supervised("ingest", decoding.run))
    else:
        w.app.task(supervised("ingest", Ingest(w.settings, bulk, MapAreas(index)).run))

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
    # Decisions at sea wait an hour of event time: a heartbeat a second is plenty, and each
    # costs every sea partition a frame.
    w.app.timer(1.0)(track.progress_if_due)

    at_sea = SeaBinding(t, w.sea, sea, bulk, w.settings.namespace)
    w.app.agent(t["sea"], name=f"{w.settings.namespace}.sea")(_named("sea", at_sea.run))
    w.app.on_partitions_revoked.connect(at_sea.on_revoked)
    w.app.timer(0.25)(at_sea.flush_if_due)
    w.app.timer(1.0)(at_sea.announce)

    # The one-record stages, as the graph declares them (pipeline/graph.py).
    tables = {"voyages": w.voyages, "caps": w.caps}
    for spec in GRAPH:
        if spec.batched:
            continue
        bound = MessageBinding(spec.name, steps[spec.name], tables.get(spec.state or ""), t)
        handle = functools.partial(
            guarded, spec.name, handle=bound.on_message, dead_letters=t["dead-letters"],
            crash=w.app.crash,
        )  # fmt: skip
        name = f"{w.settings.namespace}.{spec.name}"
        w.app.agent(t[spec.reads], name=name)(_named(spec.name, handle))

    async def count_vessels_in_fences() -> None:
        counts = track.vessels_in_fences()
        for fence in index.by_id:
            metrics.VESSELS_IN_FENCE.labels(fence=fence).set(counts.get(fence, 0))

    async def reload_watchlist() -> None:
        if ctx.watchlist.reload_if_changed():
            log.info("watchlist reloaded from %s", ctx.watchlist.path)

    w.app.timer(5.0)(count_vessels_in_fences)
    w.app.timer(10.0)(reload_watchlist)
    return Bound(track, decoding)


class MessageBinding:
    """A one-record stage bound to its topic and table: the record's sends go out, and are
    acknowledged, before the state they imply is written and before the handler returns
    (after which Faust may commit the record's offset)."""

    def __init__(self, stage: str, step: MessageStage, table: Any, topics: dict[str, Any]):
        self.stage, self.step, self.table, self.topics = stage, step, table, topics

    def load(self, key: str) -> Any | None:
        """The state's stored value of a key."""
        return None if self.table is None else self.table.get(key.encode())

    async def on_message(self, event: EventT[bytes]) -> None:
        """Apply one record; send what it makes; then write the state."""
        out = self.step(self.load, cast(bytes, event.key).decode(), orjson.loads(event.value))
        for route, barrels in out.barrels:
            metrics.ESTIMATED_BARRELS.labels(route=route).inc(barrels)
        sent = []
        for send in out.sends:
            value = send.value
            if isinstance(value, Alert):
                if value.alert_id in out.corrected:  # a new word on an alert already counted
                    metrics.ALERT_CORRECTIONS.labels(kind=value.kind).inc()
                else:
                    metrics.ALERTS.labels(kind=value.kind, severity=value.severity).inc()
                raw = value.to_json()
            else:
                if send.topic == "voyage-events":
                    metrics.VOYAGE_EVENTS.labels(kind=value["kind"]).inc()
                raw = orjson.dumps(value)
            sent.append(await self.topics[send.topic].send(key=send.key.encode(), value=raw))
        # Acknowledged by the broker before the state is written, and before Faust may commit
        # this message's offset: killed in between, the worker reads the message again.
        for ack in sent:
            await ack
        for key, value in out.changed.items():
            self.table[key.encode()] = value


def _named(
    stage: str, fn: Callable[[StreamT[Any]], Awaitable[None]]
) -> Callable[[StreamT[Any]], Awaitable[None]]:
    async def agent(stream: StreamT[Any]) -> None:
        await fn(stream)

    agent.__name__ = agent.__qualname__ = stage  # Faust names the agent's actors after it
    return agent
