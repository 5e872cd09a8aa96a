"""Watched routes: configuration, not code. A JSON file can replace the default."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.models import SEVERITIES, Severity
from shipwatch.errors import ShipwatchError

DAY_S = 86_400


class RouteError(ShipwatchError):
    """A routes file is unusable; the message names the file and the route."""


@dataclass(frozen=True, slots=True)
class Route:
    """A call at `origin`, then an arrival at `destination` within `max_transit_s`.

    Ends name a fence id (`vostochny`) or a fence role (`role:loading`).
    """

    id: str
    origin: str
    destination: str
    max_transit_s: int
    severity: Severity = "critical"

    def matches(self, origin: str, destination: str, roles: Mapping[str, str]) -> bool:
        """True when a voyage between these fences is on this route."""
        return _end(self.origin, origin, roles) and _end(self.destination, destination, roles)


def _end(spec: str, fence: str, roles: Mapping[str, str]) -> bool:
    if spec.startswith("role:"):
        return roles.get(fence) == spec.removeprefix("role:")
    return spec == fence


# The route of the March 2024 deliveries.
DEFAULT_ROUTES = (Route("vostochny-chongjin", "vostochny", "chongjin", 30 * DAY_S),)


def route_for(
    origin: str, destination: str, roles: Mapping[str, str], routes: Sequence[Route]
) -> Route | None:
    """The first route a voyage is on, if any."""
    return next((r for r in routes if r.matches(origin, destination, roles)), None)


def load_routes(path: Path) -> tuple[Route, ...]:
    """Routes from a JSON list of {id, origin, destination, max_transit_days, severity}."""
    try:
        items: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RouteError(f"{path}: cannot read routes: {exc}") from exc
    if not isinstance(items, list):
        raise RouteError(f"{path}: must be a JSON list of routes")
    routes = []
    for n, item in enumerate(items, start=1):
        try:
            severity = item.get("severity", "critical")
            if severity not in SEVERITIES:
                raise ValueError(f"severity must be one of {SEVERITIES}")
            routes.append(
                Route(
                    str(item["id"]),
                    str(item["origin"]),
                    str(item["destination"]),
                    int(float(item.get("max_transit_days", 30)) * DAY_S),
                    severity,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RouteError(f"{path}: route {n}: {exc}") from exc
    return tuple(routes)
