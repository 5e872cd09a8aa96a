"""The alert stage: the rules over voyage events, and deliveries re-keyed by route for the cap."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from alerts.cap import delivery_route
from alerts.context import RuleContext
from alerts.evaluate import evaluate
from alerts.models import Alert
from shipwatch.pipeline.track_stage import Event


@dataclass(slots=True)
class AlertBatch:
    """The alerts the events raise, and the deliveries on a watched route, by route."""

    alerts: list[Alert] = field(default_factory=list)
    deliveries: list[tuple[str, Event]] = field(default_factory=list)


def alert_batch(voyage_events: Iterable[Event], ctx: RuleContext) -> AlertBatch:
    """Evaluate every rule on each event; the cap totals are per route: re-key deliveries."""
    out = AlertBatch()
    for ev in voyage_events:
        out.alerts.extend(evaluate(ev, ctx))
        route = delivery_route(ev, ctx) if ev["kind"] == "delivery" else None
        if route is not None:
            out.deliveries.append((route, ev))
    return out
