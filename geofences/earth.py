"""The earth as every distance in shipwatch measures it: a sphere of the mean radius."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0  # IUGG mean radius, rounded: haversine and local projections
# A degree of latitude (or of longitude at the equator) on that sphere: 111,195 m. The local
# projections use it too, so that a projected distance and a haversine one agree.
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def metres_per_degree_lon(lat: float) -> float:
    """Metres per degree of longitude at a latitude (never below 1 % of the equator's)."""
    return METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)
