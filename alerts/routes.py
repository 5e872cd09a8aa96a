"""Watched routes and the vessels marked for watching."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.models import Severity

DPRK_MID = "445"  # Maritime Identification Digits of the DPRK (ITU)
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Route:
    """A watched voyage: a call at `origin`, then an arrival at `destination` within the window."""

    id: str
    origin: str
    destination: str
    max_transit_s: int
    severity: Severity = "critical"


# The route of the March 2024 deliveries; more routes are configuration in a later issue.
DEFAULT_ROUTES = (Route("vostochny-chongjin", "vostochny", "chongjin", 30 * DAY_S),)


def flag_of(mmsi: int) -> str:
    """The MID (first three digits) of a ship station's MMSI."""
    return str(mmsi).zfill(9)[:3]


def is_watchlisted(mmsi: int) -> bool:
    """North Korean-flagged vessels are watched; a user list comes with the voyage issue."""
    return flag_of(mmsi) == DPRK_MID
