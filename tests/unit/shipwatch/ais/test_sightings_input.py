"""Satellite sightings as input: normalized JSON, GFW-style CSV through --columns, ingest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from shipwatch.ais.errors import BadColumns, Rejected
from shipwatch.ais.files import RawUnit, read_units
from shipwatch.ais.json_form import as_json, decode_json_form
from shipwatch.ais.mapped_csv import decode_row, parse_columns
from shipwatch.ais.normalized_json import decode_record
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files
from shipwatch.ais.records import Position, Sighting
from shipwatch.cli import detect as detect_command
from shipwatch.cli.main import main
from shipwatch.pipeline.frames import records_of_frame
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.schemas import validator

SIGHTING: dict[str, Any] = {
    "kind": "sighting",
    "sighting_id": "S1A-20240308-0001",
    "ts": "2024-03-08T21:14:05Z",
    "lat": 42.744,
    "lon": 133.032,
    "length_m": 100,
    "source": "sentinel-1",
}
POSITION: dict[str, Any] = {
    "kind": "position",
    "mmsi": 273_000_001,
    "ts": "2024-03-08T21:10:00Z",
    "lat": 42.7,
    "lon": 133.0,
    "sog": 0.2,
}


def line(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj)


# --- the model and normalized JSON ---------------------------------------------------------


def test_a_json_sighting_becomes_a_sighting_record() -> None:
    record = decode_record(dict(SIGHTING))
    assert isinstance(record, Sighting)
    assert record.sighting_id == "S1A-20240308-0001"
    assert record.ts == datetime(2024, 3, 8, 21, 14, 5, tzinfo=UTC)
    assert (record.lat, record.lon, record.length_m, record.source) == (
        42.744,
        133.032,
        100.0,
        "sentinel-1",
    )
    assert not hasattr(record, "mmsi")


def test_optional_fields_default_to_null_and_the_json_form_keeps_the_contract_order() -> None:
    bare = {k: SIGHTING[k] for k in ("kind", "sighting_id", "ts", "lat", "lon")}
    record = decode_record({**bare, "ts": "2024-03-08T23:14:05+02:00", "sighting_id": " S-2 "})
    assert isinstance(record, Sighting)
    assert (record.sighting_id, record.length_m, record.source) == ("S-2", None, None)
    as_dict = as_json(record)
    assert list(as_dict) == ["kind", "sighting_id", "ts", "lat", "lon", "length_m", "source"]
    assert as_dict == {
        "kind": "sighting",
        "sighting_id": "S-2",
        "ts": "2024-03-08T21:14:05Z",
        "lat": 42.744,
        "lon": 133.032,
        "length_m": None,
        "source": None,
    }
    assert as_dict == record.model_dump(mode="json")  # the written-out form is the model's
    validator("sightings")(as_dict)


def test_decode_json_form_gives_the_published_sighting() -> None:
    assert decode_json_form(line(SIGHTING)) == [
        {**SIGHTING, "length_m": 100.0},
    ]
    assert decode_message(line(SIGHTING)) == [Sighting.model_validate(SIGHTING)]


@pytest.mark.parametrize("missing", ["sighting_id", "ts", "lat", "lon"])
def test_each_missing_required_field_is_a_missing_field_rejection(missing: str) -> None:
    obj = {k: v for k, v in SIGHTING.items() if k != missing}
    with pytest.raises(Rejected) as caught:
        decode_record(obj)
    assert caught.value.reason == "missing_field"
    assert caught.value.detail.startswith(f"{missing}:")
    with pytest.raises(Rejected) as again:  # the same through the ingest's JSON path
        decode_json_form(line(obj))
    assert (again.value.reason, again.value.detail) == ("missing_field", caught.value.detail)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sighting_id", ""),
        ("sighting_id", "   "),
        ("sighting_id", "x" * 121),
        ("sighting_id", 17),
        ("ts", "yesterday"),
        ("lat", 90.5),
        ("lat", "north"),
        ("lon", -180.01),
        ("mmsi", 273_000_001),  # a sighting names no vessel
    ],
)
def test_each_bad_value_is_an_invalid_field_rejection_naming_it(field: str, value: Any) -> None:
    with pytest.raises(Rejected) as caught:
        decode_record({**SIGHTING, field: value})
    assert caught.value.reason == "invalid_field"
    assert caught.value.detail.startswith(f"{field}:")


# Issue 13: the optional length_m and source no longer cost the sighting (they were
# `invalid_field`): an invalid one becomes null and is counted.
@pytest.mark.parametrize(
    ("field", "value"),
    [("length_m", 0), ("length_m", -3.0), ("length_m", 600.5), ("source", "s" * 61)],
)
def test_a_bad_optional_value_is_null_and_counted(field: str, value: Any) -> None:
    nulled: list[str] = []
    record = decode_record({**SIGHTING, field: value}, nulled)
    assert record.model_dump(mode="json") == {**SIGHTING, field: None}
    assert nulled == [field]


def test_the_unsupported_kind_message_lists_the_four_kinds() -> None:
    with pytest.raises(Rejected) as caught:
        decode_record({**SIGHTING, "kind": "detection"})
    assert caught.value.reason == "unsupported_kind"
    assert "'position', 'static', 'sighting' or 'scene'" in caught.value.detail


# --- a GFW SAR detections CSV through --columns ---------------------------------------------

GFW_SPEC = (
    "sighting_id=detect_id,ts=detect_timestamp,lat=detect_lat,lon=detect_lon,length_m=length_m"
)
GFW_CSV = (
    "scene_id,detect_id,detect_timestamp,detect_lat,detect_lon,length_m,ssvid,presence\n"
    "S1A_IW_GRDH_1SDV_20240308,S1A_IW_GRDH_1SDV_20240308;133.032;42.744,"
    "2024-03-08 21:14:05 UTC,42.744,133.032,100,,0.98\n"
    "S1A_IW_GRDH_1SDV_20240308,S1A_IW_GRDH_1SDV_20240308;133.5;42.5,"
    "2024-03-08T21:14:07Z,42.5,133.5,,273000001,0.91\n"
    "S1A_IW_GRDH_1SDV_20240308,S1A_IW_GRDH_1SDV_20240308;133.6;95,"
    "2024-03-08T21:14:07Z,95,133.6,40,,0.5\n"
    "S1A_IW_GRDH_1SDV_20240308,,2024-03-08T21:14:08Z,42.6,133.6,40,,0.5\n"
)


def test_a_sighting_mapping_has_its_own_fields() -> None:
    assert parse_columns(GFW_SPEC) == {
        "sighting_id": "detect_id",
        "ts": "detect_timestamp",
        "lat": "detect_lat",
        "lon": "detect_lon",
        "length_m": "length_m",
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sighting_id=a,ts=b,lat=c", "must map lon"),
        ("sighting_id=a,mmsi=m,ts=b,lat=c,lon=d", "not both"),
        ("sighting_id=a,ts=b,lat=c,lon=d,sog=e", "sog: not a field of sightings"),
        ("mmsi=a,ts=b,lat=c,lon=d,length_m=e", "length_m: not a field of AIS rows"),
        ("ts=b,lat=c,lon=d", "must map mmsi"),
    ],
)
def test_a_bad_sighting_mapping_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(BadColumns, match=message):
        parse_columns(spec)


def test_a_gfw_csv_through_columns_gives_sightings_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "sar.csv"
    path.write_text(GFW_CSV)
    tally = Tally()
    items = list(decode_files([path], "auto", tally, parse_columns(GFW_SPEC)))
    decoded = [r for i in items if isinstance(i, Decoded) for r in i.records]
    assert decoded == [
        Sighting(
            sighting_id="S1A_IW_GRDH_1SDV_20240308;133.032;42.744",
            ts=datetime(2024, 3, 8, 21, 14, 5, tzinfo=UTC),
            lat=42.744,
            lon=133.032,
            length_m=100.0,
        ),
        Sighting(
            sighting_id="S1A_IW_GRDH_1SDV_20240308;133.5;42.5",
            ts=datetime(2024, 3, 8, 21, 14, 7, tzinfo=UTC),
            lat=42.5,
            lon=133.5,
        ),
    ]
    failed = [(i.line, i.error.reason, i.error.detail) for i in items if isinstance(i, Failed)]
    assert [(n, reason) for n, reason, _ in failed] == [
        (4, "invalid_field"),
        (5, "missing_field"),
    ]
    assert failed[0][2].startswith("lat:") and failed[1][2] == "sighting_id"
    assert dict(tally.kinds) == {"sighting": 2}


def test_sighting_rows_on_the_raw_topic_are_self_describing(tmp_path: Path) -> None:
    path = tmp_path / "sar.csv"
    path.write_text(GFW_CSV)
    first = next(
        u for u in read_units(path, "csv", parse_columns(GFW_SPEC)) if isinstance(u, RawUnit)
    )
    wrapped = json.loads(first.payload)
    assert wrapped == {
        "format": "csv",
        "row": {
            "sighting_id": "S1A_IW_GRDH_1SDV_20240308;133.032;42.744",
            "ts": "2024-03-08 21:14:05 UTC",
            "lat": "42.744",
            "lon": "133.032",
            "length_m": "100",
        },
    }
    assert first.key is None  # no MMSI to key by
    (published,) = decode_json_form(first.payload)  # what the worker makes of it
    assert published["sighting_id"] == "S1A_IW_GRDH_1SDV_20240308;133.032;42.744"
    assert (published["ts"], published["length_m"], published["source"]) == (
        "2024-03-08T21:14:05Z",
        100.0,
        None,
    )


@pytest.mark.parametrize(
    ("cells", "reason", "field"),
    [
        ({"lat": "n/a"}, "invalid_field", "lat"),
        ({"ts": "31/02/2024 10:00:00"}, "invalid_field", "ts"),
        ({"lon": ""}, "missing_field", "lon"),
    ],
)
def test_bad_sighting_rows_are_rejected_naming_the_field(
    cells: dict[str, str], reason: str, field: str
) -> None:
    row = {"sighting_id": "d1", "ts": "2024-03-08T21:14:05Z", "lat": "42.7", "lon": "133.0"}
    with pytest.raises(Rejected) as caught:
        decode_row(row | cells)
    assert caught.value.reason == reason
    assert caught.value.detail.split(":")[0] == field


@pytest.mark.parametrize(
    "cells",
    [{"length_m": "0"}, {"length_m": "long"}, {"source": "x" * 61}],
)
def test_a_bad_optional_cell_of_a_sighting_row_is_null_and_counted(cells: dict[str, str]) -> None:
    row = {"sighting_id": "d1", "ts": "2024-03-08T21:14:05Z", "lat": "42.7", "lon": "133.0"}
    nulled: list[str] = []
    (record,) = decode_row(row | cells, nulled)
    assert isinstance(record, Sighting) and record.lat == 42.7
    assert (record.length_m, record.source) == (None, None)
    assert nulled == list(cells)


def test_a_sighting_row_with_a_source_keeps_it() -> None:
    row = {"sighting_id": "d1", "ts": "1709932445", "lat": "42.7", "lon": "133", "source": " S2 "}
    (record,) = decode_row(row)
    assert isinstance(record, Sighting)
    assert (record.source, record.ts) == ("S2", datetime(2024, 3, 8, 21, 14, 5, tzinfo=UTC))


# --- mixed JSON lines: decode_files, the decode and detect commands -------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    later = {**POSITION, "ts": "2024-03-08T21:20:00Z", "lat": 42.71}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\n".join([line(POSITION), line(SIGHTING), line({**SIGHTING, "lat": 91}), line(later)])
        + b"\n"
    )
    return path


def test_a_mixed_jsonl_decodes_positions_and_sightings_in_order(mixed: Path) -> None:
    tally = Tally()
    items = list(decode_files([mixed], "auto", tally))
    assert [type(i).__name__ for i in items] == ["Decoded", "Decoded", "Failed", "Decoded"]
    records = [r for i in items if isinstance(i, Decoded) for r in i.records]
    assert [r.kind for r in records] == ["position", "sighting", "position"]
    assert isinstance(records[0], Position) and records[0].mmsi == 273_000_001
    assert isinstance(records[1], Sighting) and records[1].sighting_id == "S1A-20240308-0001"
    assert isinstance(records[2], Position) and records[2].lat == 42.71
    failed = next(i for i in items if isinstance(i, Failed))
    assert (failed.line, failed.error.reason) == (3, "invalid_field")
    assert failed.error.detail.startswith("lat:")
    assert tally.summary() == "2 position, 1 sighting; 1 rejected (invalid_field=1)"


def test_decode_prints_sightings_and_counts_them(mixed: Path, capsys) -> None:
    assert main(["decode", str(mixed)]) == 0
    out, err = capsys.readouterr()
    printed = [json.loads(text) for text in out.splitlines()]
    assert [r["kind"] for r in printed] == ["position", "sighting", "position"]
    assert printed[1] == {**SIGHTING, "length_m": 100.0}
    assert list(printed[1]) == list(SIGHTING)
    assert f"{mixed}:3: invalid_field: lat:" in err
    assert err.splitlines()[-1] == ("decode: 2 position, 1 sighting; 1 rejected (invalid_field=1)")


def test_detect_hands_sightings_to_the_detector_in_file_order(
    mixed: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []

    class Recording:
        def __init__(self, *_: object, **__: object) -> None:
            pass

        def process(self, record: Position | Sighting) -> list[object]:
            name = record.sighting_id if isinstance(record, Sighting) else str(record.mmsi)
            seen.append((record.kind, name))
            return []

        def flush(self) -> list[object]:
            return []

    monkeypatch.setattr(detect_command, "Detector", Recording)
    assert main(["detect", str(mixed)]) == 0
    assert seen == [
        ("position", "273000001"),
        ("sighting", "S1A-20240308-0001"),
        ("position", "273000001"),
    ]
    assert "2 position, 1 sighting; 1 rejected" in capsys.readouterr().err


# --- ingest ---------------------------------------------------------------------------------


def stage() -> IngestStage:
    return IngestStage("ns.ais-raw", Routing(lambda mmsi: mmsi % 3, lambda lat, lon: True))


class Message:
    def __init__(self, offset: int, value: bytes) -> None:
        self.partition, self.offset, self.key, self.value = 0, offset, None, value
        self.timestamp = 1_709_932_445_000 + offset


def test_ingest_routes_a_sighting_to_sightings_and_into_a_frame_for_the_sea() -> None:
    out = stage().batch(0, [Message(0, line(POSITION)), Message(1, line(SIGHTING))])
    assert [(sid, orjson.loads(blob)) for sid, blob in out.sightings] == [
        ("S1A-20240308-0001", {**SIGHTING, "length_m": 100.0}),
    ]
    assert [m for m, _ in out.positions] == [273_000_001]
    assert [m for m, _ in out.nearby] == [273_000_001]  # the map takes every fix here
    assert out.statics == [] and out.dead_letters == []
    framed = [r for _, f in out.frames for r in records_of_frame(f)]
    # The sighting rides a frame too, so that the track stage passes it to the sea stage
    # behind the same partition's progress as the AIS around it.
    assert [r["kind"] for r in framed] == ["position", "sighting"]
    validator("sightings")(orjson.loads(out.sightings[0][1]))


def test_a_bad_sighting_in_a_batch_is_a_dead_letter_and_the_batch_goes_on() -> None:
    bad = line({k: v for k, v in SIGHTING.items() if k != "ts"})
    later = {**SIGHTING, "sighting_id": "S1A-20240308-0002"}
    out = stage().batch(0, [Message(0, bad), Message(1, line(POSITION)), Message(2, line(later))])
    assert out.rejected == {"missing_field": 1}
    ((key, value),) = out.dead_letters
    letter = orjson.loads(value)
    assert key is None
    assert (letter["reason"], letter["stage"]) == ("missing_field", "ingest")
    assert letter["detail"].startswith("ts:")
    assert letter["source"] == {"topic": "ns.ais-raw", "partition": 0, "offset": 0}
    assert letter["raw"] == bad.decode()
    validator("dead-letters")(letter)
    assert [sid for sid, _ in out.sightings] == ["S1A-20240308-0002"]
    assert [m for m, _ in out.positions] == [273_000_001]
