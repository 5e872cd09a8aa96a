"""Estimated deliveries per watched route and calendar year against the UN cap.

`add_delivery(totals, delivery, ctx) -> (totals, barrels, alerts)`: the totals are keyed
`<route>|<year>`, each `{"total": barrels, "seen": [delivery ids]}`; a delivery adds its
estimated barrels once (a replayed or re-processed delivery is recognised by its id), and
crossing a configured share of the cap raises a `cap_threshold` alert once per route, year
and share.
"""

from __future__ import annotations

from typing import Any

from alerts.cargo import crossed, estimate_barrels
from alerts.models import Alert, alert_id_for
from alerts.routes import route_for
from alerts.rules import RuleContext


def delivery_route(ev: dict[str, Any], ctx: RuleContext) -> str | None:
    """The watched route a delivery completes, if any."""
    route = route_for(ev["origin"], ev["port"], ctx.fence_roles, ctx.routes)
    return route.id if route else None


def delivery_id(ev: dict[str, Any]) -> str:
    """The same delivery, however often it is processed, has the same id."""
    return f"{ev['mmsi']}|{ev['port']}|{ev['arrived_at']}"


def add_delivery(
    totals: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: RuleContext
) -> tuple[dict[str, dict[str, Any]], float | None, list[Alert]]:
    """Count one delivery event; returns new totals, its barrels (None if not counted) and
    any threshold alerts."""
    route = delivery_route(ev, ctx)
    barrels = estimate_barrels(ev["length"], ev["beam"], ev["discharged_m"], ctx.cargo)
    if route is None or barrels is None:
        return totals, None, []
    year = ev["departed_at"][:4]
    key = f"{route}|{year}"
    entry = totals.get(key) or {"total": 0.0, "seen": []}
    if delivery_id(ev) in entry["seen"]:
        return totals, None, []
    before = float(entry["total"])
    after = before + barrels
    alerts = []
    for share in crossed(before, after, ctx.cap_bbl, ctx.cap_shares):
        pct = round(share * 100)
        alerts.append(
            Alert(
                alert_id=alert_id_for(
                    "cap_threshold", 0, {"route": route, "year": year, "share": share}
                ),
                kind="cap_threshold",
                severity="critical" if share >= 1 else "warning",
                mmsi=ev["mmsi"],
                at=ev["departed_at"],
                title=f"Estimated deliveries on {route} passed {pct} % of the {year} cap",
                route=route,
                port=ev["port"],
                evidence={
                    "year": year,
                    "share": share,
                    "cap_bbl": ctx.cap_bbl,
                    "estimated_bbl": round(after),
                    "crossing_delivery": {
                        k: ev.get(k)
                        for k in (
                            "mmsi",
                            "name",
                            "imo",
                            "origin",
                            "port",
                            "arrived_at",
                            "departed_at",
                            "discharged_m",
                        )
                    }
                    | {"barrels": barrels},
                },
            )
        )
    counted = {"total": after, "seen": [*entry["seen"], delivery_id(ev)]}
    return {**totals, key: counted}, barrels, alerts
