"""The land index on the bundled coastline: the fast lookup against plain shapely, the ports'
known resolution issues, and the index's rules on a small drawn coast."""

from __future__ import annotations

import fnmatch
import functools
import json
import math
import random
import tomllib
from pathlib import Path

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import shape

from geofences import coast
from geofences.coast import LandIndex, coast_bytes, land_index
from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon
from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.integrity.thresholds import IntegrityRules
from shipwatch.scenarios.geo import (
    CHONGJIN_BERTH,
    CHONGJIN_WEST_BERTH,
    EDGE_ANCHORAGE,
    PRODUCTS_BERTH,
    RAJIN_BERTH,
    SECOND_BERTH,
)
from shipwatch.settings import BUNDLED_GEOFENCES

ROOT = Path(__file__).resolve().parents[3]
ON_LAND_M = IntegrityRules().on_land_m  # the rule's threshold: 1 km inland

# (lat, lon)
DEEP_INLAND = {
    "Primorye, north of Nakhodka": (43.5, 132.5),
    "North Korea inland": (41.0, 129.0),
    "Honshu inland": (36.0, 139.0),
    "South Korea inland": (36.5, 128.5),
    "Hokkaido inland": (43.5, 142.5),
}
OPEN_SEA = {
    "Sea of Japan centre": (40.0, 134.0),
    "Sea of Japan north": (44.0, 137.0),
    "off Chongjin": (41.5, 130.5),
    "off Vostochny": (42.5, 133.2),
}
OUTSIDE = {
    "null island": (0.0, 0.0),
    "Shanghai": (31.2, 121.5),
    "Yellow Sea, west of the box": (36.0, 124.0),
    "Sakhalin north, above the box": (50.0, 142.8),
}


@pytest.fixture(scope="module")
def index() -> LandIndex:
    return land_index()


# The plain answer: shapely on every point, on the file read here (no grid, no segments).
COLLECTION = json.loads(coast_bytes())
LAND = shapely.union_all([shape(f["geometry"]) for f in COLLECTION["features"]])
COVERAGE = (127.0, 33.0, 143.0, 47.5)  # the regional layer's box (COAST-LICENSE.md)
SEA = shapely.box(*COVERAGE).difference(LAND)


@functools.cache
def plain_inland_m(lat: float, lon: float) -> float | None:
    """None outside the box; 0 at sea; else the distance to the sea within the box, in a local
    projection around the point, and no more than the distance to the box's edge."""
    west, south, east, north = COVERAGE
    if not (west <= lon <= east and south <= lat <= north):
        return None
    if not LAND.contains(shapely.Point(lon, lat)):
        return 0.0
    lon_m = metres_per_degree_lon(lat)
    k = lon_m / METRES_PER_DEGREE
    local_sea = affinity.affine_transform(SEA, [k, 0.0, 0.0, 1.0, -lon * k, -lat])
    sea_m = shapely.distance(shapely.Point(0.0, 0.0), local_sea) * METRES_PER_DEGREE
    edge_m = min(
        (lat - south) * METRES_PER_DEGREE,
        (north - lat) * METRES_PER_DEGREE,
        (lon - west) * lon_m,
        (east - lon) * lon_m,
    )
    return min(sea_m, edge_m)


def assert_same_as_plain(index: LandIndex, lat: float, lon: float) -> None:
    fast = index.inland_m(lat, lon)
    plain = plain_inland_m(lat, lon)
    if plain is None or plain == 0.0:
        assert fast == plain, (lat, lon)
    else:
        assert fast == pytest.approx(plain, rel=1e-9, abs=1e-6), (lat, lon)
    # The rule's question, answered without the distance where it can be, agrees too.
    for metres in (ON_LAND_M, 3_000.0):
        beyond = index.inland_beyond(lat, lon, metres)
        assert beyond == (None if plain is None else plain > metres), (lat, lon, metres)
    # The grid's classes hold: no land in a sea cell, none of the shore near a deep one; in a
    # mixed cell, no land in a sea sub-cell and no sea in a land one.
    kind = index.cell_kind(lat, lon)
    if kind == "sea":
        assert plain == 0.0, (lat, lon)
    elif kind == "deep":
        assert plain is not None and plain >= 2_000.0, (lat, lon)
    sub = index.sub_cell_kind(lat, lon)
    assert (sub is None) == (kind != "mixed"), (lat, lon)
    if sub == "sea":
        assert plain == 0.0, (lat, lon)
    elif sub == "land":
        assert plain is not None and plain > 0.0, (lat, lon)


def near_shore_points(
    count: int, seed: int, within_m: float = 3_000.0
) -> list[tuple[float, float]]:
    """Seeded points up to `within_m` from random vertices of the drawn shore, on both sides."""
    rng = random.Random(seed)
    vertices = shapely.get_coordinates(LAND.boundary).tolist()
    points = []
    for _ in range(count):
        lon, lat = rng.choice(vertices)
        bearing = rng.uniform(0.0, 2 * math.pi)
        metres = rng.uniform(0.0, within_m)
        points.append(
            (
                lat + metres * math.cos(bearing) / METRES_PER_DEGREE,
                lon + metres * math.sin(bearing) / metres_per_degree_lon(lat),
            )
        )
    return points


# --- the bundled coastline ------------------------------------------------------------------


def test_the_index_is_built_once_from_the_package_data(index):
    assert land_index() is index
    assert index.coverage == COVERAGE
    counts = index.cell_counts()
    assert counts["sea"] > counts["deep"] > counts["mixed"] > 0


@pytest.mark.parametrize(("name", "lat_lon"), list(OUTSIDE.items()))
def test_outside_the_coverage_is_unknown(index, name, lat_lon):
    assert index.inland_m(*lat_lon) is None
    assert index.cell_kind(*lat_lon) is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_number_is_unknown(index, value):
    assert index.inland_m(value, 133.0) is None
    assert index.inland_m(42.0, value) is None


@pytest.mark.parametrize(("name", "lat_lon"), list(OPEN_SEA.items()))
def test_open_sea_is_zero_by_the_grid_alone(index, name, lat_lon):
    assert index.cell_kind(*lat_lon) == "sea"
    assert index.inland_m(*lat_lon) == 0.0


@pytest.mark.parametrize(("name", "lat_lon"), list(DEEP_INLAND.items()))
def test_deep_inland_is_more_than_the_rule_s_kilometre(index, name, lat_lon):
    inland = index.inland_m(*lat_lon)
    assert inland is not None and inland > 10 * ON_LAND_M
    assert inland == pytest.approx(plain_inland_m(*lat_lon), rel=1e-9)


def test_north_of_nakhodka_is_25_km_inland(index):
    assert index.inland_m(43.5, 132.5) == pytest.approx(25_428.0, abs=5.0)


# --- the ports: moored ships are not "on land" ------------------------------------------------

# GSHHG puts Vostochny's berths about 500-560 m inland (the coal and container berths, 42.744 N
# 133.05 E, are drawn as land), and has no breakwaters at Chongjin. A ship moored there must not
# count as more than the rule's kilometre inland.
MOORED = {
    "Vostochny berth, drawn inland": ("vostochny", (42.744, 133.05)),
    "Vostochny oil-products berth": ("vostochny", PRODUCTS_BERTH),
    "Vostochny second berth": ("vostochny", SECOND_BERTH),
    "Nakhodka Bay anchorage at the fence's edge": ("vostochny", EDGE_ANCHORAGE),
    "Chongjin east harbour berth": ("chongjin", CHONGJIN_BERTH),
    "Chongjin west harbour berth": ("chongjin", CHONGJIN_WEST_BERTH),
    "Rajin berth (no fence)": (None, RAJIN_BERTH),
}


@pytest.mark.parametrize(("name", "port_and_point"), list(MOORED.items()))
def test_a_ship_moored_in_port_is_not_a_kilometre_inland(index, name, port_and_point):
    port, (lat, lon) = port_and_point
    fences = FenceIndex(load_dir(BUNDLED_GEOFENCES))
    assert fences.locate(lat, lon).inside == (frozenset({port}) if port else frozenset())
    inland = index.inland_m(lat, lon)
    assert inland is not None and inland < ON_LAND_M


def test_the_vostochny_berth_is_drawn_on_land_within_the_margin(index):
    """Why the rule needs its kilometre: the drawn shore misses this berth by about 515 m."""
    assert 300.0 < index.inland_m(42.744, 133.05) < 700.0


# --- the fast lookup against the plain one ---------------------------------------------------


@pytest.mark.parametrize("few", [0, coast.FEW_SEGMENTS, 10**9], ids=["numpy", "mixed", "python"])
def test_the_grid_agrees_with_plain_shapely_on_a_seeded_sample(index, monkeypatch, few):
    # The distances are summed in Python for a few segments and in numpy for more: both ways.
    monkeypatch.setattr(coast, "FEW_SEGMENTS", few)
    rng = random.Random(22)
    west, south, east, north = COVERAGE
    uniform = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(300)]
    edges = [(rng.uniform(south, north), west + rng.uniform(0.0, 0.03)) for _ in range(40)]
    edges += [(north - rng.uniform(0.0, 0.03), rng.uniform(west, east)) for _ in range(40)]
    for lat, lon in uniform + edges + near_shore_points(400, seed=22):
        assert_same_as_plain(index, lat, lon)


@settings(max_examples=60, deadline=None)
@given(
    port=st.sampled_from([(129.44, 41.43, 130.17, 42.11), (132.676, 42.4, 133.41, 43.102)]),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
)
def test_the_grid_agrees_with_plain_shapely_in_the_full_resolution_ports(port, fx, fy):
    west, south, east, north = port
    assert_same_as_plain(land_index(), south + fy * (north - south), west + fx * (east - west))


def test_sub_cells_agree_with_plain_shapely_on_their_edges_and_corners(index):
    """Points exactly on sub-cell lines (where rounding picks the sub-cell) near the shore."""
    step = index.cell_deg / coast.SUB_CELLS
    west, south, _, _ = COVERAGE
    kinds = set()
    for lat, lon in near_shore_points(150, seed=23):
        on_line_lon = west + round((lon - west) / step) * step
        on_line_lat = south + round((lat - south) / step) * step
        for point in ((lat, on_line_lon), (on_line_lat, lon), (on_line_lat, on_line_lon)):
            assert_same_as_plain(index, *point)
            kinds.add(index.sub_cell_kind(*point))
    assert kinds >= {"sea", "shore", "land"}


def test_a_mixed_cell_s_sub_cells_are_mostly_decided_without_the_polygon(index):
    counts = index.sub_cell_counts()
    assert sum(counts.values()) == index.cell_counts()["mixed"] * coast.SUB_CELLS**2
    assert counts["sea"] + counts["land"] > 2 * counts["shore"]


def test_sub_cells_at_the_coverage_s_edge_are_tested_against_the_polygon():
    # The cape's land reaches the west edge, where its outline is a cut: a point on that
    # edge is not inside the land (0 m), so the sub-cells there are never "land".
    index = LandIndex(_coast(CAPE, bbox=[0.0, 0.0, 2.0, 2.0]), cell_deg=0.5)
    assert index.inland_m(1.0, 0.0) == 0.0
    assert index.sub_cell_kind(1.0, 0.0) == "shore"
    assert index.sub_cell_kind(1.0, 0.3) == "land"
    assert index.sub_cell_kind(1.8, 0.8) == "sea"
    assert index.inland_m(1.8, 0.8) == 0.0


def test_shore_m_measures_at_sea_too(index):
    # Off the oil-products berth: at sea, a few hundred metres from the drawn shore.
    assert index.inland_m(*PRODUCTS_BERTH) == 0.0
    assert 100.0 < index.shore_m(*PRODUCTS_BERTH) < 1_000.0


# --- the rules on a small drawn coast --------------------------------------------------------


def _coast(*rings: list[list[float]], bbox: list[float] | None = None) -> dict:
    properties = {"bbox": bbox} if bbox else {}
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for ring in rings
        ],
    }


ISLAND = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]
CAPE = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.5], [0.0, 1.5], [0.0, 0.5]]  # cut by the box's west side


def test_an_island_measured_in_the_local_projection():
    index = LandIndex(_coast(ISLAND, bbox=[0.0, 0.0, 2.0, 2.0]))
    # From the centre the east and west shores are nearer: a degree of longitude is shorter.
    assert index.inland_m(1.0, 1.0) == pytest.approx(0.5 * metres_per_degree_lon(1.0))
    assert index.cell_kind(1.0, 1.0) == "deep"
    assert index.inland_m(1.4, 1.0) == pytest.approx(0.1 * METRES_PER_DEGREE)
    assert index.inland_m(0.2, 0.2) == 0.0
    assert index.inland_m(1.0, 1.6) == 0.0
    assert index.shore_m(1.0, 1.6) == pytest.approx(0.1 * metres_per_degree_lon(1.0))
    assert index.inland_m(2.5, 1.0) is None
    assert index.inland_m(1.0, -0.1) is None


def test_where_the_file_s_box_cuts_the_land_there_is_no_shore_and_the_edge_caps():
    index = LandIndex(_coast(CAPE, bbox=[0.0, 0.0, 2.0, 2.0]))
    lon_m = metres_per_degree_lon(1.0)
    # Half a degree of latitude to the north and south shores; the west side is a cut, and
    # what lies beyond it is unknown: never more inland than the distance to the box's edge.
    assert index.inland_m(1.0, 0.8) == pytest.approx(0.2 * lon_m)  # the east shore
    assert index.inland_m(1.0, 0.6) == pytest.approx(0.4 * lon_m)
    assert index.inland_m(1.0, 0.3) == pytest.approx(0.3 * lon_m)  # capped by the edge
    assert index.inland_m(1.0, 0.0) == 0.0  # on the edge itself
    assert index.inland_m(1.0, 0.55) == pytest.approx(min(0.45 * lon_m, 0.5 * METRES_PER_DEGREE))


def test_without_bbox_properties_the_coverage_is_the_land_s():
    index = LandIndex(_coast(ISLAND))
    assert index.coverage == (0.5, 0.5, 1.5, 1.5)
    assert index.inland_m(0.4, 1.0) is None


def test_an_empty_coast_is_unknown_everywhere():
    index = LandIndex({"type": "FeatureCollection", "features": []})
    assert index.inland_m(1.0, 1.0) is None


# --- packaging ------------------------------------------------------------------------------


def test_the_coastline_and_its_licence_travel_in_the_wheel():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["geofences"]
    data = sorted((ROOT / "geofences" / "data").iterdir())
    assert {p.name for p in data} >= {"coast.geojson", "COAST-LICENSE.md"}
    for path in data:
        relative = path.relative_to(ROOT / "geofences").as_posix()
        assert any(fnmatch.fnmatch(relative, g) for g in globs), f"{relative} left out"
