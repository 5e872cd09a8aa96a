"""Any other CSV through `--columns field=column,...`: the generic mapped dialect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.errors import BadColumns, Rejected
from shipwatch.ais.files import RawUnit, read_units
from shipwatch.ais.mapped_csv import FIELDS, decode_row, parse_columns
from shipwatch.ais.raw_message import decode_message
from shipwatch.cli.main import main

SPEC = "mmsi=ship_id,ts=time,lat=y,lon=x,sog=speed,name=vessel,imo=imo_no"
CSV = (
    "time,ship_id,y,x,speed,vessel,imo_no,extra\n"
    "2024-03-07T01:20:00Z,445123456,42.742,133.055,0.1,CHON MA SAN 7,IMO8912345,a\n"
    "1709774460,445123456,42.743,133.056,102.3,,,b\n"
    "07/03/2024 01:22:00,445123456,91,133.057,0.2,,,c\n"
)


def test_the_mapping_names_fields_after_columns():
    assert parse_columns(" mmsi = MMSI , ts=# Timestamp,lat=Lat,lon=Lon,") == {
        "mmsi": "MMSI",
        "ts": "# Timestamp",
        "lat": "Lat",
        "lon": "Lon",
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mmsi=a,ts=b,lat=c", "must map lon"),
        ("mmsi=a,ts=b,lat=c,lon=d,speed=e", "unknown field 'speed'"),
        ("mmsi=a,ts=b,lat=c,lon=d,mmsi=e", "mapped twice"),
        ("mmsi,ts=b,lat=c,lon=d", "is not field=column"),
    ],
)
def test_a_bad_mapping_says_what_is_wrong(spec: str, message: str):
    with pytest.raises(BadColumns, match=message):
        parse_columns(spec)


def test_decode_reads_a_mapped_csv(tmp_path: Path, capsys):
    path = tmp_path / "other.csv"
    path.write_text(CSV)
    assert main(["decode", "--columns", SPEC, str(path)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["kind"], r["ts"]) for r in records] == [
        ("position", "2024-03-07T01:20:00Z"),
        ("static", "2024-03-07T01:20:00Z"),
        ("position", "2024-03-07T01:21:00Z"),
    ]
    assert (records[1]["name"], records[1]["imo"], records[2]["sog"]) == (
        "CHON MA SAN 7",
        8912345,
        None,
    )
    assert f"{path}:4: no_position" in err


def test_mapped_rows_on_the_raw_topic_carry_field_names(tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text(CSV)
    first = next(u for u in read_units(path, "csv", parse_columns(SPEC)) if isinstance(u, RawUnit))
    wrapped = json.loads(first.payload)
    assert wrapped["format"] == "csv" and set(wrapped["row"]) <= set(FIELDS)
    assert first.key == b"445123456"
    assert [r.kind for r in decode_message(first.payload)] == ["position", "static"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--columns", "mmsi=nope,ts=time,lat=y,lon=x"], "no column 'nope'"),
        (["--format", "noaa", "--columns", SPEC], "does not go with --format noaa"),
        (["--format", "csv"], "needs --columns"),
    ],
)
def test_mapping_mistakes_are_clear_errors(tmp_path: Path, capsys, args: list[str], message: str):
    path = tmp_path / "other.csv"
    path.write_text(CSV)
    assert main(["decode", *args, str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_malformed_mapping_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["detect", "--columns", "mmsi=a", "x.csv"])
    assert "--columns must map ts, lat, lon" in capsys.readouterr().err


CELL = st.text(max_size=12) | st.sampled_from(["91", "181", "511", "1709774400", "IMO1234567"])
KEYS = st.sampled_from(FIELDS)


@settings(max_examples=10_000, deadline=None)
@given(KEYS, CELL, KEYS, CELL)
def test_any_row_gives_records_or_a_rejection(k1: str, v1: str, k2: str, v2: str):
    row = {"mmsi": "445123456", "ts": "2024-03-07T01:20:00Z", "lat": "42", "lon": "133"}
    try:
        records = decode_row(row | {k1: v1, k2: v2})
    except Rejected as exc:
        assert exc.reason
    else:
        assert records[0].kind == "position"
