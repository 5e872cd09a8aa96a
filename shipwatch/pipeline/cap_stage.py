"""The cap stage: deliveries add up per route and calendar year against the UN cap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerts.cap import add_delivery
from alerts.context import RuleContext
from alerts.models import Alert
from shipwatch.pipeline.track_stage import Event

# {"total": barrels, "seen": [delivery ids], "deliveries": [[order, barrels, summary]] in
# event-time order, "raised": {share: [crossing delivery id, estimated barrels]}}
Totals = dict[str, Any]


@dataclass(slots=True)
class CapBatch:
    """Alerts raised, barrels counted per route, and the totals that changed (by key)."""

    alerts: list[Alert] = field(default_factory=list)
    corrected: set[str] = field(default_factory=set)  # ids of alerts re-issued, not new
    barrels: list[tuple[str, float]] = field(default_factory=list)
    changed: dict[str, Totals] = field(default_factory=dict)


def cap_key(route: str, delivery: Event) -> str:
    """The totals key of a delivery: `<route>|<year of departure>`."""
    return f"{route}|{delivery['departed_at'][:4]}"


def cap_batch(
    load: Callable[[str], Totals | None],
    deliveries: list[tuple[str, Event]],
    ctx: RuleContext,
) -> CapBatch:
    """Count deliveries (route, event) once each; `load` reads a key's stored totals."""
    out = CapBatch()
    for route, ev in deliveries:
        key = cap_key(route, ev)
        stored = out.changed.get(key) or load(key)
        totals, barrels, alerts = add_delivery({key: stored} if stored else {}, ev, ctx)
        if barrels is None:
            continue  # not on a route, no hull size, or counted already
        out.barrels.append((route, barrels))
        out.alerts.extend(alerts)
        raised = (stored or {}).get("raised", {})
        out.corrected |= {a.alert_id for a in alerts if str(a.evidence["share"]) in raised}
        out.changed[key] = totals[key]
    return out
