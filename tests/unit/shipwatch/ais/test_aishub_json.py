"""AISHub web-service vessels, as the feed publishes them (one object each), decoded by
`decode_message`; and recordings mixing both live feeds, read by `decode` and `detect`."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.aishub_json import in_ais_units
from shipwatch.ais.errors import Rejected
from shipwatch.ais.files import RawUnit, read_units, sniff
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.records import AnyRecord, Position, Static
from shipwatch.cli.main import main
from tests.fixtures.timeline import loading_then_delivery
from tests.unit.shipwatch.ais.test_aisstream_json import _json, position_report, ship_static_data

MMSI = 273_456_789


def human(**fields: Any) -> dict[str, Any]:
    """One vessel of a format=1 (human-readable) answer."""
    vessel = {
        "MMSI": MMSI,
        "TIME": "2024-03-07 12:34:56 GMT",
        "LONGITUDE": 133.055,
        "LATITUDE": 42.742,
        "COG": 215.3,
        "SOG": 10.1,
        "HEADING": 214,
        "ROT": 0,
        "NAVSTAT": 0,
        "IMO": 9123458,
        "NAME": "PACIFIC STAR",
        "CALLSIGN": "UBAB3",
        "TYPE": 80,
        "A": 80,
        "B": 20,
        "C": 8,
        "D": 7,
        "DRAUGHT": 6.8,
        "DEST": "CHONGJIN",
        "ETA": "03-10 14:30",
    }
    return vessel | fields


def ais_units(**fields: Any) -> dict[str, Any]:
    """The same vessel in a format=0 answer: as transmitted."""
    vessel = {
        "MMSI": MMSI,
        "TIME": 1709814896,  # 2024-03-07 12:34:56 UTC
        "LONGITUDE": 79833000,  # 133.055 × 600000
        "LATITUDE": 25645200,  # 42.742 × 600000
        "COG": 2153,
        "SOG": 101,
        "HEADING": 214,
        "ROT": 0,
        "NAVSTAT": 0,
        "IMO": 9123458,
        "NAME": "PACIFIC STAR",
        "CALLSIGN": "UBAB3",
        "TYPE": 80,
        "A": 80,
        "B": 20,
        "C": 8,
        "D": 7,
        "DRAUGHT": 68,
        "DEST": "CHONGJIN",
        "ETA": 3 << 16 | 10 << 11 | 14 << 6 | 30,
    }
    return vessel | fields


def decode(vessel: dict[str, Any], nulled: list[str] | None = None) -> list[AnyRecord]:
    return decode_message(orjson.dumps(vessel), nulled)


def rejection(vessel: dict[str, Any]) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decode(vessel)
    return caught.value


EXPECTED_POSITION = {
    "kind": "position",
    "mmsi": MMSI,
    "ts": "2024-03-07T12:34:56Z",
    "lat": 42.742,
    "lon": 133.055,
    "sog": 10.1,
    "cog": 215.3,
    "heading": 214,
    "nav_status": 0,
}
EXPECTED_STATIC = {
    "kind": "static",
    "mmsi": MMSI,
    "ts": "2024-03-07T12:34:56Z",
    "imo": 9123458,
    "name": "PACIFIC STAR",
    "callsign": "UBAB3",
    "ship_type": 80,
    "length": 100.0,
    "beam": 15.0,
    "draught": 6.8,
    "destination": "CHONGJIN",
    "eta": "2024-03-10T14:30:00Z",
}


def dumped(records: list[AnyRecord]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in records]


def test_a_human_readable_vessel_gives_a_position_and_static_data():
    nulled: list[str] = []
    position, static = decode(human(), nulled)
    assert isinstance(position, Position) and isinstance(static, Static)
    assert dumped([position, static]) == [EXPECTED_POSITION, EXPECTED_STATIC]
    assert position.ts == datetime(2024, 3, 7, 12, 34, 56, tzinfo=UTC)
    assert nulled == []


@pytest.mark.parametrize("hint", [None, "AIS", 0, "0"])
def test_a_vessel_in_ais_units_gives_the_same_records(hint):
    vessel = ais_units() if hint is None else ais_units(FORMAT=hint)
    position, static = decode(vessel)
    assert dumped([static]) == [EXPECTED_STATIC]
    got = position.model_dump(mode="json")
    want = dict(EXPECTED_POSITION)
    for field in ("lat", "lon", "sog", "cog"):  # scaled: equal to the last bits
        assert got.pop(field) == pytest.approx(want.pop(field), abs=1e-9)
    assert got == want


@pytest.mark.parametrize(
    ("lat", "lon", "sog", "cog"),
    [
        (42.742, 133.055, 10.1, 215.3),
        (-33.8568, 151.2153, 0.0, 0.0),
        (59.9, -10.25, 22.4, 359.9),
        (0.5, -0.25, 3.3, 90.0),
        (-89.5, 179.9, 102.2, 1.1),
    ],
)
def test_both_formats_agree(lat, lon, sog, cog):
    one = human(LATITUDE=lat, LONGITUDE=lon, SOG=sog, COG=cog, DRAUGHT=12.5)
    zero = ais_units(
        LATITUDE=round(lat * 600_000),
        LONGITUDE=round(lon * 600_000),
        SOG=round(sog * 10),
        COG=round(cog * 10),
        DRAUGHT=125,
    )
    (p1, s1), (p0, s0) = decode(one), decode(zero)
    assert s1 == s0 and s1.draught == 12.5
    for field in ("lat", "lon", "sog", "cog"):
        assert getattr(p0, field) == pytest.approx(getattr(p1, field), abs=1e-9)
    assert (p0.mmsi, p0.ts, p0.heading, p0.nav_status) == (p1.mmsi, p1.ts, p1.heading, 0)


def test_the_format_rule_hint_then_magnitude():
    assert in_ais_units({"FORMAT": "AIS"}, 0.5, 0.5)
    assert in_ais_units({"FORMAT": 0}, 0.5, 0.5)
    assert not in_ais_units({"FORMAT": "HUMAN"}, 25645200, 79833000)
    assert not in_ais_units({"FORMAT": 1, "TIME": 1709814896}, 1, 1)
    assert in_ais_units({"TIME": "2024-03-07 12:34:56 GMT"}, 25645200, 1.0)
    assert in_ais_units({"TIME": "2024-03-07 12:34:56 GMT"}, 1.0, -200.0)
    assert in_ais_units({"FORMAT": "something"}, 1.0, -200.0)  # an unknown hint is no hint
    assert not in_ais_units({}, 91.0, 181.0)  # not available, in degrees
    assert not in_ais_units({}, None, None)
    # small coordinates are degrees, whatever the form of TIME: a Unix time in a format=1
    # object must not move a vessel to 0°N 0°E
    assert not in_ais_units({"TIME": 1709814896}, 42.742, 133.055)


def test_a_format_hint_decides_even_near_null_island():
    [position, _] = decode(human(FORMAT="AIS", LATITUDE=60, LONGITUDE=-30))
    assert (position.lat, position.lon) == (pytest.approx(0.0001), pytest.approx(-0.00005))


def test_a_hint_that_contradicts_the_values_rejects_the_impossible_position():
    assert rejection(ais_units(FORMAT="HUMAN")).reason == "no_position"


# ---------------------------------------------------------------- not available, invalid


def test_human_not_available_values_become_null_without_being_counted():
    nulled: list[str] = []
    vessel = human(SOG=102.4, COG=360, HEADING=511, NAVSTAT=15)
    vessel |= {"IMO": 0, "NAME": "", "CALLSIGN": "", "TYPE": 0, "A": 0, "B": 0, "C": 0, "D": 0}
    vessel |= {"DRAUGHT": 0, "DEST": "", "ETA": "00-00 24:60"}
    [position] = decode(vessel, nulled)  # nothing static is left: the position alone
    assert (position.sog, position.cog, position.heading, position.nav_status) == (
        None,
        None,
        None,
        15,
    )
    assert nulled == []


def test_ais_unit_not_available_values_become_null_without_being_counted():
    nulled: list[str] = []
    for sog in (1023, 1024):
        vessel = ais_units(SOG=sog, COG=3600, HEADING=511, ETA=0, DRAUGHT=0, IMO=0)
        [position, static] = decode(vessel, nulled)
        assert (position.sog, position.cog, position.heading) == (None, None, None)
        assert (static.eta, static.draught, static.imo, static.name) == (
            None,
            None,
            None,
            "PACIFIC STAR",
        )
    assert decode(human(SOG=102.3))[0].sog is None
    assert nulled == []


@pytest.mark.parametrize(
    "vessel",
    [
        human(LATITUDE=91, LONGITUDE=181),
        human(LATITUDE=91),
        ais_units(LATITUDE=54_600_000, LONGITUDE=108_600_000),
        ais_units(LONGITUDE=108_600_000),
        {k: v for k, v in human().items() if k != "LATITUDE"},
    ],
)
def test_a_vessel_without_a_position_is_rejected(vessel):
    assert rejection(vessel).reason == "no_position"


def test_invalid_optional_values_become_null_and_are_named():
    nulled: list[str] = []
    vessel = human(SOG=130.0, COG="east", HEADING=420, NAVSTAT=99, IMO=-4, ETA="soon", TYPE=999)
    position, static = decode(vessel, nulled)
    assert (position.sog, position.cog, position.heading, position.nav_status) == (None,) * 4
    assert (static.imo, static.eta, static.ship_type, static.name) == (
        None,
        None,
        None,
        "PACIFIC STAR",
    )
    assert sorted(nulled) == ["cog", "eta", "heading", "imo", "nav_status", "ship_type", "sog"]


def test_numbers_written_as_text_are_read():
    vessel = human(MMSI=str(MMSI), LATITUDE="42.742", LONGITUDE="133.055", SOG="10.1")
    vessel |= {"COG": "215.3", "HEADING": "214", "NAVSTAT": "0", "A": "80", "TIME": "1709814896"}
    position, _ = decode(vessel)
    assert position.model_dump(mode="json") == EXPECTED_POSITION


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    "time",
    [
        "2024-03-07 12:34:56 GMT",
        "2024-03-07 12:34:56",
        "2024-03-07T12:34:56Z",
        1709814896,
        1709814896000,  # milliseconds
        "1709814896",
    ],
)
def test_times_in_either_form(time):
    assert decode(human(TIME=time))[0].ts == datetime(2024, 3, 7, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    "time",
    ["today", "2024-02-30 12:00:00 GMT", "07/03/2024 12:34:56", True, -5, 1e20, [2024], ""],
)
def test_an_unreadable_time_is_rejected_as_bad_time(time):
    assert rejection(human(TIME=time)).reason == "bad_time"


def test_a_vessel_without_time_or_mmsi_is_rejected():
    assert rejection({k: v for k, v in human().items() if k != "TIME"}).reason == "missing_field"
    assert rejection(human(MMSI=None)).reason == "missing_field"
    assert rejection(human(MMSI="ship")).reason == "invalid_field"


# ---------------------------------------------------------------- not vessels, errors


def test_a_station_that_is_not_a_ship_is_not_a_vessel():
    assert rejection(human(MMSI=992_731_234)).reason == "not_a_vessel"


def test_aishub_s_error_answer_is_a_feed_error_and_its_header_is_no_vessel():
    failure = rejection({"ERROR": True, "ERROR_MESSAGE": "Too frequent requests!"})
    assert (failure.reason, failure.detail) == ("feed_error", "AISHub: Too frequent requests!")
    header = {"ERROR": False, "USERNAME": "AH_0000", "FORMAT": "HUMAN", "RECORDS": 2}
    assert rejection(header).reason == "unsupported_message"


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([human(), ais_units()]),
    replacements=st.dictionaries(
        st.sampled_from([*sorted(human()), "FORMAT", "ERROR"]), _json, max_size=4
    ),
)
def test_any_field_value_gives_records_or_a_rejection(base, replacements):
    vessel = copy.deepcopy(base) | replacements
    try:
        records = decode(vessel)
    except Rejected as exc:
        assert exc.reason and " " not in exc.reason
    else:
        assert records and all(r.mmsi == records[0].mmsi for r in records)


# ---------------------------------------------------------------- recordings of both feeds


# What AISHub sends for a vessel whose static data it has not received.
NO_STATIC = {"IMO": 0, "NAME": "", "CALLSIGN": "", "TYPE": 0, "A": 0, "B": 0, "C": 0, "D": 0}
NO_STATIC |= {"DRAUGHT": 0, "DEST": "", "ETA": ""}


def _live(position: Position, i: int) -> dict[str, Any]:
    """A story position as one of the live feeds would have sent it, in turn: aisstream,
    AISHub format=1, AISHub format=0."""
    ts, lat, lon = position.ts, position.lat, position.lon
    sog = 102.3 if position.sog is None else position.sog
    if i % 3 == 0:
        message = position_report(UserID=position.mmsi, Latitude=lat, Longitude=lon, Sog=sog)
        message["Message"]["PositionReport"] |= {"Cog": 360.0, "TrueHeading": 511}
        stamp = ts.strftime("%Y-%m-%d %H:%M:%S.000000123 +0000 UTC")
        message["MetaData"] |= {"MMSI": position.mmsi, "time_utc": stamp}
        return message
    if i % 3 == 1:
        return human(
            MMSI=position.mmsi,
            TIME=ts.strftime("%Y-%m-%d %H:%M:%S GMT"),
            LATITUDE=lat,
            LONGITUDE=lon,
            SOG=sog,
            COG=360,
            HEADING=511,
            **NO_STATIC,
        )
    return ais_units(
        MMSI=position.mmsi,
        TIME=int(ts.timestamp()),
        LATITUDE=round(lat * 600_000),
        LONGITUDE=round(lon * 600_000),
        SOG=round(sog * 10),
        COG=3600,
        HEADING=511,
        **NO_STATIC,
    )


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """The loading-then-delivery story as a recording of the two live feeds, in turn."""
    story = loading_then_delivery()
    lines = [orjson.dumps(_live(p, i)) for i, p in enumerate(story)]
    lines.insert(1, orjson.dumps(ship_static_data()))
    lines.insert(3, orjson.dumps({"error": "Api Key Is Not Valid"}))
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_recording_of_both_feeds_is_jsonl_to_format_auto(recording):
    first = recording.read_bytes().splitlines()[0]
    assert json.loads(first)["MessageType"] == "PositionReport"
    assert sniff(first) == "jsonl"
    units = list(read_units(recording))
    assert all(isinstance(u, RawUnit) and u.payload[:1] == b"{" for u in units)


def test_decode_prints_a_recording_of_both_feeds_as_normalized_records(recording, capsys):
    assert main(["decode", str(recording)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    story = loading_then_delivery()
    positions = [r for r in records if r["kind"] == "position"]
    assert [r for r in records if r["kind"] == "static"] == [EXPECTED_STATIC]
    assert len(positions) == len(story)
    for got, want in zip(positions, story, strict=True):
        assert (got["mmsi"], got["ts"]) == (want.mmsi, want.model_dump(mode="json")["ts"])
        assert got["lat"] == pytest.approx(want.lat, abs=1e-6)  # format=0: 1/600000 degree
        assert got["lon"] == pytest.approx(want.lon, abs=1e-6)
        assert got["sog"] == pytest.approx(want.sog, abs=1e-9)
        assert (got["cog"], got["heading"], got["nav_status"]) == (None, None, 0)
    assert f"{recording}:4: feed_error: aisstream: Api Key Is Not Valid" in err
    assert "1 rejected (feed_error=1)" in err.splitlines()[-1]


def test_detect_finds_the_same_alerts_in_the_live_recording(recording, tmp_path, capsys):
    normalized = tmp_path / "story.jsonl"
    story = loading_then_delivery()
    normalized.write_bytes(b"".join(orjson.dumps(p.model_dump(mode="json")) + b"\n" for p in story))
    assert main(["detect", str(normalized)]) == 0
    expected = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["detect", "--format", "auto", str(recording)]) == 0
    out, err = capsys.readouterr()
    alerts = [json.loads(line) for line in out.splitlines()]
    assert expected, "the story raises alerts"
    assert sorted((a["kind"], a["mmsi"]) for a in alerts) == sorted(
        (a["kind"], a["mmsi"]) for a in expected
    )
    assert "1 rejected (feed_error=1)" in err
