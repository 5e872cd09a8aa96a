"""`evaluate(event, context) -> alerts`: every alert rule, by the kind of event it reads."""

from __future__ import annotations

from typing import Any

from alerts.context import RuleContext
from alerts.integrity_alerts import INTEGRITY_RULES
from alerts.models import Alert
from alerts.sea_alerts import SEA_RULES
from alerts.voyage_alerts import (
    ais_gap,
    dark_port_call,
    identity_change,
    retractions,
    sanctioned_voyage,
    watchlist_port_call,
)

RULES = {
    "voyage": (sanctioned_voyage,),
    "port_call": (watchlist_port_call,),
    "ais_gap": (ais_gap,),
    "dark_port_call": (dark_port_call,),
    "identity_change": (identity_change,),
    "gap_retracted": (retractions,),
    **SEA_RULES,
    **INTEGRITY_RULES,
}


def evaluate(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Every alert that one voyage event raises; an alert about a vessel on a sanctions list
    carries the list's entries as `evidence["sanctions"]` (not part of its id)."""
    alerts = [alert for rule in RULES.get(ev["kind"], ()) for alert in rule(ev, ctx)]
    mmsi = ev.get("mmsi")
    if not alerts or mmsi is None:
        return alerts
    sanctions = ctx.sanctions(ev)
    if not sanctions:
        return alerts
    return [
        a.model_copy(update={"evidence": {**a.evidence, "sanctions": sanctions}})
        if a.mmsi == mmsi
        else a
        for a in alerts
    ]
