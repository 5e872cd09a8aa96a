"""The reach-in-time test: symmetric in its fixes, monotone in speed and slack, the dark
candidates' formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofences.movement import METRES_PER_NM, distance_m
from shipwatch.integrity.feasibility import implied_kn, reach_m, reachable

T0 = 1_710_000_000.0
times = st.floats(T0, T0 + 10 * 86_400, allow_nan=False)
lats = st.floats(-80, 80, allow_nan=False)
lons = st.floats(-180, 180, allow_nan=False)
fixes = st.tuples(times, lats, lons)
speeds = st.floats(0, 60, allow_nan=False)
slacks = st.floats(0, 10_000, allow_nan=False)
DEG_LAT_M = distance_m(0, 0, 1, 0)  # one degree of latitude on the haversine's sphere


def test_a_ship_at_25_kn_covers_46_km_in_an_hour() -> None:
    assert reach_m(3600, 25, 0) == pytest.approx(25 * METRES_PER_NM)
    assert reach_m(-3600, 25, 2000) == reach_m(3600, 25, 2000)
    # 0.4 degrees of latitude (about 44.5 km) in an hour: within 46.3 km.
    assert reachable(T0, 40.0, 130.0, T0 + 3600, 40.4, 130.0, 25, 0)
    # 0.45 degrees (about 50 km): beyond 46.3 km, and beyond it with 2 km of slack too.
    assert not reachable(T0, 40.0, 130.0, T0 + 3600, 40.45, 130.0, 25, 2000)


def test_at_one_time_only_the_slack_is_reach() -> None:
    near = 1500 / DEG_LAT_M
    assert reachable(T0, 40.0, 130.0, T0, 40.0 + near, 130.0, 25, 2000)
    assert not reachable(T0, 40.0, 130.0, T0, 40.0 + near, 130.0, 25, 1000)


def test_the_implied_speed() -> None:
    one_nm = METRES_PER_NM / DEG_LAT_M
    assert implied_kn(T0, 40.0, 130.0, T0 + 3600, 40.0 + one_nm, 130.0) == pytest.approx(1.0)
    assert implied_kn(T0, 40.0, 130.0, T0 + 3600, 40.0, 130.0) == 0.0
    assert implied_kn(T0, 40.0, 130.0, T0, 40.0, 130.0) == 0.0  # one place, one time
    assert implied_kn(T0, 40.0, 130.0, T0, 41.0, 130.0) == math.inf


@settings(max_examples=150)
@given(fixes, fixes, speeds, slacks)
def test_symmetric_in_the_two_fixes(
    a: tuple[float, float, float], b: tuple[float, float, float], kn: float, slack: float
) -> None:
    assert reachable(*a, *b, kn, slack) == reachable(*b, *a, kn, slack)
    assert implied_kn(*a, *b) == implied_kn(*b, *a)


@settings(max_examples=150)
@given(fixes, fixes, speeds, speeds, slacks, slacks)
def test_monotone_in_speed_and_slack(
    a: tuple[float, float, float],
    b: tuple[float, float, float],
    kn1: float,
    kn2: float,
    slack1: float,
    slack2: float,
) -> None:
    (slow, fast), (tight, loose) = sorted((kn1, kn2)), sorted((slack1, slack2))
    if reachable(*a, *b, slow, tight):
        assert reachable(*a, *b, fast, tight)
        assert reachable(*a, *b, slow, loose)


@settings(max_examples=150)
@given(fixes, st.floats(0, 5 * 86_400), lats, lons, speeds, slacks)
def test_the_dark_candidates_formula(
    a: tuple[float, float, float], dt: float, lat: float, lon: float, kn: float, slack: float
) -> None:
    t0, lat0, lon0 = a
    t = t0 + dt
    # shipwatch/sea/watched.py `candidates`: d0 > (t - t0) * metres_per_s + match is out.
    metres_per_s = kn * METRES_PER_NM / 3600
    out = distance_m(lat0, lon0, lat, lon) > (t - t0) * metres_per_s + slack
    assert reachable(t0, lat0, lon0, t, lat, lon, kn, slack) == (not out)


@settings(max_examples=100)
@given(fixes, fixes, speeds)
def test_reachable_exactly_when_the_implied_speed_is_within_the_speed(
    a: tuple[float, float, float], b: tuple[float, float, float], kn: float
) -> None:
    speed = implied_kn(*a, *b)
    # Without slack, and away from the boundary's rounding: the two agree.
    if abs(speed - kn) > 1e-6 * max(1.0, kn):
        assert reachable(*a, *b, kn, 0) == (speed <= kn)
