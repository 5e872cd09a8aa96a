"""A scene's footprint: metres inside its edge, against a plain computation on the sphere of
geofences.earth; holes, several parts, the antimeridian, the cache."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon
from shipwatch.integrity.footprints import Footprint, FootprintCache, footprint_of

# 2 degrees square at 41..43 N: a scene of about 165 km by 222 km.
SQUARE = [[132.0, 41.0], [134.0, 41.0], [134.0, 43.0], [132.0, 43.0], [132.0, 41.0]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE]}


def plain_inside_m(lat: float, lon: float) -> float:
    """Distance to the nearest side of SQUARE, each measured at the point's latitude."""
    to_sides = [
        (lat - 41.0) * METRES_PER_DEGREE,
        (43.0 - lat) * METRES_PER_DEGREE,
        (lon - 132.0) * metres_per_degree_lon(lat),
        (134.0 - lon) * metres_per_degree_lon(lat),
    ]
    return min(to_sides)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (42.0, 133.0),  # the middle: 82.6 km from the west and east sides
        (42.99, 133.0),  # 1.1 km from the north side
        (41.005, 133.2),  # 556 m from the south side
        (42.5, 133.99),  # 820 m from the east side, at 42.5 N
        (41.5, 132.012),  # 1 km from the west side, at 41.5 N
    ],
)
def test_inside_metres_agree_with_a_plain_computation(lat: float, lon: float) -> None:
    inside = Footprint(POLYGON).inside_m(lat, lon)
    assert inside > 0
    assert inside == pytest.approx(plain_inside_m(lat, lon), abs=1.0)


@given(st.floats(41.01, 42.99), st.floats(132.01, 133.99))
def test_anywhere_inside_the_distance_is_the_plain_one_to_a_metre(lat: float, lon: float) -> None:
    assert Footprint(POLYGON).inside_m(lat, lon) == pytest.approx(plain_inside_m(lat, lon), abs=1.0)


def test_outside_is_negative_and_the_edge_is_zero() -> None:
    footprint = Footprint(POLYGON)
    assert footprint.inside_m(43.01, 133.0) == pytest.approx(-0.01 * METRES_PER_DEGREE, abs=1)
    assert footprint.inside_m(42.0, 134.02) == pytest.approx(
        -0.02 * metres_per_degree_lon(42.0), abs=1
    )
    assert footprint.inside_m(10.0, 10.0) < -1_000_000
    assert footprint.inside_m(43.0, 133.0) == pytest.approx(0.0, abs=1e-6)


def test_a_hole_is_outside_and_its_edge_is_an_edge() -> None:
    hole = [[132.9, 41.9], [133.1, 41.9], [133.1, 42.1], [132.9, 42.1], [132.9, 41.9]]
    footprint = Footprint({"type": "Polygon", "coordinates": [SQUARE, hole]})
    assert footprint.inside_m(42.0, 133.0) < 0  # in the hole (a cloud, an island mask)
    # 0.01 degrees north of the hole: inside, about 1.1 km from the hole's edge.
    assert footprint.inside_m(42.11, 133.0) == pytest.approx(0.01 * METRES_PER_DEGREE, abs=1)


def test_a_multipolygon_takes_its_nearest_part() -> None:
    east = [[135.0, 41.0], [136.0, 41.0], [136.0, 43.0], [135.0, 43.0], [135.0, 41.0]]
    footprint = Footprint({"type": "MultiPolygon", "coordinates": [[SQUARE], [east]]})
    assert footprint.inside_m(42.0, 135.5) == pytest.approx(
        0.5 * metres_per_degree_lon(42.0), abs=1
    )
    assert footprint.inside_m(42.0, 134.5) < 0  # between the parts


def test_a_footprint_cut_at_the_antimeridian_has_no_edge_there() -> None:
    west = [[179.0, 0.0], [180.0, 0.0], [180.0, 1.0], [179.0, 1.0], [179.0, 0.0]]
    east = [[-180.0, 0.0], [-179.0, 0.0], [-179.0, 1.0], [-180.0, 1.0], [-180.0, 0.0]]
    footprint = Footprint({"type": "MultiPolygon", "coordinates": [[west], [east]]})
    half = 0.5 * METRES_PER_DEGREE  # the middle of a 2 x 1 degree box: half a degree to north
    for lon in (179.999, 180.0, -180.0, -179.999):
        assert footprint.inside_m(0.5, lon) == pytest.approx(half, abs=1)
    assert footprint.inside_m(0.5, -178.9) < 0


def test_the_cache_parses_a_scene_once_and_again_when_its_footprint_changes() -> None:
    cache = FootprintCache(size=2)
    first = cache.get("S1", POLYGON)
    assert cache.get("S1", {"type": "Polygon", "coordinates": [list(SQUARE)]}) is first
    moved = {"type": "Polygon", "coordinates": [[[p[0] + 1, p[1]] for p in SQUARE]]}
    again = cache.get("S1", moved)
    assert again is not first and math.isclose(again.lon0, first.lon0 + 1)
    cache.get("S2", POLYGON)
    cache.get("S1", moved)  # S1 is the most recent again
    cache.get("S3", POLYGON)  # S2 goes
    assert len(cache) == 2
    assert cache.get("S1", moved) is again
    assert footprint_of("test-S", POLYGON) is footprint_of("test-S", POLYGON)
