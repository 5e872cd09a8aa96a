"""Satellite scenes as input (issue 22): the model, its footprint checks, normalized JSON,
decode, detect's reading and replay's keys; a sighting naming its scene."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from shipwatch.ais.errors import Rejected
from shipwatch.ais.files import RawUnit, read_units
from shipwatch.ais.geojson import area_m2
from shipwatch.ais.json_form import as_json, decode_json_form
from shipwatch.ais.mapped_csv import decode_row, parse_columns
from shipwatch.ais.normalized_json import decode_record
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files
from shipwatch.ais.records import OPTIONAL_FIELD_NAMES, Position, Scene, Sighting
from shipwatch.cli import detect as detect_command
from shipwatch.cli.main import main
from shipwatch.pipeline.schemas import validator
from tests.fixtures.imagery import SCENE, SIGHTING, SQUARE

POSITION: dict[str, Any] = {
    "kind": "position",
    "mmsi": 273_000_001,
    "ts": "2024-03-12T20:10:00Z",
    "lat": 42.5,
    "lon": 133.5,
    "sog": 0.2,
}


def line(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj)


def rejection(obj: dict[str, Any]) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decode_record(obj)
    with pytest.raises(Rejected) as again:  # the same through the ingest's JSON path
        decode_json_form(line(obj))
    assert (again.value.reason, again.value.detail) == (caught.value.reason, caught.value.detail)
    return caught.value


def footprint(*rings: list[list[Any]], kind: str = "Polygon") -> dict[str, Any]:
    return {"type": kind, "coordinates": list(rings)}


# --- the model ------------------------------------------------------------------------------


def test_a_json_scene_becomes_a_scene_record_in_the_contract_form() -> None:
    record = decode_record(dict(SCENE))
    assert isinstance(record, Scene)
    assert record.scene_id == "S1A-20240312-0007"
    assert record.ts == datetime(2024, 3, 12, 20, 17, 39, tzinfo=UTC)
    assert (record.source, record.min_length_m) == ("sentinel-1", 40.0)
    assert not hasattr(record, "mmsi")
    published = as_json(record)
    assert list(published) == ["kind", "scene_id", "ts", "footprint", "source", "min_length_m"]
    assert published == SCENE
    assert published == record.model_dump(mode="json")  # the written-out form is the model's
    validator("sightings")(published)


def test_optional_fields_are_null_and_numbers_become_floats() -> None:
    bare = {k: SCENE[k] for k in ("kind", "scene_id", "ts")}
    ints = [[133, 42], [134, 42], [134, 43], [133, 43], [133, 42]]
    record = decode_record(
        {**bare, "ts": "2024-03-12T22:17:39+02:00", "footprint": footprint(ints)}
    )
    assert isinstance(record, Scene)
    assert (record.source, record.min_length_m) == (None, None)
    assert as_json(record) == {**SCENE, "source": None, "min_length_m": None}
    assert all(type(v) is float for p in record.footprint["coordinates"][0] for v in p)


def test_a_multipolygon_and_a_polygon_with_a_hole_are_scenes() -> None:
    other = [[135.0, 42.0], [136.0, 42.0], [136.0, 43.0], [135.0, 42.0]]
    multi = decode_record({**SCENE, "footprint": footprint([SQUARE], [other], kind="MultiPolygon")})
    assert isinstance(multi, Scene) and multi.footprint["type"] == "MultiPolygon"
    validator("sightings")(as_json(multi))
    hole = [[133.4, 42.4], [133.6, 42.4], [133.6, 42.6], [133.4, 42.4]]
    holed = decode_record({**SCENE, "footprint": footprint(SQUARE, hole)})
    assert isinstance(holed, Scene) and len(holed.footprint["coordinates"]) == 2


def test_a_geojson_bbox_is_dropped_and_tuples_from_python_are_arrays() -> None:
    record = decode_record(
        {**SCENE, "footprint": {**footprint(SQUARE), "bbox": [133, 42, 134, 43]}}
    )
    assert isinstance(record, Scene) and record.footprint == SCENE["footprint"]
    made = Scene(
        scene_id="S", ts=datetime(2024, 3, 12, tzinfo=UTC),
        footprint={"type": "Polygon", "coordinates": [[tuple(p) for p in SQUARE]]},
    )  # fmt: skip
    assert made.footprint == SCENE["footprint"]


@pytest.mark.parametrize("missing", ["scene_id", "ts", "footprint"])
def test_each_missing_required_field_is_a_missing_field_rejection(missing: str) -> None:
    error = rejection({k: v for k, v in SCENE.items() if k != missing})
    assert error.reason == "missing_field"
    assert error.detail.startswith(f"{missing}:")


BAD_FOOTPRINTS: list[tuple[str, Any, str]] = [
    ("not an object", [SQUARE], "must be a GeoJSON Polygon or MultiPolygon object, not an array"),
    ("null", None, "not null"),
    ("a point", {"type": "Point", "coordinates": [133.5, 42.5]}, "got 'Point'"),
    ("a feature", {"type": "Feature", "geometry": {}}, "give the Feature's geometry"),
    ("no coordinates", {"type": "Polygon"}, "coordinates are missing"),
    ("another key", {**footprint(SQUARE), "crs": {}}, "unexpected key 'crs'"),
    ("no rings", footprint(), "coordinates must be a non-empty list of rings"),
    ("a ring not a list", {"type": "Polygon", "coordinates": ["ring"]}, "ring 0 must be a list"),
    ("three positions", footprint([[0, 0], [1, 0], [0, 0]]), "ring 0 has 3 positions"),
    (
        "not closed",
        footprint([*SQUARE[:-1], [133.0, 42.5]]),
        "ring 0 is not closed: it starts at [133.0, 42.0] and ends at [133.0, 42.5]",
    ),
    (
        "three numbers",
        footprint([[133, 42, 0], *SQUARE[1:]]),
        "ring 0 position 0 must be [lon, lat] (two numbers), got [133,42,0]",
    ),
    ("a string", footprint([["133", 42], *SQUARE[1:]]), "ring 0 position 0 must be [lon, lat]"),
    ("a boolean", footprint([[True, 42], *SQUARE[1:]]), "got [true,42]"),
    ("lon out of range", footprint([[190, 42], *SQUARE[1:-1], [190, 42]]), "lon 190 is outside"),
    (
        "lat, lon swapped",
        footprint([[42, 133], [42, 134], [43, 134], [42, 133]]),
        "ring 0 position 0: lat 133 is outside -90..90 (GeoJSON positions are [lon, lat])",
    ),
    (
        "a bow tie",
        footprint([[133, 42], [134, 43], [134, 42], [133, 43], [133, 42]]),
        "not a valid polygon: Self-intersection",
    ),
    ("no area", footprint([[133, 42]] * 4), "not a valid polygon"),
    (
        "overlapping parts",
        footprint([SQUARE], [SQUARE], kind="MultiPolygon"),
        "not a valid polygon",
    ),
    (
        "a short ring of a later polygon",
        footprint([SQUARE], [[[135, 42], [136, 42], [136, 43]]], kind="MultiPolygon"),
        "polygon 1, ring 0 has 3 positions",
    ),
    ("an empty multipolygon", footprint(kind="MultiPolygon"), "non-empty list of polygons"),
    (
        "a third of the earth",
        footprint([[0, 0], [60, 0], [60, 60], [0, 60], [0, 0]]),
        "km2 is too large for a satellite scene (at most 1,000,000 km2",
    ),
]


@pytest.mark.parametrize(
    ("value", "message"),
    [(v, m) for _, v, m in BAD_FOOTPRINTS],
    ids=[n for n, _, _ in BAD_FOOTPRINTS],
)
def test_each_bad_footprint_is_rejected_with_its_reason(value: Any, message: str) -> None:
    error = rejection({**SCENE, "footprint": value})
    assert error.reason == "invalid_field"
    assert error.detail.startswith("footprint: ")
    assert message in error.detail


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scene_id", ""),
        ("scene_id", "   "),
        ("scene_id", "x" * 121),
        ("scene_id", 7),
        ("ts", "yesterday"),
        ("source", "s" * 61),  # nothing of a scene is nulled: a bad scene is refused
        ("min_length_m", 0),
        ("min_length_m", -5),
        ("min_length_m", 600.5),
        ("min_length_m", "big"),
        ("mmsi", 273_000_001),  # a scene names no vessel
        ("lat", 42.5),
    ],
)
def test_each_bad_value_is_an_invalid_field_rejection_naming_it(field: str, value: Any) -> None:
    error = rejection({**SCENE, field: value})
    assert error.reason == "invalid_field"
    assert error.detail.startswith(f"{field}:")


def test_a_scene_of_sentinel_size_passes_and_its_area_is_about_right() -> None:
    # 2.5 degrees of latitude by 3.4 of longitude at 42 N: about 278 km by 281 km.
    ring = [[132.0, 41.0], [135.4, 41.0], [135.4, 43.5], [132.0, 43.5], [132.0, 41.0]]
    assert isinstance(decode_record({**SCENE, "footprint": footprint(ring)}), Scene)
    km2 = area_m2([[ring]]) / 1e6
    assert 77_000 < km2 < 79_000


# --- a sighting names its scene ---------------------------------------------------------------


def test_a_sighting_may_name_its_scene_and_keeps_its_old_form_without() -> None:
    plain = decode_record(dict(SIGHTING))
    assert isinstance(plain, Sighting) and plain.scene_id is None
    assert "scene_id" not in as_json(plain) and "scene_id" not in plain.model_dump(mode="json")
    named = decode_record({**SIGHTING, "scene_id": " S1A-20240312-0007 "})
    assert isinstance(named, Sighting) and named.scene_id == "S1A-20240312-0007"
    published = as_json(named)
    assert list(published)[-1] == "scene_id"
    assert published == named.model_dump(mode="json") == {**SIGHTING, "scene_id": named.scene_id}
    validator("sightings")(published)
    validator("sightings")(as_json(plain))


def test_a_bad_scene_id_of_a_sighting_is_null_and_counted() -> None:
    nulled: list[str] = []
    record = decode_record({**SIGHTING, "scene_id": ""}, nulled)
    assert isinstance(record, Sighting) and record.scene_id is None
    assert nulled == ["scene_id"]
    assert OPTIONAL_FIELD_NAMES.count("scene_id") == 1
    assert len(set(OPTIONAL_FIELD_NAMES)) == len(OPTIONAL_FIELD_NAMES)  # metric labels, once


def test_a_sighting_csv_may_map_its_scene_id() -> None:
    mapping = parse_columns("sighting_id=detect_id,ts=t,lat=y,lon=x,scene_id=scene_id")
    assert mapping["scene_id"] == "scene_id"
    row = {"sighting_id": "d1", "ts": "2024-03-12T20:17:39Z", "lat": "42.5", "lon": "133.5"}
    (named,) = decode_row(row | {"scene_id": " S1A-7 "})
    assert isinstance(named, Sighting) and named.scene_id == "S1A-7"
    (plain,) = decode_row(row | {"scene_id": ""})
    assert isinstance(plain, Sighting) and plain.scene_id is None


# --- decode, detect, replay -------------------------------------------------------------------


def test_decode_message_keeps_a_scene_it_has_no_mmsi_to_check() -> None:
    assert decode_message(line(SCENE)) == [Scene.model_validate(SCENE)]
    assert decode_json_form(line(SCENE)) == [SCENE]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    bad = {**SCENE, "scene_id": "S-open", "footprint": footprint([*SQUARE[:-1], [133.0, 42.5]])}
    named = {**SIGHTING, "scene_id": SCENE["scene_id"]}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\n".join([line(POSITION), line(SCENE), line(bad), line(named), line(POSITION)]) + b"\n"
    )
    return path


def test_a_mixed_jsonl_decodes_scenes_in_order(mixed: Path) -> None:
    tally = Tally()
    items = list(decode_files([mixed], "auto", tally))
    assert [type(i).__name__ for i in items] == [
        "Decoded", "Decoded", "Failed", "Decoded", "Decoded",
    ]  # fmt: skip
    records = [r for i in items if isinstance(i, Decoded) for r in i.records]
    assert [r.kind for r in records] == ["position", "scene", "sighting", "position"]
    assert isinstance(records[1], Scene) and records[1].scene_id == SCENE["scene_id"]
    assert isinstance(records[2], Sighting) and records[2].scene_id == SCENE["scene_id"]
    failed = next(i for i in items if isinstance(i, Failed))
    assert (failed.line, failed.error.reason) == (3, "invalid_field")
    assert failed.error.detail.startswith("footprint: ring 0 is not closed")
    assert tally.summary() == "2 position, 1 scene, 1 sighting; 1 rejected (invalid_field=1)"


def test_decode_prints_scenes_and_names_the_bad_line(
    mixed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", str(mixed)]) == 0
    out, err = capsys.readouterr()
    printed = [json.loads(text) for text in out.splitlines()]
    assert [r["kind"] for r in printed] == ["position", "scene", "sighting", "position"]
    assert printed[1] == SCENE and list(printed[1]) == list(SCENE)
    assert printed[2] == {**SIGHTING, "scene_id": SCENE["scene_id"]}
    assert f"{mixed}:3: invalid_field: footprint: ring 0 is not closed" in err
    assert err.splitlines()[-1] == (
        "decode: 2 position, 1 scene, 1 sighting; 1 rejected (invalid_field=1)"
    )


def test_detect_hands_scenes_to_the_detector_in_file_order(
    mixed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []

    class Recording:
        def __init__(self, *_: object, **__: object) -> None:
            pass

        def process(self, record: Position | Sighting | Scene) -> list[object]:
            if isinstance(record, Scene):
                name = record.scene_id
            elif isinstance(record, Sighting):
                name = record.sighting_id
            else:
                name = str(record.mmsi)
            seen.append((record.kind, name))
            return []

        def flush(self) -> list[object]:
            return []

    monkeypatch.setattr(detect_command, "Detector", Recording)
    assert main(["detect", str(mixed)]) == 0
    assert seen == [
        ("position", "273000001"),
        ("scene", "S1A-20240312-0007"),
        ("sighting", "S1A-20240312-0007-01"),
        ("position", "273000001"),
    ]
    assert "2 position, 1 scene, 1 sighting; 1 rejected" in capsys.readouterr().err


def test_replay_sends_a_scene_line_unkeyed_as_it_is(mixed: Path) -> None:
    units = [u for u in read_units(mixed, "auto") if isinstance(u, RawUnit)]
    assert [u.key for u in units] == [b"273000001", None, None, None, b"273000001"]
    assert orjson.loads(units[1].payload) == SCENE
