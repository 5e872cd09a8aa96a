"""aisstream.io WebSocket messages, as they arrive, decoded by `decode_message`."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.aisstream_json import utc_time
from shipwatch.ais.decoder import Accepted, Refused, StreamDecoder
from shipwatch.ais.errors import Rejected
from shipwatch.ais.json_form import decode_json_form
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.records import AnyRecord, Position, Static

MMSI = 273_456_789
TIME_UTC = "2024-03-07 12:34:56.123456789 +0000 UTC"


def meta(time_utc: Any = TIME_UTC, mmsi: int = MMSI) -> dict[str, Any]:
    return {
        "MMSI": mmsi,
        "MMSI_String": str(mmsi),
        "ShipName": "PACIFIC STAR        ",
        "latitude": 42.742,
        "longitude": 133.055,
        "time_utc": time_utc,
    }


def aisstream(kind: str, body: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"MessageType": kind, "MetaData": meta(**metadata), "Message": {kind: body}}


def position_report(**fields: Any) -> dict[str, Any]:
    """A class A position report (type 1) as aisstream sends it."""
    body = {
        "Cog": 215.3,
        "CommunicationState": 59916,
        "Latitude": 42.742,
        "Longitude": 133.055,
        "MessageID": 1,
        "NavigationalStatus": 0,
        "PositionAccuracy": True,
        "Raim": False,
        "RateOfTurn": 0,
        "RepeatIndicator": 0,
        "Sog": 10.1,
        "Spare": 0,
        "SpecialManoeuvreIndicator": 0,
        "Timestamp": 56,
        "TrueHeading": 214,
        "UserID": MMSI,
        "Valid": True,
    }
    return aisstream("PositionReport", body | fields)


def ship_static_data(**fields: Any) -> dict[str, Any]:
    """A class A static and voyage report (type 5), with AIS's "@" padding in its text."""
    body = {
        "AisVersion": 2,
        "CallSign": "UBAB3  ",
        "Destination": "CHONGJIN@@@@@@@@@@@@",
        "Dimension": {"A": 80, "B": 20, "C": 8, "D": 7},
        "Dte": False,
        "Eta": {"Day": 10, "Hour": 14, "Minute": 30, "Month": 3},
        "FixType": 1,
        "ImoNumber": 9123458,
        "MaximumStaticDraught": 6.8,
        "MessageID": 5,
        "Name": "PACIFIC STAR@@@@@@@@",
        "RepeatIndicator": 0,
        "Spare": False,
        "Type": 80,
        "UserID": MMSI,
        "Valid": True,
    }
    return aisstream("ShipStaticData", body | fields)


def class_b_position(extended: bool = False, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AssignedMode": False,
        "Cog": 88.4,
        "Latitude": 42.7,
        "Longitude": 133.1,
        "MessageID": 19 if extended else 18,
        "PositionAccuracy": False,
        "Raim": True,
        "RepeatIndicator": 0,
        "Sog": 6.2,
        "Spare1": 0,
        "Spare2": 0,
        "Timestamp": 55,
        "TrueHeading": 90,
        "UserID": MMSI,
        "Valid": True,
    }
    if extended:
        body |= {
            "Dimension": {"A": 10, "B": 5, "C": 2, "D": 2},
            "Dte": True,
            "FixType": 1,
            "Name": "SEA BREEZE",
            "Spare3": 0,
            "Type": 37,
        }
        return aisstream("ExtendedClassBPositionReport", body | fields)
    body |= {"ClassBBand": True, "ClassBDisplay": False, "ClassBDsc": True, "ClassBMsg22": True}
    body |= {"ClassBUnit": True, "CommunicationState": 393222, "CommunicationStateIsItdma": True}
    return aisstream("StandardClassBPositionReport", body | fields)


def static_data_report(part_b: bool) -> dict[str, Any]:
    """A type 24 message: aisstream sends both parts' objects, only one of them valid."""
    return aisstream(
        "StaticDataReport",
        {
            "MessageID": 24,
            "PartNumber": part_b,
            "RepeatIndicator": 0,
            "Reserved": 0,
            "UserID": MMSI,
            "Valid": True,
            "ReportA": {"Name": "" if part_b else "SEA BREEZE", "Valid": not part_b},
            "ReportB": {
                "CallSign": "OXYZ2" if part_b else "",
                "Dimension": {"A": 10, "B": 5, "C": 2, "D": 2} if part_b else {},
                "FixType": 0,
                "ShipType": 37 if part_b else 0,
                "Spare": 0,
                "Valid": part_b,
                "VenderIDModel": 0,
                "VenderIDSerial": 0,
                "VendorIDName": "",
            },
        },
    )


def decode(message: dict[str, Any], nulled: list[str] | None = None) -> list[AnyRecord]:
    return decode_message(orjson.dumps(message), nulled)


def rejection(message: dict[str, Any]) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decode(message)
    return caught.value


# ---------------------------------------------------------------- positions


def test_a_position_report_gives_a_position_at_the_time_aisstream_received_it():
    nulled: list[str] = []
    [position] = decode(position_report(), nulled)
    assert isinstance(position, Position)
    assert position.model_dump(mode="json") == {
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
    # time_utc, nanoseconds cut to microseconds; not the body's Timestamp (the second only)
    assert position.ts == datetime(2024, 3, 7, 12, 34, 56, 123456, tzinfo=UTC)
    assert nulled == []


def test_not_available_values_become_null_without_being_counted():
    nulled: list[str] = []
    message = position_report(Sog=102.3, Cog=360.0, TrueHeading=511)
    [position] = decode(message, nulled)
    assert (position.sog, position.cog, position.heading) == (None, None, None)
    assert nulled == []


def test_invalid_optional_values_become_null_and_are_named():
    nulled: list[str] = []
    message = position_report(Sog=150.0, Cog=400.5, TrueHeading=400, NavigationalStatus=42)
    [position] = decode(message, nulled)
    assert (position.sog, position.cog, position.heading, position.nav_status) == (None,) * 4
    assert sorted(nulled) == ["cog", "heading", "nav_status", "sog"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"Latitude": 91.0}, "no_position"),
        ({"Longitude": 181.0}, "no_position"),
        ({"Latitude": 95.5}, "no_position"),
        ({"Latitude": "north"}, "invalid_field"),
        ({"Valid": False}, "bad_payload"),
        ({"UserID": "ship"}, "invalid_field"),
    ],
)
def test_a_position_report_without_a_usable_position_is_rejected(fields, reason):
    message = position_report(**fields)
    if "UserID" in fields:
        message["MetaData"] |= {"MMSI": None, "MMSI_String": None}
    assert rejection(message).reason == reason


def test_the_mmsi_comes_from_the_metadata_when_the_body_lacks_it():
    message = position_report()
    del message["Message"]["PositionReport"]["UserID"]
    assert decode(message)[0].mmsi == MMSI


def test_a_base_station_mmsi_in_a_position_report_is_not_a_vessel():
    message = position_report(UserID=2_734_567)
    message["MetaData"]["MMSI"] = 2_734_567
    assert rejection(message).reason == "not_a_vessel"


def test_a_class_b_position_has_no_navigational_status():
    [position] = decode(class_b_position())
    assert (position.lat, position.lon, position.sog, position.cog, position.heading) == (
        42.7,
        133.1,
        6.2,
        88.4,
        90,
    )
    assert position.nav_status is None


def test_an_extended_class_b_report_gives_a_position_and_the_vessel_s_name_and_size():
    position, static = decode(class_b_position(extended=True))
    assert isinstance(position, Position) and isinstance(static, Static)
    assert (position.lat, position.sog) == (42.7, 6.2)
    assert (static.name, static.ship_type, static.length, static.beam) == (
        "SEA BREEZE",
        37,
        15.0,
        4.0,
    )
    assert static.callsign is None and static.imo is None


def test_a_long_range_report_has_whole_knots_and_degrees_with_their_own_not_available():
    body = {"Latitude": 42.7, "Longitude": 133.1, "Sog": 63, "Cog": 511, "NavigationalStatus": 0}
    body |= {"MessageID": 27, "UserID": MMSI, "Valid": True, "PositionLatency": False}
    nulled: list[str] = []
    [position] = decode(aisstream("LongRangeAisBroadcastMessage", body), nulled)
    assert (position.sog, position.cog, position.nav_status) == (None, None, 0)
    assert nulled == []


# ---------------------------------------------------------------- static data


def test_ship_static_data_gives_static_data_without_the_ais_padding():
    nulled: list[str] = []
    [static] = decode(ship_static_data(), nulled)
    assert static.model_dump(mode="json") == {
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
    assert nulled == []


def test_static_data_s_not_available_values_become_null():
    message = ship_static_data(
        ImoNumber=0,
        CallSign="@@@@@@@",
        Type=0,
        MaximumStaticDraught=0,
        Eta={"Month": 0, "Day": 0, "Hour": 24, "Minute": 60},
        Dimension={"A": 0, "B": 0, "C": 0, "D": 0},
    )
    [static] = decode(message)
    assert (static.name, static.destination) == ("PACIFIC STAR", "CHONGJIN")
    assert (static.imo, static.callsign, static.ship_type, static.draught, static.eta) == (
        (None,) * 5
    )
    assert (static.length, static.beam) == (None, None)


def test_static_data_with_nothing_available_is_rejected_as_no_data():
    message = ship_static_data(
        ImoNumber=0,
        CallSign="",
        Name="@@@@@@@@@@@@@@@@@@@@",
        Type=0,
        MaximumStaticDraught=0,
        Destination="",
        Eta={"Month": 0, "Day": 0, "Hour": 24, "Minute": 60},
        Dimension={"A": 0, "B": 0, "C": 0, "D": 0},
    )
    assert rejection(message).reason == "no_data"


def test_garbled_static_fields_become_null_and_are_named():
    nulled: list[str] = []
    message = ship_static_data(
        ImoNumber="lots", Eta={"Month": 3, "Day": "ten", "Hour": 1, "Minute": 2}, Name=7
    )
    [static] = decode(message, nulled)
    assert (static.imo, static.eta, static.name) == (None, None, None)
    assert sorted(nulled) == ["eta", "imo", "name"]


def test_each_part_of_a_static_data_report_gives_what_it_says():
    [part_a] = decode(static_data_report(part_b=False))
    [part_b] = decode(static_data_report(part_b=True))
    assert (part_a.name, part_a.callsign, part_a.ship_type, part_a.length) == (
        "SEA BREEZE",
        None,
        None,
        None,
    )
    assert (part_b.name, part_b.callsign, part_b.ship_type, part_b.length, part_b.beam) == (
        None,
        "OXYZ2",
        37,
        15.0,
        4.0,
    )


def test_a_static_data_report_without_part_number_uses_the_valid_part():
    message = static_data_report(part_b=True)
    del message["Message"]["StaticDataReport"]["PartNumber"]
    assert decode(message)[0].callsign == "OXYZ2"


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-07 12:34:56.123456789 +0000 UTC", datetime(2024, 3, 7, 12, 34, 56, 123456)),
        ("2024-03-07 12:34:56 +0000 UTC", datetime(2024, 3, 7, 12, 34, 56)),
        ("2024-03-07 12:34:56.5 +0000 UTC m=+0.012345", datetime(2024, 3, 7, 12, 34, 56, 500000)),
        ("2024-03-07 15:34:56.1 +0300 MSK", datetime(2024, 3, 7, 12, 34, 56, 100000)),
        ("2024-03-07 12:34:56 GMT", datetime(2024, 3, 7, 12, 34, 56)),
        ("2024-03-07T12:34:56Z", datetime(2024, 3, 7, 12, 34, 56)),
        ("2024-03-07T12:34:56.250+00:00", datetime(2024, 3, 7, 12, 34, 56, 250000)),
    ],
)
def test_go_and_iso_times_are_read_in_utc(text, expected):
    assert utc_time(text, "t") == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "time_utc",
    [
        "yesterday",
        "2024-13-07 12:34:56 +0000 UTC",
        "2024-03-07 25:34:56 +0000 UTC",
        "2024-03-07 12:34:56 +9900 UTC",
        "2024-03-07 12:34:56 MSK",  # a zone without its offset
        "1900-01-01 00:00:00 +0000 UTC",
        "",
        1709814896,
    ],
)
def test_an_unreadable_time_is_rejected_as_bad_time(time_utc):
    assert rejection(position_report() | {"MetaData": meta(time_utc)}).reason == "bad_time"


def test_a_message_without_its_time_is_rejected():
    message = position_report()
    del message["MetaData"]["time_utc"]
    failure = rejection(message)
    assert (failure.reason, failure.detail) == ("missing_field", "MetaData.time_utc")


# ---------------------------------------------------------------- what is not a vessel's data


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("BaseStationReport", "not_a_vessel"),
        ("AidsToNavigationReport", "not_a_vessel"),
        ("StandardSearchAndRescueAircraftReport", "not_a_vessel"),
        ("SafetyBroadcastMessage", "unsupported_message"),
        ("AddressedBinaryMessage", "unsupported_message"),
        ("DataLinkManagementMessage", "unsupported_message"),
        ("UnknownMessage", "unsupported_message"),
        ("SomethingNew", "unsupported_message"),
    ],
)
def test_messages_with_no_vessel_position_or_static_are_rejected_clearly(kind, reason):
    body = {"MessageID": 4, "UserID": 2_734_567, "Valid": True, "Latitude": 42.7}
    failure = rejection(aisstream(kind, body))
    assert failure.reason == reason
    assert kind in failure.detail


def test_an_error_object_is_a_feed_error():
    failure = rejection({"error": "Api Key Is Not Valid"})
    assert (failure.reason, failure.detail) == ("feed_error", "aisstream: Api Key Is Not Valid")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda m: m.pop("Message"), "missing_field"),
        (lambda m: m["Message"].pop("PositionReport"), "missing_field"),
        (lambda m: m.pop("MetaData"), "missing_field"),
        (lambda m: m.update(MetaData=[1, 2]), "invalid_field"),
        (lambda m: m.update(MessageType=7), "invalid_field"),
        (lambda m: m.update(Message={"PositionReport": "x"}), "invalid_field"),
    ],
)
def test_a_malformed_message_is_rejected(mutate, reason):
    message = position_report()
    mutate(message)
    assert rejection(message).reason == reason


# ---------------------------------------------------------------- the other paths


def test_the_json_form_and_the_stream_decoder_agree_with_decode_message():
    for message in (position_report(), ship_static_data(), class_b_position(extended=True)):
        payload = orjson.dumps(message)
        records = decode_message(payload)
        assert decode_json_form(payload) == [r.model_dump(mode="json") for r in records]
        [out] = StreamDecoder().feed(payload)
        assert isinstance(out, Accepted) and list(out.records) == records
    [refused] = StreamDecoder().feed(orjson.dumps({"error": "too many subscriptions"}))
    assert isinstance(refused, Refused) and refused.error.reason == "feed_error"


def test_normalized_records_decode_as_before():
    normalized = {"kind": "position", "mmsi": MMSI, "ts": "2024-03-07T12:34:56Z"}
    [position] = decode_message(orjson.dumps(normalized | {"lat": 42.7, "lon": 133.0}))
    assert (position.mmsi, position.lat) == (MMSI, 42.7)
    for other in ({"kind": "weather", "mmsi": MMSI}, {"mmsi": MMSI}, {}):
        assert rejection(other).reason == "unsupported_kind"
    # a lowercase kind is a normalized record, whatever else it carries
    assert rejection({"kind": "weather", "MessageType": "PositionReport"}).reason == (
        "unsupported_kind"
    )


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON (orjson) carries
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
_BASES = [position_report(), ship_static_data(), class_b_position(extended=True)]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(_BASES),
    where=st.sampled_from(["body", "meta", "top"]),
    replacements=st.dictionaries(
        st.sampled_from(
            [
                "Latitude",
                "Longitude",
                "Sog",
                "Cog",
                "TrueHeading",
                "NavigationalStatus",
                "UserID",
                "Name",
                "CallSign",
                "ImoNumber",
                "Type",
                "Dimension",
                "Eta",
                "MaximumStaticDraught",
                "Destination",
                "Valid",
                "time_utc",
                "MMSI",
                "MessageType",
                "Message",
            ]
        ),
        _json,
        max_size=4,
    ),
)
def test_any_field_value_gives_records_or_a_rejection(base, where, replacements):
    message = copy.deepcopy(base)
    target = {
        "body": message["Message"][message["MessageType"]],
        "meta": message["MetaData"],
        "top": message,
    }[where]
    target.update(replacements)
    try:
        records = decode(message)
    except Rejected as exc:
        assert exc.reason and " " not in exc.reason
    else:
        assert records and all(r.mmsi == records[0].mmsi for r in records)


def test_the_feed_subscribes_to_exactly_the_types_decoded() -> None:
    from shipwatch.ais.aisstream_json import MESSAGE_TYPES
    from shipwatch.settings import Settings

    assert sorted(Settings().aisstream_message_types) == sorted(MESSAGE_TYPES)


def test_a_replayed_recording_keys_each_json_form_by_its_mmsi() -> None:
    from shipwatch.ais.files import _key_of

    assert _key_of(b'{"MessageType": "PositionReport", "MetaData": {"MMSI": 273000001}}') == (
        b"273000001"
    )
    assert _key_of(b'{"MMSI": 445123456, "TIME": "2024-03-07 12:00:00 GMT"}') == b"445123456"
    assert _key_of(b'{"kind": "position", "mmsi": 445123456}') == b"445123456"
    assert _key_of(b'{"MessageType": "PositionReport", "MetaData": "x"}') is None
