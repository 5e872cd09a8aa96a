"""Alert rules: `evaluate(event, context) -> alerts`, pure and deterministic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.models import Alert, alert_id_for
from alerts.routes import DEFAULT_ROUTES, Route, flag_of, is_watchlisted


@dataclass(frozen=True)
class RuleContext:
    """What the rules know beyond the event: the roles of fences and the watched routes."""

    fence_roles: Mapping[str, str] = field(default_factory=dict)
    routes: Sequence[Route] = DEFAULT_ROUTES


def sanctioned_voyage(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A voyage from a route's origin to its destination within the route's window."""
    out = []
    for route in ctx.routes:
        if (ev["origin"], ev["destination"]) != (route.origin, route.destination):
            continue
        if ev["transit_s"] > route.max_transit_s:
            continue
        identity = {
            "route": route.id,
            "origin_arrived_at": ev["origin_arrived_at"],
            "arrived_at": ev["arrived_at"],
        }
        out.append(
            Alert(
                alert_id=alert_id_for("sanctioned_voyage", ev["mmsi"], identity),
                kind="sanctioned_voyage",
                severity=route.severity,
                mmsi=ev["mmsi"],
                at=ev["arrived_at"],
                title=f"Voyage {route.origin} → {route.destination} completed",
                route=route.id,
                port=route.destination,
                evidence={
                    "flag_mid": flag_of(ev["mmsi"]),
                    "origin": ev["origin"],
                    "origin_arrived_at": ev["origin_arrived_at"],
                    "departed_at": ev["departed_at"],
                    "destination": ev["destination"],
                    "arrived_at": ev["arrived_at"],
                    "transit_h": round(ev["transit_s"] / 3600, 1),
                },
            )
        )
    return out


def watchlist_port_call(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watch-listed vessel stays at a loading port; fires once, when the call begins."""
    if ev["departed_at"] is not None or ctx.fence_roles.get(ev["port"]) != "loading":
        return []
    if not is_watchlisted(ev["mmsi"]):
        return []
    identity = {"port": ev["port"], "arrived_at": ev["arrived_at"]}
    return [
        Alert(
            alert_id=alert_id_for("watchlist_port_call", ev["mmsi"], identity),
            kind="watchlist_port_call",
            severity="warning",
            mmsi=ev["mmsi"],
            at=ev["arrived_at"],
            title=f"Watch-listed vessel calling at {ev['port']}",
            port=ev["port"],
            evidence={
                "flag_mid": flag_of(ev["mmsi"]),
                "port": ev["port"],
                "arrived_at": ev["arrived_at"],
                "stayed": ev["stayed"],
                "confidence": ev["confidence"],
            },
        )
    ]


RULES = {"voyage": (sanctioned_voyage,), "port_call": (watchlist_port_call,)}


def evaluate(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Every alert that one voyage event raises."""
    return [alert for rule in RULES.get(ev["kind"], ()) for alert in rule(ev, ctx)]
