"""Distances and speeds between fixes, and the test for a position glitch."""

from __future__ import annotations

import math

from geofences.earth import EARTH_RADIUS_M, METRES_PER_DEGREE

METRES_PER_NM = 1852.0
# No merchant ship makes 50 kn; a fix implying more from the last good one is a GPS or
# transmission glitch (or a second transmitter using the same MMSI).
MAX_SPEED_KN = 50.0
# Below this jump, a high implied speed is timestamp jitter between close fixes, not a glitch.
GLITCH_MIN_M = 2_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def speed_kn(metres: float, seconds: float) -> float:
    """Speed in knots over a distance and a time (infinite for no time)."""
    hours = seconds / 3600
    if hours <= 0:  # no time, or so little it rounds to none
        return math.inf
    return metres / METRES_PER_NM / hours


# Metres of arc per degree on the haversine's sphere, a hair above so that rounding never makes
# the bound short: (|Δlat| + |Δlon|) × this is never less than the great-circle distance (it is
# the length of a path along a meridian, then along a parallel at most this long).
METRES_PER_DEGREE_MAX = METRES_PER_DEGREE * (1 + 1e-9)


def impossible(lat1: float, lon1: float, t1: float, lat2: float, lon2: float, t2: float) -> bool:
    """True when going from the first fix to the second needs a speed no ship makes."""
    # Most fixes are a few hundred metres on: a bound decides them without trigonometry.
    bound = (abs(lat2 - lat1) + abs(lon2 - lon1)) * METRES_PER_DEGREE_MAX
    if bound <= GLITCH_MIN_M or speed_kn(bound, t2 - t1) <= MAX_SPEED_KN:
        return False
    metres = distance_m(lat1, lon1, lat2, lon2)
    return metres > GLITCH_MIN_M and speed_kn(metres, t2 - t1) > MAX_SPEED_KN
