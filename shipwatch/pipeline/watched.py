"""Which vessels the at-sea rules watch: the alert rules' watchlist, as the sampler asks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerts.context import RuleContext


def watched_by(ctx: RuleContext) -> Callable[[int, dict[str, Any]], bool]:
    """The sampler's test of a watched vessel: the rules' watchlist (and flag) on its data."""

    def watched(mmsi: int, vessel: dict[str, Any]) -> bool:
        return ctx.watchlist.watches(mmsi, vessel.get("imo"), vessel.get("name"))

    return watched
