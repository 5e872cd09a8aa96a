"""Decoders of the raw topic and of files: records or clear rejections, never exceptions."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.errors import Rejected, UnknownFormat
from shipwatch.ais.files import RawUnit, UnreadableUnit, read_units, sniff
from shipwatch.ais.noaa_csv import COLUMNS, decode_row
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files

HEADER = ",".join(COLUMNS)
ROW = (
    "445123456,2024-03-07T01:02:03,42.74200,133.05500,0.1,215.3,511,CHON MA SAN 7,"
    "IMO8912345,HMXY7,80,5,105,16,7.2,80,A"
)


def noaa_row(**overrides: str) -> dict[str, str]:
    row = dict(zip(COLUMNS, ROW.split(","), strict=True))
    row.update(overrides)
    return row


def test_a_marinecadastre_row_gives_a_position_and_static_data():
    position, static = decode_row(noaa_row())
    assert position.kind == "position" and static.kind == "static"
    assert (position.mmsi, position.lat, position.lon, position.sog) == (
        445123456,
        42.742,
        133.055,
        0.1,
    )
    assert position.heading is None  # 511 is "not available"
    assert position.ts.isoformat() == "2024-03-07T01:02:03+00:00"
    assert (static.imo, static.name, static.ship_type, static.draught) == (
        8912345,
        "CHON MA SAN 7",
        80,
        7.2,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "value"),
    [
        ({"SOG": "102.3"}, "sog", None),
        ({"COG": "360"}, "cog", None),
        ({"Status": ""}, "nav_status", None),
    ],
)
def test_not_available_values_become_null(overrides, field, value):
    position = decode_row(noaa_row(**overrides))[0]
    assert getattr(position, field) == value


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"LAT": "91"}, "no_position"),
        ({"LON": "181"}, "no_position"),
        ({"LAT": "95.5"}, "invalid_field"),
        ({"LAT": "north"}, "invalid_field"),
        ({"MMSI": ""}, "missing_field"),
        ({"BaseDateTime": "yesterday"}, "invalid_field"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(overrides, reason):
    with pytest.raises(Rejected) as caught:
        decode_row(noaa_row(**overrides))
    assert caught.value.reason == reason


def test_normalized_json_round_trips():
    position = decode_row(noaa_row())[0]
    again = decode_message(orjson.dumps(position.model_dump(mode="json")))
    assert again == [position]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"hello", "unknown_format"),
        (b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24", "unsupported_format"),
        (b"{broken", "bad_json"),
        (b"[445990101, 42.2, 132.1]", "bad_json"),  # JSON, but an array, not a record
        (b'"a string"', "unknown_format"),
        (b'{"kind": "static", "mmsi": 992351000, "ts": "2024-03-07T00:00:00Z"}', "not_a_vessel"),
        (b'{"format": "nope", "row": {}}', "unknown_format"),
        (b"{" + b" " * 70_000 + b"}", "too_large"),
    ],
)
def test_raw_messages_that_cannot_be_records(payload, reason):
    with pytest.raises(Rejected) as caught:
        decode_message(payload)
    assert caught.value.reason == reason


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_records_or_a_rejection(payload):
    try:
        records = decode_message(payload)
    except Rejected as exc:
        assert exc.reason
    else:
        assert records


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=12)))
def test_any_row_gives_records_or_a_rejection(row):
    try:
        decode_row(row)
    except Rejected as exc:
        assert exc.reason


def test_format_is_told_from_the_first_line():
    assert sniff(HEADER.encode()) == "noaa"
    assert sniff(b'{"kind": "position"}') == "jsonl"
    assert sniff(b"!AIVDM,1,1,,A,1,0*00") == "nmea"
    with pytest.raises(UnknownFormat):
        sniff(b"hello world")


def test_csv_files_and_gzip_are_read_line_by_line(tmp_path: Path):
    text = f"{HEADER}\n{ROW}\n1,2,3\n\n{ROW}\n".encode()
    plain = tmp_path / "a.csv"
    plain.write_bytes(text)
    packed = tmp_path / "a.csv.gz"
    packed.write_bytes(gzip.compress(text))
    for path in (plain, packed):
        units = list(read_units(path))
        assert [type(u) for u in units] == [RawUnit, UnreadableUnit, RawUnit]
        assert [u.line for u in units] == [2, 3, 5]
        assert units[0].key == b"445123456"
        assert units[1].error.reason == "bad_csv"


def test_a_record_that_mentions_a_csv_header_is_still_json() -> None:
    assert sniff(b'{"kind": "static", "name": "Type of mobile"}') == "jsonl"
    assert sniff(b'{"MMSI,BaseDateTime": 1}') == "jsonl"


def test_a_truncated_gzip_ends_with_a_rejection_after_the_lines_it_held(tmp_path: Path):
    lines = [f'{{"kind":"position","mmsi":{273000000 + i},"ts":"2024-03-07T00:00:00Z",'
             f'"lat":42.0,"lon":133.0}}' for i in range(2000)]  # fmt: skip
    packed = gzip.compress("\n".join(lines).encode() + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    units = list(read_units(path))
    assert all(isinstance(u, RawUnit) for u in units[:-1]) and len(units) > 1
    assert [u.raw for u in units[:-1]] == [line.encode() for line in lines[: len(units) - 1]]
    last = units[-1]
    assert isinstance(last, UnreadableUnit) and last.error.reason == "truncated"


def test_lines_no_format_shows_before_one_that_does_are_rejected(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    record = '{"kind":"position","mmsi":273000001,"ts":"2024-03-07T00:00:00Z","lat":1,"lon":2}'
    path.write_text(f"null\n[1, 2]\n{record}\n")
    units = list(read_units(path))
    assert [type(u) for u in units] == [UnreadableUnit, UnreadableUnit, RawUnit]
    assert [u.error.reason for u in units[:2]] == ["unknown_format"] * 2  # type: ignore[union-attr]
    path.write_text("noise\n" * 10)
    with pytest.raises(UnknownFormat):  # none in the first lines: say what to give
        list(read_units(path))


def test_a_noaa_header_in_another_case_is_read_as_the_noaa_header(tmp_path: Path):
    path = tmp_path / "lower.csv"
    path.write_text(f"{HEADER.lower()}\n{ROW}\n")
    tally = Tally()
    items = list(decode_files([path], "auto", tally))
    assert [type(i) for i in items] == [Decoded] and not tally.rejected
    assert tally.kinds == {"position": 1, "static": 1}


def test_decode_files_counts_what_it_rejects(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{ROW.replace('42.74200', '91')}\n")
    tally = Tally()
    items = list(decode_files([path], "auto", tally))
    assert [type(i) for i in items] == [Decoded, Failed]
    assert tally.kinds == {"position": 1, "static": 1}
    assert tally.rejected == {"no_position": 1}
    assert "1 rejected (no_position=1)" in tally.summary()


def test_an_unknown_file_format_is_an_error(tmp_path: Path):
    path = tmp_path / "x.txt"
    path.write_text("hello\n")
    with pytest.raises(UnknownFormat):
        list(read_units(path))
