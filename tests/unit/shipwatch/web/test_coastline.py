"""The committed coastline (geofences/data/coast.geojson) the vessel pages draw as land.

Made by scripts/make-coastline.py from GSHHG; these checks read only the committed file. It is
geofences' package data (the on-land rule reads it) and the pages load it at /static/coast.geojson.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from shipwatch.web.pages import static_files
from tests.fixtures.timeline import CHONGJIN_BERTH, VOSTOCHNY_BERTH

ROOT = Path(__file__).resolve().parents[4]
COAST = ROOT / "geofences" / "data" / "coast.geojson"
LICENSE = ROOT / "geofences" / "data" / "COAST-LICENSE.md"
FENCES = ROOT / "geofences" / "fences"

# (lat, lon)
INLAND = {
    "Nakhodka city centre": (42.82, 132.87),
    "Vladivostok": (43.12, 131.90),
    "North Korea inland": (41.0, 129.0),
    "Honshu inland": (36.0, 139.0),
    "Hokkaido inland": (43.5, 142.5),
    "South Korea inland": (36.5, 128.5),
}
OPEN_SEA = {
    "Sea of Japan centre": (40.0, 134.0),
    "Sea of Japan north": (44.0, 137.0),
    "off Chongjin": (41.5, 130.5),
    "off Vostochny": (42.5, 133.2),
}


@pytest.fixture(scope="module")
def collection() -> dict:
    return json.loads(COAST.read_text())


@pytest.fixture(scope="module")
def land(collection):
    geom = shapely.union_all([shape(f["geometry"]) for f in collection["features"]])
    shapely.prepare(geom)
    return geom


def test_file_is_small_enough_to_serve():
    assert COAST.stat().st_size < 2_000_000


def test_the_pages_get_it_at_static_coast_geojson():
    body, content_type = static_files()["coast.geojson"]
    assert body == COAST.read_bytes()
    assert content_type == "application/geo+json"


def test_is_a_feature_collection_of_valid_land_polygons(collection):
    assert collection["type"] == "FeatureCollection"
    assert collection["features"]
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        geom = shape(feature["geometry"])
        assert geom.is_valid, shapely.is_valid_reason(geom)
        assert not geom.is_empty
        assert geom.area > 0


def test_coordinates_are_lon_lat_in_the_region_rounded_to_5_decimals(collection):
    for feature in collection["features"]:
        coords = shapely.get_coordinates(shape(feature["geometry"]))
        lon, lat = coords[:, 0], coords[:, 1]
        assert lon.min() >= 127.0 and lon.max() <= 143.0
        assert lat.min() >= 33.0 and lat.max() <= 47.5
        assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()


def test_has_a_regional_layer_and_a_port_layer_for_every_fence(collection):
    details = [f["properties"]["detail"] for f in collection["features"]]
    assert details.count("regional") == 1
    ports = [f for f in collection["features"] if f["properties"]["detail"] == "port"]
    fences = sorted(FENCES.glob("*.geojson"))
    assert len(ports) == len(fences)
    for fence_path in fences:
        fence = shape(json.loads(fence_path.read_text())["features"][0]["geometry"])
        assert any(shapely.box(*f["properties"]["bbox"]).contains(fence) for f in ports), (
            f"no full-resolution box around {fence_path.name}"
        )


@pytest.mark.parametrize(
    ("name", "lat_lon"), [("Vostochny berth", VOSTOCHNY_BERTH), ("Chongjin berth", CHONGJIN_BERTH)]
)
def test_berths_are_in_water(land, name, lat_lon):
    lat, lon = lat_lon
    assert not land.intersects(Point(lon, lat)), f"{name} is drawn on land"


@pytest.mark.parametrize(("name", "lat_lon"), list(INLAND.items()))
def test_inland_points_are_land(land, name, lat_lon):
    lat, lon = lat_lon
    assert land.contains(Point(lon, lat)), f"{name} is not drawn as land"


@pytest.mark.parametrize(("name", "lat_lon"), list(OPEN_SEA.items()))
def test_open_sea_points_are_water(land, name, lat_lon):
    lat, lon = lat_lon
    assert not land.intersects(Point(lon, lat)), f"{name} is drawn as land"


def test_licence_names_the_source_and_the_licence():
    text = LICENSE.read_text()
    assert "GSHHG" in text
    assert "Wessel" in text and "Smith" in text
    assert "LGPL" in text or "Lesser General Public License" in text
