"""The stage graph, declared once: which stage reads which topic, keeps which state, writes where.

`shipwatch detect` (`pipeline.detector`), the in-process partitioned runner
(`pipeline.partitioned`) and the stream (`streams.bindings.agents`) are built from `GRAPH`: a
record a stage sends to a topic goes to the stage that reads it, in-process or through Kafka.
Ingest, track and sea carry the world's traffic and have bindings of their own (batches,
flushes, event-time progress); the others see rare events and are one `MessageStage` each, a
pure function of their state and one record, bound one message at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.context import RuleContext
from alerts.models import Alert
from shipwatch.pipeline.alert_stage import alert_batch
from shipwatch.pipeline.cap_stage import cap_batch
from shipwatch.pipeline.voyage_stage import voyage_batch
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.voyages import machine

Record = dict[str, Any]
Load = Callable[[str], Any | None]  # a state's stored JSON value by key, or None


@dataclass(frozen=True, slots=True)
class StageSpec:
    """One stage: the topic it reads, the state it keeps (a table in the stream), where it
    writes, and whether it has a batching binding of its own."""

    name: str
    reads: str
    state: str | None
    writes: tuple[str, ...]
    batched: bool = False


GRAPH: tuple[StageSpec, ...] = (
    StageSpec(
        "ingest",
        reads="ais-raw",
        state=None,
        writes=("positions", "statics", "nearby", "history", "sightings", "frames", "dead-letters"),
        batched=True,
    ),
    StageSpec(
        "track",
        reads="frames",
        state="tracks",
        writes=("geofence-events", "sea", "voyage-events", "dead-letters"),
        batched=True,
    ),
    StageSpec(
        "sea",
        reads="sea",
        state="sea",
        writes=("sea", "voyage-events", "dead-letters"),
        batched=True,
    ),
    StageSpec("voyage", reads="geofence-events", state="voyages", writes=("voyage-events",)),
    StageSpec("alert", reads="voyage-events", state=None, writes=("alerts", "deliveries")),
    StageSpec("cap", reads="deliveries", state="caps", writes=("alerts",)),
)
READER: dict[str, StageSpec] = {spec.reads: spec for spec in GRAPH}
STATES: tuple[str, ...] = tuple(spec.state for spec in GRAPH if spec.state)


@dataclass(frozen=True, slots=True)
class Send:
    """A record a stage sends: its topic, its key there, and the record (an alert as such)."""

    topic: str
    key: str
    value: Record | Alert

    def json(self) -> Record:
        """The record as published."""
        return self.value.model_dump() if isinstance(self.value, Alert) else self.value


@dataclass(slots=True)
class StepOut:
    """What one record made: sends in order, the state values it changed, and for the
    metrics the alerts it re-issued and the barrels it counted."""

    sends: list[Send] = field(default_factory=list)
    changed: dict[str, Any] = field(default_factory=dict)
    corrected: set[str] = field(default_factory=set)
    barrels: list[tuple[str, float]] = field(default_factory=list)


class MessageStage(Protocol):
    """A stage bound one record at a time: (its state, the record's key, the record) in."""

    def __call__(self, load: Load, key: str, record: Record) -> StepOut: ...


def alert_key(alert: Alert) -> str:
    """Alerts are keyed by vessel; one with no vessel, and a cap alert (which a late delivery
    may re-issue for another vessel), by its id, so that its versions stay in order."""
    by_id = alert.mmsi is None or alert.kind == "cap_threshold"
    return str(alert.alert_id if by_id else alert.mmsi)


def voyage_step(load: Load, key: str, record: Record) -> StepOut:
    """A fence event through its vessel's voyage state."""

    def stored(mmsi: int) -> machine.VoyageState | None:
        value = load(str(mmsi))
        return machine.VoyageState.from_dict(value) if value else None

    states = WriteBack(stored, machine.VoyageState)
    out = StepOut()
    for event in voyage_batch(states, [record]):
        out.sends.append(Send("voyage-events", str(event["mmsi"]), event))
    out.changed = {str(mmsi): state.to_dict() for mmsi, state in states.take().items()}
    return out


def alert_step(ctx: RuleContext) -> MessageStage:
    """The rules over a voyage event; a delivery on a watched route, re-keyed by route."""

    def step(load: Load, key: str, record: Record) -> StepOut:
        batch = alert_batch([record], ctx)
        out = StepOut([Send("alerts", alert_key(a), a) for a in batch.alerts])
        out.sends += [Send("deliveries", route, d) for route, d in batch.deliveries]
        return out

    return step


def cap_step(ctx: RuleContext) -> MessageStage:
    """A delivery into its route's and year's totals against the cap."""

    def step(load: Load, key: str, record: Record) -> StepOut:
        batch = cap_batch(load, [(key, record)], ctx)
        out = StepOut([Send("alerts", alert_key(a), a) for a in batch.alerts])
        out.changed, out.corrected, out.barrels = batch.changed, batch.corrected, batch.barrels
        return out

    return step


def message_stages(ctx: RuleContext) -> dict[str, MessageStage]:
    """The one-record-at-a-time stages of `GRAPH`, by name."""
    return {"voyage": voyage_step, "alert": alert_step(ctx), "cap": cap_step(ctx)}
