"""What the alert rules know beyond the event: fences, routes, watchlist, cargo, thresholds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.routes import DEFAULT_ROUTES, Route
from alerts.watchlist import Watchlist
from shipwatch.cargo import CAP_SHARES, UN_CAP_BBL, CargoFactors
from shipwatch.integrity.status_files import IdentityStatus
from shipwatch.sea.thresholds import SeaRules


@dataclass(frozen=True)
class RuleContext:
    """What the rules know beyond the event: fences, routes, watchlist, cargo factors."""

    fence_roles: Mapping[str, str] = field(default_factory=dict)
    fence_names: Mapping[str, str] = field(default_factory=dict)  # id -> the fence's `name`
    routes: Sequence[Route] = DEFAULT_ROUTES
    watchlist: Watchlist = field(default_factory=Watchlist)
    cargo: CargoFactors = field(default_factory=CargoFactors)
    cap_bbl: float = UN_CAP_BBL
    cap_shares: tuple[float, ...] = CAP_SHARES
    sea_rules: SeaRules = field(default_factory=SeaRules)  # the at-sea thresholds
    # The integrity checks (shipwatch.integrity; their thresholds are `sea_rules.integrity`):
    # on or off, and the status lists' ships (IMO -> scrapped or lost, and when).
    integrity: bool = True
    identity_statuses: Mapping[int, IdentityStatus] = field(default_factory=dict)

    def port(self, fence_id: str) -> str:
        """A fence as a title names it: its name up to any parenthesis or comma, else its id.

        "Vostochny port (Wrangel Bay), Russia" reads "Vostochny port"; the id stays in the
        evidence, where tools look for it."""
        name = self.fence_names.get(fence_id) or ""
        short = re.split(r"\s*[(,]", name, maxsplit=1)[0].strip()
        return short or fence_id

    def ports(self, fence_ids: Sequence[str]) -> str:
        """Several fences as a title names them."""
        return ", ".join(self.port(f) for f in fence_ids)

    def watch_reason(self, ev: Mapping[str, Any]) -> str | None:
        """Why the event's vessel is watched, or None."""
        return self.watchlist.reason(ev["mmsi"], ev.get("imo"), ev.get("name"))

    def sanctions(self, ev: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The sanctions-list entries the event's vessel matches, by IMO or name (for an
        identity change, also by the IMO or name it had before)."""
        found = self.watchlist.sanctions(ev.get("imo"), ev.get("name"))
        if ev["kind"] == "identity_change" and ev.get("field") in ("imo", "name"):
            old = ev.get("old")
            before = self.watchlist.sanctions(
                old if ev["field"] == "imo" and isinstance(old, int) else None,
                old if ev["field"] == "name" and isinstance(old, str) else None,
            )
            found += [entry for entry in before if entry not in found]
        return found
