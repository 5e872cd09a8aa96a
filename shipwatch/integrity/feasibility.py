"""Could one ship have been at both of two fixes? The reach-in-time test of the dark candidates
(shipwatch/sea/watched.py `candidates`): the distance is at most the time between the fixes at a
speed, plus a slack for the two positions' error.

Both functions are symmetric in their two fixes, exactly: the fixes are put in one order before
any arithmetic, so that the answer never depends on which of two vessels came first.
"""

from __future__ import annotations

from geofences.movement import METRES_PER_NM, distance_m
from geofences.movement import speed_kn as knots

Fix = tuple[float, float, float]  # t (epoch seconds), lat, lon


def _ordered(a: Fix, b: Fix) -> tuple[Fix, Fix]:
    return (a, b) if a <= b else (b, a)


def reach_m(seconds: float, speed_kn: float, slack_m: float) -> float:
    """How far a ship gets in `seconds` (either sign) at `speed_kn`, plus `slack_m`."""
    # The same arithmetic as the dark candidates' test, (t - t0) * metres_per_s + slack: each
    # step is monotone, so a higher speed or slack never reaches less.
    return abs(seconds) * (speed_kn * METRES_PER_NM / 3600) + slack_m


def reachable(
    t0: float,
    lat0: float,
    lon0: float,
    t1: float,
    lat1: float,
    lon1: float,
    speed_kn: float,
    slack_m: float,
) -> bool:
    """True when one ship at `speed_kn` could be at both fixes (with `slack_m` of error)."""
    (ta, lata, lona), (tb, latb, lonb) = _ordered((t0, lat0, lon0), (t1, lat1, lon1))
    return distance_m(lata, lona, latb, lonb) <= reach_m(tb - ta, speed_kn, slack_m)


def implied_kn(t0: float, lat0: float, lon0: float, t1: float, lat1: float, lon1: float) -> float:
    """The speed one ship needs between the fixes, in knots (0 for one place; infinite for two
    places at one time)."""
    (ta, lata, lona), (tb, latb, lonb) = _ordered((t0, lat0, lon0), (t1, lat1, lon1))
    metres = distance_m(lata, lona, latb, lonb)
    return 0.0 if metres == 0 else knots(metres, tb - ta)
