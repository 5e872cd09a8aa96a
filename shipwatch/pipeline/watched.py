"""Which vessels the at-sea rules watch, and the sea context the track stage runs with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerts.context import RuleContext
from geofences.coast import land_index
from geofences.index import FenceIndex
from shipwatch.integrity.scope import PortScope
from shipwatch.integrity.vessel_checks import IntegrityContext
from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones


def watched_by(ctx: RuleContext) -> Callable[[int, dict[str, Any]], bool]:
    """The sampler's test of a watched vessel: the rules' watchlist (and flag) on its data."""

    def watched(mmsi: int, vessel: dict[str, Any]) -> bool:
        return ctx.watchlist.watches(mmsi, vessel.get("imo"), vessel.get("name"))

    return watched


def sea_context(index: FenceIndex, ctx: RuleContext, rules: SeaRules | None = None) -> SeaContext:
    """What the track stage's at-sea sampler and integrity checks run with (built once)."""
    rules = rules or ctx.sea_rules
    checks = None
    if ctx.integrity:
        checks = IntegrityContext(
            rules.integrity,
            PortScope(index, rules.integrity.port_radius_m),
            land_index().inland_beyond,
            land_index().inland_m,
            ctx.identity_statuses,
        )
    return SeaContext(rules, SeaZones(index, rules), watched_by(ctx), checks)
