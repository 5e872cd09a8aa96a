"""The glitch test's cheap bound against the exact great-circle test."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from geofences.movement import GLITCH_MIN_M, MAX_SPEED_KN, distance_m, impossible, speed_kn

lats = st.floats(min_value=-89.0, max_value=89.0)
lons = st.floats(min_value=-180.0, max_value=180.0)
steps = st.floats(min_value=-0.5, max_value=0.5)


@settings(max_examples=500, deadline=None)
@given(lats, lons, steps, steps, st.floats(min_value=-60.0, max_value=86_400.0))
def test_the_bound_decides_as_the_exact_distance_would(
    lat: float, lon: float, dlat: float, dlon: float, dt: float
) -> None:
    lat2, lon2 = max(-90.0, min(90.0, lat + dlat)), lon + dlon
    metres = distance_m(lat, lon, lat2, lon2)
    exact = metres > GLITCH_MIN_M and speed_kn(metres, dt) > MAX_SPEED_KN
    assert impossible(lat, lon, 0.0, lat2, lon2, dt) == exact


def test_a_jump_across_the_sea_in_a_minute_is_a_glitch() -> None:
    assert impossible(40.0, 135.0, 0.0, 37.0, 131.0, 60.0)
    assert not impossible(40.0, 135.0, 0.0, 40.001, 135.0, 60.0)
