"""The Danish Maritime Authority's aisdk CSV: real header, text statuses and ship types."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.dma_csv import COLUMNS, decode_row
from shipwatch.ais.errors import Rejected
from shipwatch.ais.files import sniff
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files
from shipwatch.cli.main import main
from tests.fixtures.ais_input import HEADER, ROW


def dma_row(**overrides: str) -> dict[str, str]:
    row = dict(zip(COLUMNS, ROW.split(","), strict=True))
    row.update(overrides)
    return row


def test_a_dma_row_gives_a_position_and_static_data():
    position, static = decode_row(dma_row())
    assert position.model_dump(mode="json") == {
        "kind": "position",
        "mmsi": 445123456,
        "ts": "2024-03-07T01:20:00Z",
        "lat": 42.742,
        "lon": 133.055,
        "sog": 0.1,
        "cog": 215.3,
        "heading": None,
        "nav_status": 5,
    }
    assert static.model_dump(mode="json") == {
        "kind": "static",
        "mmsi": 445123456,
        "ts": "2024-03-07T01:20:00Z",
        "imo": None,
        "name": "CHON MA SAN 7",
        "callsign": "HMXY7",
        "ship_type": 80,
        "length": 105.0,
        "beam": 16.0,
        "draught": 7.2,
        "destination": "CHONGJIN",
        "eta": "2024-03-10T14:30:00Z",
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Under way using engine", 0),
        ("At anchor", 1),
        ("Not under command", 2),
        ("Restricted manoeuverability", 3),
        ("Constrained by her draught", 4),
        ("Moored", 5),
        ("Engaged in fishing", 7),
        ("Under way sailing", 8),
        ("Power-driven vessel towing astern", 11),
        ("AIS-SART", 14),
        ("Unknown value", 15),
        ("Something new", None),
        ("", None),
    ],
)
def test_navigational_status_text_becomes_the_itu_code(text: str, code: int | None):
    assert decode_row(dma_row(**{"Navigational status": text}))[0].nav_status == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Tanker", 80),
        ("Cargo", 70),
        ("Passenger", 60),
        ("Fishing", 30),
        ("Tug", 52),
        ("Towing long/wide", 32),
        ("Anti-pollution", 54),
        ("HSC", 40),
        ("Undefined", None),
        ("Reserved", None),
    ],
)
def test_ship_type_text_becomes_the_start_of_its_ais_range(text: str, code: int | None):
    records = decode_row(dma_row(**{"Ship type": text}))
    assert records[1].ship_type == code


def test_dimensions_come_from_a_b_c_d_when_length_and_width_are_missing():
    static = decode_row(dma_row(Width="", Length=""))[1]
    assert (static.length, static.beam) == (105.0, 16.0)


def test_a_row_without_static_fields_gives_only_the_position():
    bare = {c: "" for c in COLUMNS[5:]}
    assert [r.kind for r in decode_row(dma_row(**bare))] == ["position"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"Type of mobile": "Base Station"}, "not_a_vessel"),
        ({"Type of mobile": "AtoN"}, "not_a_vessel"),
        ({"Latitude": "91.000000"}, "no_position"),
        ({"Longitude": "181"}, "no_position"),
        ({"Latitude": ""}, "no_position"),
        ({"Latitude": "95.5"}, "no_position"),
        ({"# Timestamp": "2024-03-07 01:20:00"}, "invalid_field"),
        ({"# Timestamp": "31/02/2024 01:20:00"}, "invalid_field"),
        ({"MMSI": ""}, "missing_field"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(overrides: dict[str, str], reason: str):
    with pytest.raises(Rejected) as caught:
        decode_row(dma_row(**overrides))
    assert caught.value.reason == reason


def test_a_bad_optional_field_is_null_and_counted_not_a_rejection():
    # Issue 13: an invalid SOG no longer costs the position (it was `invalid_field`).
    nulled: list[str] = []
    position, static = decode_row(dma_row(SOG="fast"), nulled)
    assert position.sog is None and position.cog == 215.3 and static.name == "CHON MA SAN 7"
    assert nulled == ["sog"]


def test_a_station_by_its_mmsi_is_not_a_vessel_on_the_raw_topic():
    payload = json.dumps({"format": "dma", "row": dma_row(MMSI="2190047")}).encode()
    with pytest.raises(Rejected, match="not_a_vessel"):
        decode_message(payload)


def test_dma_files_with_an_index_column_and_gzip(tmp_path: Path, capsys):
    base = ROW.replace("Class A", "Base Station").replace("445123456", "2190047")
    lines = [f",{HEADER}", f"0,{ROW}", f"1,{base}", f"2,{ROW.replace('42.742000', '91')}"]
    text = ("\r\n".join(lines) + "\r\n").encode()
    assert sniff(text.splitlines()[0]) == "dma"
    plain, packed = tmp_path / "aisdk.csv", tmp_path / "aisdk.csv.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    for path in (plain, packed):
        tally = Tally()
        items = list(decode_files([path], "auto", tally))
        assert [type(i) for i in items] == [Decoded, Failed, Failed]
        assert [items[0].unit.line] + [i.line for i in items[1:]] == [2, 3, 4]
        assert tally.rejected == {"not_a_vessel": 1, "no_position": 1}
    assert main(["decode", "--format", "dma", str(plain)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["position", "static"]
    assert f"{plain}:3: not_a_vessel" in err
    assert "1 position, 1 static; 2 rejected" in err


TEXT = st.text(max_size=12) | st.sampled_from(["91", "181", "Unknown", "07/03/2024 01:20:00"])
COLUMN = st.integers(0, len(COLUMNS) - 1)


# Two changed cells on a valid row reach every branch; more draws only slow Hypothesis down.
@settings(max_examples=10_000, deadline=None)
@given(COLUMN, TEXT, COLUMN, TEXT)
def test_any_row_gives_records_or_a_rejection(c1: int, t1: str, c2: int, t2: str):
    try:
        records = decode_row(dma_row(**{COLUMNS[c1]: t1, COLUMNS[c2]: t2}))
    except Rejected as exc:
        assert exc.reason
    else:
        assert records[0].kind == "position"
