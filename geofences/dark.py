"""Which watched ports an AIS gap could hide a visit to: the feasibility test of dark calls.

After Windward's description: the positions before and after the gap, its length and the
vessel's plausible speed must leave time to reach the port, stay, and come back out.
"""

from __future__ import annotations

from typing import Any

from geofences.index import FenceIndex
from geofences.movement import METRES_PER_NM

GAP_MIN_S = 6 * 3600  # a silence this long is an AIS gap (GFW's and Skylight's events)
DARK_SPEED_KN = 12.0  # plausible transit speed of the small product tankers in question
MIN_DARK_STAY_S = 4 * 3600  # a hidden call needs at least this long in port
DARK_RADIUS_M = 150_000.0  # both ends of the gap must be this close to the port
NEAR_PORT_M = 50_000.0  # a gap starting or ending this close is "near" the port
WATCHED_ROLES = ("loading", "discharge")


def candidates(
    index: FenceIndex, start: tuple[float, float], end: tuple[float, float], duration_s: float
) -> list[dict[str, Any]]:
    """Every watched port near the gap, with the distances and whether a visit was feasible."""
    speed_mps = DARK_SPEED_KN * METRES_PER_NM / 3600
    out = []
    for fence in index.fences:
        if fence.role not in WATCHED_ROLES:
            continue
        to_port = fence.distance_m(*start)
        from_port = fence.distance_m(*end)
        if min(to_port, from_port) > DARK_RADIUS_M:
            continue
        spare_s = duration_s - (to_port + from_port) / speed_mps - MIN_DARK_STAY_S
        feasible = max(to_port, from_port) <= DARK_RADIUS_M and spare_s >= 0
        out.append(
            {
                "fence": fence.id,
                "role": fence.role,
                "to_port_km": round(to_port / 1000, 1),
                "from_port_km": round(from_port / 1000, 1),
                "near": min(to_port, from_port) <= NEAR_PORT_M,
                "feasible": feasible,
                "spare_h": round(spare_s / 3600, 1),
            }
        )
    return out
