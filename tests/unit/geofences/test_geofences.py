"""Loading and validating geofences, and the fast point lookup against the plain one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofences.errors import GeofenceError
from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.settings import BUNDLED_GEOFENCES

SQUARE = [[[10.0, 10.0], [10.1, 10.0], [10.1, 10.1], [10.0, 10.1], [10.0, 10.0]]]


def write_fence(folder: Path, name: str = "a", **props) -> Path:
    props = {"id": name, "name": name.title(), **props}
    geometry = props.pop("geometry", {"type": "Polygon", "coordinates": SQUARE})
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": props, "geometry": geometry}],
    }
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps(doc))
    return path


def test_the_bundled_fences_are_vostochny_and_chongjin():
    fences = {f.id: f for f in load_dir(BUNDLED_GEOFENCES)}
    assert set(fences) == {"vostochny", "chongjin"}
    assert fences["vostochny"].role == "loading" and fences["chongjin"].role == "discharge"


@pytest.mark.parametrize(
    ("fence", "lat", "lon", "inside"),
    [
        ("vostochny", 42.75, 133.0833, True),  # World Port Index point
        ("vostochny", 42.7165, 133.0706, True),  # GFW VOSTOCHNYY anchorage extent
        ("vostochny", 42.77, 132.9704, False),  # Nakhodka's easternmost GFW cell
        ("chongjin", 41.7667, 129.8167, True),  # World Port Index point
        ("chongjin", 41.7816, 129.8204, True),
        ("chongjin", 41.60, 129.80, False),
    ],
)
def test_reference_points_fall_where_the_sources_put_them(fence, lat, lon, inside):
    index = FenceIndex(load_dir(BUNDLED_GEOFENCES))
    assert (fence in index.locate(lat, lon).inside) is inside


def test_a_new_port_is_a_new_file(tmp_path: Path):
    write_fence(tmp_path, "alpha", role="watch", country="KP", exit_buffer_m=200)
    [fence] = load_dir(tmp_path)
    assert (fence.id, fence.role, fence.country, fence.exit_buffer_m) == (
        "alpha",
        "watch",
        "KP",
        200,
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"id": "Not A Slug"}, "slug"),
        ({"role": "party"}, "role"),
        ({"country": "Russia"}, "ISO 3166"),
        ({"exit_buffer_m": -5}, "exit_buffer_m"),
        ({"geometry": {"type": "Point", "coordinates": [1, 2]}}, "Polygon"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            "invalid",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[42, 133], [42.1, 133], [42.1, 133.1], [42, 133]]],
                }
            },
            "lon, lat",
        ),
    ],
)
def test_a_bad_fence_is_an_error_naming_its_file(tmp_path: Path, props, message):
    path = write_fence(tmp_path, "bad", **props)
    with pytest.raises(GeofenceError) as caught:
        load_dir(tmp_path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_duplicate_ids_and_empty_folders_are_errors(tmp_path: Path):
    with pytest.raises(GeofenceError, match=r"no \.geojson"):
        load_dir(tmp_path)
    write_fence(tmp_path, "a")
    (tmp_path / "b.geojson").write_text((tmp_path / "a.geojson").read_text())
    with pytest.raises(GeofenceError, match="already used"):
        load_dir(tmp_path)
    (tmp_path / "c.geojson").write_text("{not json")
    with pytest.raises(GeofenceError):
        load_dir(tmp_path)


INDEX = FenceIndex(load_dir(BUNDLED_GEOFENCES))
NEAR_PORTS = st.one_of(
    st.tuples(st.floats(42.65, 42.85), st.floats(132.90, 133.20)),
    st.tuples(st.floats(41.68, 41.86), st.floats(129.65, 129.95)),
    st.tuples(st.floats(-89, 89), st.floats(-179, 179)),
)


@settings(max_examples=2000, deadline=None)
@given(NEAR_PORTS)
def test_the_fast_lookup_agrees_with_the_plain_one(point):
    lat, lon = point
    assert INDEX.locate(lat, lon) == INDEX.locate_plain(lat, lon)
