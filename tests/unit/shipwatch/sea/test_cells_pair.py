"""The pair observation's early exits (before the haversine) agree with the plain rule."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from geofences.earth import METRES_PER_DEGREE
from geofences.movement import distance_m
from shipwatch.sea.cells import HOME, LAT, LEFT, LON, SLOW, _pair
from shipwatch.sea.thresholds import SKYLIGHT, SeaRules

RULES = (SeaRules(), SKYLIGHT)


def plain(a: int, sa: list[Any], b: int, sb: list[Any], rules: SeaRules) -> tuple[Any, ...] | None:
    """The rule as written before the fast path: the distance always measured."""
    (lo, slo), (hi, shi) = sorted(((a, sa), (b, sb)), key=lambda p: p[0])
    if not slo[HOME]:
        return None
    d = distance_m(slo[LAT], slo[LON], shi[LAT], shi[LON])
    both_slow = slo[SLOW] and shi[SLOW]
    close = both_slow and d <= rules.encounter_distance_m
    says_apart = slo[LEFT] or shi[LEFT] or (both_slow and d <= rules.apart_distance_m)
    if not close and not says_apart:
        return None
    return lo, hi, close, round(d, 1)


def sample(lat: float, lon: float, slow: bool, left: bool, home: bool) -> list[Any]:
    return [lat, lon, 0.5, slow, left, home, 6.1, "X", None, False]


# Near neighbours, so that the distances straddle the thresholds (500, 2,000 m and the like).
offsets = st.floats(-0.03, 0.03, allow_nan=False)
flags = st.booleans()


@given(
    st.floats(35.0, 60.0),
    st.floats(120.0, 140.0),
    offsets,
    offsets,
    flags,
    flags,
    flags,
    flags,
    flags,
    flags,
    st.sampled_from(RULES),
)
@example(
    42.0, 133.0, 2000.9 / METRES_PER_DEGREE, 0.0, True, True, False, False, True, True, RULES[0]
)
@example(
    42.0, 133.0, 1999.0 / METRES_PER_DEGREE, 0.0, True, True, False, False, True, True, RULES[0]
)
@example(
    42.0, 133.0, 2001.2 / METRES_PER_DEGREE, 0.0, True, True, False, False, True, True, RULES[0]
)
def test_the_fast_path_says_what_the_plain_rule_says(
    lat: float,
    lon: float,
    dlat: float,
    dlon: float,
    slow_a: bool,
    slow_b: bool,
    left_a: bool,
    left_b: bool,
    home_a: bool,
    home_b: bool,
    rules: SeaRules,
) -> None:
    a, b = 273_000_001, 440_000_002
    sa = sample(lat, lon, slow_a, left_a, home_a)
    sb = sample(lat + dlat, lon + dlon, slow_b, left_b, home_b)
    for x, sx, y, sy in ((a, sa, b, sb), (b, sb, a, sa)):
        found = _pair(x, sx, y, sy, 1_700_000_400, rules)
        got = None if found is None else (found["lo"], found["hi"], found["close"], found["d"])
        assert got == plain(x, sx, y, sy, rules)
