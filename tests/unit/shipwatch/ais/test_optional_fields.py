"""Issue 13: a bad optional field must not lose the record.

In every input format (NMEA through pyais, the NOAA, DMA and mapped CSVs, normalized JSON), an
invalid value of an optional field becomes null, the rest of the record is kept as it was, and
the field is counted (`nulled` of the decoders, `Routed.invalid_fields` of ingest, the summary
of `decode`); an invalid required field (MMSI, time, coordinates) still rejects the input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipwatch import metrics
from shipwatch.ais import dma_csv, mapped_csv, noaa_csv
from shipwatch.ais.decoder import Accepted, Refused, StreamDecoder
from shipwatch.ais.dma_labels import nav_status, ship_type
from shipwatch.ais.errors import Rejected
from shipwatch.ais.json_form import decode_json_form
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.reading import Tally, decode_files
from shipwatch.ais.records import OPTIONAL_FIELD_NAMES, OPTIONAL_FIELDS, AnyRecord, Position, Static
from shipwatch.cli.main import main
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from tests.fixtures.ais_input import POSITION, T0, VOYAGE, sentences, tagged

SOME = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --- values no optional field accepts -----------------------------------------------------


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text.strip().casefold() not in {"unknown", "undefined", "unknown value", "none"}
    return False


GARBAGE = st.text("abcdefghijklmnopqrstuvwxyz?!#*/ ", min_size=1, max_size=12).filter(
    lambda t: bool(t.strip()) and _not_a_number(t)
)


def _above(low: float, high: float = 1e6) -> st.SearchStrategy[float]:
    return st.floats(low, high, exclude_min=True, allow_nan=False)


NEGATIVE = st.floats(-1e6, 0, exclude_max=True, allow_nan=False)
# Numbers out of each field's range, sentinels for "not available" left out (they are null,
# but not counted: they are no error).
OUT_OF_RANGE: dict[str, st.SearchStrategy[float]] = {
    "sog": _above(102.2).filter(lambda v: v != 102.3) | NEGATIVE,
    "cog": _above(360.0) | NEGATIVE,
    "heading": st.integers(360, 510) | st.integers(512, 100_000) | st.integers(-1000, -1),
    "nav_status": st.integers(16, 1000) | st.integers(-1000, -1),
    "ship_type": st.integers(256, 100_000) | st.integers(-1000, -1),
    "imo": st.integers(10_000_000, 10**12),
    "length": _above(600.0) | NEGATIVE,
    "beam": _above(100.0) | NEGATIVE,
    "draught": _above(30.0) | NEGATIVE,
}
TOO_LONG = {"name": 121, "callsign": 21, "destination": 121, "source": 61}
LONG_TEXT = {f: st.text("ABCDEFGHIJ ", min_size=n, max_size=n + 20).map(lambda s: "X" + s + "X")
             for f, n in TOO_LONG.items()}  # fmt: skip


def bad_text(field: str) -> st.SearchStrategy[str]:
    """A CSV cell no value of `field` can come from."""
    if field in LONG_TEXT:
        return LONG_TEXT[field]
    if field == "imo":  # thousands of digits: more than int() reads
        return OUT_OF_RANGE["imo"].map(str) | GARBAGE.map(lambda t: "IMO" + t) | st.just("9" * 5000)
    if field == "eta":
        return GARBAGE | st.sampled_from(["13/13/2024 00:00:00", "31/02/2024 10:00:00"])
    return OUT_OF_RANGE[field].map(str) | GARBAGE | st.just("4_2")  # float() reads 42


INTS = st.integers(-(2**63), 2**63 - 1)  # what JSON (orjson) carries


def bad_json(field: str) -> st.SearchStrategy[Any]:
    """A JSON value no value of `field` can come from."""
    if field in LONG_TEXT:
        return LONG_TEXT[field] | INTS | st.lists(INTS, max_size=2)
    if field == "eta":
        return INTS | st.lists(INTS, max_size=2) | st.just({"month": 13})
    numbers = OUT_OF_RANGE[field] if field != "length_m" else OUT_OF_RANGE["length"]
    return numbers | GARBAGE | st.lists(INTS, max_size=2) | st.booleans()  # true is no 1


def dumps(records: Sequence[AnyRecord]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in records]


def with_null(records: Sequence[AnyRecord], field: str) -> list[dict[str, Any]]:
    """The records' JSON with `field` null, wherever it is."""
    out = dumps(records)
    for d in out:
        if field in d:
            d[field] = None
    return out


def optional_of(records: Sequence[AnyRecord], field: str) -> Any:
    (value,) = [getattr(r, field) for r in records if field in type(r).model_fields]
    return value


# --- CSV ----------------------------------------------------------------------------------

RowDecoder = Callable[..., Sequence[AnyRecord]]

NOAA_LINE = (
    "445123456,2024-03-07T01:02:03,42.74200,133.05500,0.1,215.3,90,NAME,IMO8912345,HMXY7,"
    "80,5,105,16,7.2,80,A"
)
NOAA_ROW = dict(zip(noaa_csv.COLUMNS, NOAA_LINE.split(","), strict=True))
NOAA_COLUMNS = {
    "sog": "SOG", "cog": "COG", "heading": "Heading", "nav_status": "Status",
    "imo": "IMO", "name": "VesselName", "callsign": "CallSign", "ship_type": "VesselType",
    "length": "Length", "beam": "Width", "draught": "Draft",
}  # fmt: skip
# A and B, C and D (the antenna's distances) left empty: a garbled length or beam has no
# stand-in, it becomes null.
DMA_LINE = (
    "07/03/2024 01:20:00,Class A,445123456,42.742000,133.055000,Moored,0.0,0.1,215.3,90,"
    "9123458,HMXY7,CHON MA SAN 7,Tanker,No additional information,16,105,GPS,7.2,CHONGJIN,"
    "10/03/2024 14:30:00,AIS,,,,"
)
DMA_ROW = dict(zip(dma_csv.COLUMNS, DMA_LINE.split(","), strict=True))
DMA_COLUMNS = {
    "sog": "SOG", "cog": "COG", "heading": "Heading", "nav_status": "Navigational status",
    "imo": "IMO", "name": "Name", "callsign": "Callsign", "ship_type": "Ship type",
    "length": "Length", "beam": "Width", "draught": "Draught", "destination": "Destination",
    "eta": "ETA",
}  # fmt: skip
MAPPED_ROW = {
    "mmsi": "445123456", "ts": "2024-03-07T01:20:00Z", "lat": "42.742", "lon": "133.055",
    "sog": "0.1", "cog": "215.3", "heading": "90", "nav_status": "5", "name": "CHON MA SAN 7",
    "imo": "9123458", "callsign": "HMXY7", "ship_type": "80", "length": "105", "beam": "16",
    "draught": "7.2", "destination": "CHONGJIN", "eta": "03-10 14:30",
}  # fmt: skip
# `eta` of a mapped CSV is free text: no value of it is invalid.
MAPPED_COLUMNS = {f: f for f in MAPPED_ROW if f not in ("mmsi", "ts", "lat", "lon", "eta")}
# Texts, not numbers: any the DMA's tables do not know, but for its words for "unknown".
UNKNOWN_LABEL = GARBAGE.filter(
    lambda t: nav_status(t) is None and ship_type(t) is None and t.strip().casefold() != "reserved"
)
DMA_LABELS = {"nav_status": UNKNOWN_LABEL, "ship_type": UNKNOWN_LABEL}

CSV_CASES = [
    ("noaa", noaa_csv.decode_row, NOAA_ROW, NOAA_COLUMNS),
    ("dma", dma_csv.decode_row, DMA_ROW, DMA_COLUMNS),
    ("csv", mapped_csv.decode_row, MAPPED_ROW, MAPPED_COLUMNS),
]
CSV_FIELDS = [
    (dialect, decode, row, field, column)
    for dialect, decode, row, columns in CSV_CASES
    for field, column in columns.items()
]


def _csv_bad(dialect: str, field: str) -> st.SearchStrategy[str]:
    if dialect == "dma" and field in DMA_LABELS:
        return DMA_LABELS[field]
    return bad_text(field)


def row_message(dialect: str, row: Mapping[str, str]) -> bytes:
    return orjson.dumps({"format": dialect, "row": dict(row)})


@pytest.mark.parametrize(("dialect", "decode", "row", "columns"), CSV_CASES)
def test_the_base_rows_are_valid_and_set_every_optional_field(
    dialect: str, decode: RowDecoder, row: dict[str, str], columns: dict[str, str]
) -> None:
    nulled: list[str] = []
    records = decode(row, nulled)
    assert nulled == [] and [r.kind for r in records] == ["position", "static"]
    assert all(optional_of(records, f) is not None for f in columns)


@pytest.mark.parametrize(("dialect", "decode", "row", "field", "column"), CSV_FIELDS)
@SOME
@given(data=st.data())
def test_a_bad_csv_cell_of_an_optional_field_is_null_and_counted(
    dialect: str,
    decode: RowDecoder,
    row: dict[str, str],
    field: str,
    column: str,
    data: st.DataObject,
) -> None:
    bad = data.draw(_csv_bad(dialect, field), label=column)
    nulled: list[str] = []
    records = decode({**row, column: bad}, nulled)
    assert dumps(records) == with_null(decode(row), field)
    assert nulled == [field]
    via_raw: list[str] = []  # the same through the raw topic's message
    assert dumps(decode_message(row_message(dialect, {**row, column: bad}), via_raw)) == dumps(
        records
    )
    assert via_raw == [field]


REQUIRED_CSV = {
    "noaa": [
        ({"LAT": "95.5"}, "invalid_field"),
        ({"LON": "east"}, "invalid_field"),
        ({"LAT": "91"}, "no_position"),
        ({"MMSI": ""}, "missing_field"),
        ({"MMSI": "4451x"}, "invalid_field"),
        ({"BaseDateTime": "yesterday"}, "invalid_field"),
    ],
    "dma": [
        ({"Latitude": "95.5"}, "no_position"),
        ({"Longitude": "east"}, "invalid_field"),
        ({"MMSI": ""}, "missing_field"),
        ({"# Timestamp": "31/02/2024 01:20:00"}, "invalid_field"),
    ],
    "csv": [
        ({"lat": "95.5"}, "no_position"),
        ({"lon": "east"}, "invalid_field"),
        ({"mmsi": ""}, "missing_field"),
        ({"ts": "yesterday"}, "invalid_field"),
    ],
}


@pytest.mark.parametrize(("dialect", "decode", "row", "columns"), CSV_CASES)
@SOME
@given(data=st.data())
def test_a_bad_required_csv_cell_still_rejects_even_beside_a_bad_optional_one(
    dialect: str,
    decode: RowDecoder,
    row: dict[str, str],
    columns: dict[str, str],
    data: st.DataObject,
) -> None:
    change, reason = data.draw(st.sampled_from(REQUIRED_CSV[dialect]))
    bad_ones = data.draw(st.lists(st.sampled_from(sorted(columns)), max_size=3, unique=True))
    cells = {columns[f]: data.draw(_csv_bad(dialect, f), label=f) for f in bad_ones}
    nulled: list[str] = []
    with pytest.raises(Rejected) as caught:
        decode_message(row_message(dialect, {**row, **cells, **change}), nulled)
    assert caught.value.reason == reason
    assert nulled == []  # nothing counted for a rejected input


def test_not_available_values_are_null_and_not_counted() -> None:
    nulled: list[str] = []
    row = {**NOAA_ROW, "SOG": "102.3", "COG": "360", "Heading": "511", "Length": "0"}
    (position, static) = noaa_csv.decode_row(row, nulled)
    assert (position.sog, position.cog, position.heading, static.length) == (None,) * 4
    assert nulled == []


def test_a_dma_row_keeps_fields_it_never_reads_whatever_they_hold() -> None:
    row = {**DMA_ROW, "ROT": "-731.4", "Cargo type": "??", "Data source type": "42"}
    nulled: list[str] = []
    assert dumps(dma_csv.decode_row(row, nulled)) == dumps(dma_csv.decode_row(DMA_ROW))
    assert nulled == []


def test_a_garbled_dma_length_falls_back_to_the_antenna_distances_uncounted() -> None:
    row = {**DMA_ROW, "Length": "long", "A": "50", "B": "55"}
    nulled: list[str] = []
    (_, static) = dma_csv.decode_row(row, nulled)
    assert static.length == 105 and nulled == []


# --- normalized JSON ----------------------------------------------------------------------

JSON_BASE: dict[str, dict[str, Any]] = {
    "position": {
        "kind": "position", "mmsi": 445123456, "ts": "2024-03-07T01:20:00Z", "lat": 42.742,
        "lon": 133.055, "sog": 0.1, "cog": 215.3, "heading": 90, "nav_status": 5,
    },
    "static": {
        "kind": "static", "mmsi": 445123456, "ts": "2024-03-07T01:20:00Z", "imo": 9123458,
        "name": "CHON MA SAN 7", "callsign": "HMXY7", "ship_type": 80, "length": 105.0,
        "beam": 16.0, "draught": 7.2, "destination": "CHONGJIN", "eta": "2024-03-10T14:30:00Z",
    },
    "sighting": {
        "kind": "sighting", "sighting_id": "S1A-1", "ts": "2024-03-08T21:14:05Z", "lat": 42.7,
        "lon": 133.0, "length_m": 100.0, "source": "sentinel-1",
    },
}  # fmt: skip
JSON_FIELDS = [
    (kind, field)
    for kind, model in (("position", Position), ("static", Static))
    for field in sorted(OPTIONAL_FIELDS[model])
    if field != "eta" or kind == "static"
] + [("sighting", "length_m"), ("sighting", "source")]
JSON_REQUIRED = {
    "position": [
        ("lat", 95.0),
        ("lon", "east"),
        ("lat", True),
        ("mmsi", 0),
        ("mmsi", True),
        ("ts", "yesterday"),
        ("ts", "2099-01-01T00:00:00Z"),  # far ahead of our clock
    ],
    "static": [("mmsi", "x"), ("ts", "2024-13-01T00:00:00Z"), ("ts", "0999-01-01T00:00:00Z")],
    "sighting": [("lat", -91.0), ("lon", False), ("sighting_id", ""), ("ts", None)],
}


def stage() -> IngestStage:
    return IngestStage("ns.ais-raw", Routing(lambda mmsi: mmsi % 3, lambda lat, lon: lat > 0))


class Raw:
    """A raw topic message as a Kafka client gives it."""

    def __init__(self, value: bytes, offset: int = 0) -> None:
        self.partition, self.offset, self.key, self.value = 0, offset, None, value
        self.timestamp = (T0 + offset) * 1000


@pytest.mark.parametrize(("kind", "field"), JSON_FIELDS)
@SOME
@given(data=st.data())
def test_a_bad_json_value_of_an_optional_field_is_null_and_counted(
    kind: str, field: str, data: st.DataObject
) -> None:
    base = JSON_BASE[kind]
    payload = orjson.dumps({**base, field: data.draw(bad_json(field), label=field)})
    nulled: list[str] = []
    records = decode_message(payload, nulled)
    assert dumps(records) == [{**base, field: None}]
    assert nulled == [field]
    fast: list[str] = []  # the ingest's JSON path, fast path or not, says the same
    assert decode_json_form(payload, fast) == [{**base, field: None}]
    assert fast == [field]


@pytest.mark.parametrize("kind", sorted(JSON_REQUIRED))
@SOME
@given(data=st.data())
def test_a_bad_required_json_value_still_rejects_even_beside_a_bad_optional_one(
    kind: str, data: st.DataObject
) -> None:
    required, value = data.draw(st.sampled_from(JSON_REQUIRED[kind]))
    optional = [f for k, f in JSON_FIELDS if k == kind]
    bad_ones = data.draw(st.lists(st.sampled_from(optional), max_size=3, unique=True))
    obj = {**JSON_BASE[kind], **{f: data.draw(bad_json(f), label=f) for f in bad_ones}}
    payload = orjson.dumps({**obj, required: value})
    nulled: list[str] = []
    with pytest.raises(Rejected) as caught:
        decode_json_form(payload, nulled)
    assert caught.value.reason == "invalid_field"
    assert caught.value.detail.startswith(f"{required}:")
    assert nulled == []


def test_an_unknown_key_still_rejects() -> None:
    with pytest.raises(Rejected, match="invalid_field: extra"):
        decode_message(orjson.dumps({**JSON_BASE["position"], "heading": 360, "extra": 1}))


# --- NMEA ---------------------------------------------------------------------------------

# Each optional field pyais can carry out of range, in the bits AIS gives it.
NMEA_BAD: dict[str, tuple[dict[str, Any], st.SearchStrategy[dict[str, Any]]]] = {
    "heading": (POSITION, st.integers(360, 510).map(lambda v: {"heading": v})),
    "cog": (POSITION, st.integers(3601, 4095).map(lambda v: {"course": v / 10})),
    "imo": (VOYAGE, st.integers(10_000_000, 2**30 - 1).map(lambda v: {"imo": v})),
    "length": (
        VOYAGE,
        st.tuples(st.integers(90, 511), st.integers(0, 511))
        .filter(lambda t: sum(t) > 600)
        .map(lambda t: {"to_bow": t[0], "to_stern": t[1]}),
    ),
    "beam": (
        VOYAGE,
        st.tuples(st.integers(38, 63), st.integers(38, 63))
        .filter(lambda t: sum(t) > 100)
        .map(lambda t: {"to_port": t[0], "to_starboard": t[1]}),
    ),
    "eta": (
        VOYAGE,
        st.integers(13, 15).map(lambda m: {"month": m})
        | st.sampled_from([{"month": 2, "day": 30}, {"month": 4, "day": 31}]),
    ),
}
NMEA_POSITION = {**POSITION, "course": 215.3, "heading": 90, "status": 5}


def nmea_lines(msg: dict[str, Any]) -> list[bytes]:
    return [tagged(s, T0).encode() for s in sentences(msg, seq_id=1)]


def decoded(msg: dict[str, Any]) -> Accepted | Refused:
    decoder = StreamDecoder()
    (out,) = [o for line in nmea_lines(msg) for o in decoder.feed(line)]
    assert isinstance(out, Accepted | Refused)
    return out


@pytest.mark.parametrize("field", sorted(NMEA_BAD))
@SOME
@given(data=st.data())
def test_a_bad_nmea_value_of_an_optional_field_is_null_and_counted(
    field: str, data: st.DataObject
) -> None:
    base, changes = NMEA_BAD[field]
    base = NMEA_POSITION if base is POSITION else base
    good, out = decoded(base), decoded({**base, **data.draw(changes)})
    assert isinstance(good, Accepted) and good.nulled == ()
    assert isinstance(out, Accepted), out
    assert dumps(out.records) == with_null(good.records, field)
    assert out.nulled == (field,)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lat": 91.0}, "no_position"),
        ({"lon": 181.0}, "no_position"),
        ({"mmsi": 2190047}, "not_a_vessel"),
    ],
)
def test_a_bad_required_nmea_value_still_rejects_beside_a_bad_heading(
    change: dict[str, Any], reason: str
) -> None:
    out = decoded({**NMEA_POSITION, "heading": 400, **change})
    assert isinstance(out, Refused) and out.error.reason == reason


def test_not_available_nmea_values_are_null_and_not_counted() -> None:
    out = decoded({**NMEA_POSITION, "speed": 102.3, "course": 360.0, "heading": 511})
    assert isinstance(out, Accepted) and out.nulled == ()
    assert [(r.sog, r.cog, r.heading) for r in out.records if isinstance(r, Position)] == [
        (None, None, None)
    ]


# --- counted where people see it ----------------------------------------------------------


def test_ingest_counts_the_nulled_fields_of_a_batch_and_keeps_the_records() -> None:
    position = JSON_BASE["position"]
    values = [
        orjson.dumps({**position, "heading": 360}),
        orjson.dumps({**position, "heading": 361, "sog": "fast"}),
        orjson.dumps(position),
        row_message("dma", {**DMA_ROW, "SOG": "fast"}),
        orjson.dumps({**position, "lat": 95.0, "heading": 400}),  # rejected: not counted
        *nmea_lines({**NMEA_POSITION, "heading": 400}),
    ]
    out = stage().batch(0, [Raw(v, i) for i, v in enumerate(values)])
    assert len(out.positions) == 5 and out.rejected == {"invalid_field": 1}
    assert out.invalid_fields == {"heading": 3, "sog": 2}
    published = [orjson.loads(blob) for _, blob in out.positions]
    assert [p["heading"] for p in published] == [None, None, 90, 90, None]
    assert all("nulled" not in p for p in published)  # the record's shape is the contract's


def test_a_valid_batch_counts_nothing() -> None:
    out = stage().batch(0, [Raw(orjson.dumps(JSON_BASE["position"]))])
    assert out.invalid_fields == {} and len(out.positions) == 1


def test_decode_says_how_many_values_it_set_to_null(tmp_path: Path, capsys) -> None:
    position = JSON_BASE["position"]
    lines = [orjson.dumps({**position, "heading": 360 + i % 2}) for i in range(31)]
    lines += [orjson.dumps({**position, "sog": 103.5}), orjson.dumps(position)]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    tally = Tally()
    assert len(list(decode_files([path], "auto", tally))) == 33
    assert tally.nulled == {"heading": 31, "sog": 1}
    assert main(["decode", str(path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 33
    assert all(json.loads(line)["heading"] in (None, 90) for line in out.splitlines())
    assert err.splitlines()[-1] == (
        "decode: 33 position; 0 rejected; invalid optional fields set to null: heading 31, sog 1"
    )


def test_the_metric_starts_at_zero_for_every_optional_field() -> None:
    metrics.init_series([], [])
    for name in OPTIONAL_FIELD_NAMES:
        value = metrics.REGISTRY.get_sample_value("shipwatch_invalid_fields_total", {"field": name})
        assert value is not None
    assert set(OPTIONAL_FIELD_NAMES) == {f for fs in OPTIONAL_FIELDS.values() for f in fs}
