"""aisstream.io WebSocket messages, as the JSON they arrived in, to normalized records.

A message is `{"MessageType": "PositionReport", "MetaData": {"MMSI": 273456789,
"MMSI_String": "273456789", "ShipName": "...", "latitude": 42.7, "longitude": 133.0,
"time_utc": "2024-03-07 12:34:56.123456789 +0000 UTC"}, "Message": {"PositionReport": {...}}}`.
The body under `Message` has aisstream's field names (its OpenAPI schema, `ais-message-models`)
with values already in degrees, knots and metres, and AIS's "not available" codes as sent
(latitude 91, longitude 181, SOG 102.3, COG 360, heading 511, IMO 0, dimensions 0, ...).

- Positions: `PositionReport` (AIS types 1-3), `StandardClassBPositionReport` (18),
  `ExtendedClassBPositionReport` (19, which also names the vessel) and
  `LongRangeAisBroadcastMessage` (27).
- Static data: `ShipStaticData` (5) and `StaticDataReport` (24), each part on its own (part A
  names the vessel, part B gives type, call sign and size: consumers merge statics by field).
- `BaseStationReport`, `AidsToNavigationReport` and `StandardSearchAndRescueAircraftReport`
  are Rejected `not_a_vessel`; every other type (safety and binary messages, interrogations,
  ...) `unsupported_message`. `{"error": "..."}`, aisstream's answer to a bad subscription or
  API key, is Rejected `feed_error`.

The event time is `MetaData.time_utc`, when aisstream received the message, in Go's
`time.Time.String()` form (nanoseconds, "+0000 UTC"); the body's `Timestamp` is only the UTC
second. The body is translated into the field names of a decoded NMEA message and handed to
`nmea_records`, so that unavailable and invalid values, sizes and ETAs come out exactly as
they do from NMEA. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from shipwatch.ais import nmea_records
from shipwatch.ais.errors import Rejected
from shipwatch.ais.records import EARLIEST, LATEST, Record
from shipwatch.ais.values import Nulled, dropped

# The AIS message type each handled aisstream MessageType stands for.
MESSAGE_TYPES = {
    "PositionReport": 1,
    "StandardClassBPositionReport": 18,
    "ExtendedClassBPositionReport": 19,
    "LongRangeAisBroadcastMessage": 27,
    "ShipStaticData": 5,
    "StaticDataReport": 24,
}
# Sent by stations that are not vessels: base stations, aids to navigation, SAR aircraft.
NOT_VESSELS = frozenset(
    {"BaseStationReport", "AidsToNavigationReport", "StandardSearchAndRescueAircraftReport"}
)
LONG_RANGE_COG_NA = 511  # type 27 sends whole degrees, 511 meaning "not available"
ETA_PART_MAX = 63  # the widest ETA part (minute) has 6 bits: more is garbage, not a date
MAX_DETAIL = 200

# Go's time.Time.String() ("2024-03-07 12:34:56.123456789 +0000 UTC", maybe " m=+0.01"), and
# the plainer forms other feeds write ("2024-03-07 12:34:56 GMT", ISO 8601 with T and Z).
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:\s*(Z|[+-]\d{2}:?\d{2}))?"
    r"(?:\s+([A-Za-z]{1,6}|[+-]\d{2,4}))?"
    r"(?:\s+m=[+-]?\d+(?:\.\d+)?)?"
)


def _detail(value: Any) -> str:
    return repr(value)[:40]


def utc_time(text: str, field: str) -> datetime:
    """A date and time of day written as text, in UTC; Rejected `bad_time` when it is not one.

    Without a numeric offset the time is UTC: a zone name alone must then be UTC or GMT."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise Rejected("bad_time", f"{field}: not a date and time: {_detail(text)}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset, zone_name = match.group(7), match.group(8), match.group(9)
    if not offset and zone_name and zone_name.upper() not in ("UTC", "GMT", "Z"):
        raise Rejected("bad_time", f"{field}: zone {zone_name!r} without an offset")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        zone = UTC
        if offset and offset != "Z":
            digits = offset[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            zone = timezone(-delta if offset[0] == "-" else delta)
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError as exc:
        raise Rejected("bad_time", f"{field}: {exc}: {_detail(text)}") from exc
    return in_range(moment.astimezone(UTC), field)


def in_range(moment: datetime, field: str) -> datetime:
    """The time, if it is one a feed can send (1970..2099); Rejected `bad_time` otherwise."""
    if not EARLIEST <= moment < LATEST:
        raise Rejected("bad_time", f"{field}: {moment.isoformat()} is out of range")
    return moment


def json_number(value: Any, field: str, nulled: Nulled | None) -> float | None:
    """An optional number: None when absent or null; anything else that is not a finite
    number (text, true, an object) is an invalid value: None, `field` named in `nulled`.
    Numeric text ("12.5") is read as its number."""
    if value is None:
        return None
    if type(value) is int or type(value) is float:
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
        if not value.strip():
            return None
    dropped(field, nulled)
    return None


def required_number(value: Any, field: str) -> float | None:
    """A number the record cannot go without (a coordinate): None when absent (the caller
    rejects it as missing), Rejected `invalid_field` when it is not a finite number."""
    bad: Nulled = []
    number = json_number(value, field, bad)
    if bad:
        raise Rejected("invalid_field", f"{field}: not a number: {_detail(value)}")
    return number


def json_int(value: Any, field: str, nulled: Nulled | None, limit: int) -> int | None:
    """An optional whole number from 0 to `limit`; None when absent, otherwise invalid (None,
    `field` named in `nulled`)."""
    number = json_number(value, field, nulled)
    if number is None:
        return None
    if number == int(number) and 0 <= number <= limit:
        return int(number)
    dropped(field, nulled)
    return None


def ais_text(value: Any, field: str, nulled: Nulled | None) -> str | None:
    """AIS text: what precedes the first "@" (AIS's padding), stripped; None when empty.
    A value that is not text is invalid (None, `field` named in `nulled`)."""
    if value is None:
        return None
    if not isinstance(value, str):
        dropped(field, nulled)
        return None
    return value.split("@", 1)[0].strip() or None


def mmsi_of(value: Any) -> int | None:
    """An MMSI given as a number or as digits; None otherwise."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        raise Rejected("missing_field", where)
    if not isinstance(value, dict):
        raise Rejected("invalid_field", f"{where}: not an object but {type(value).__name__}")
    return value


def _mmsi(body: Mapping[str, Any], meta: Mapping[str, Any]) -> int:
    # The message's own UserID first; aisstream copies it into MetaData.
    given = [body.get("UserID"), meta.get("MMSI"), meta.get("MMSI_String")]
    for value in given:
        mmsi = mmsi_of(value)
        if mmsi is not None:
            return mmsi
    present = [v for v in given if v is not None]
    if present:
        raise Rejected("invalid_field", f"UserID: not an MMSI: {_detail(present[0])}")
    raise Rejected("missing_field", "UserID (and MetaData.MMSI)")


def _event_time(meta: Mapping[str, Any]) -> datetime:
    stamp = meta.get("time_utc")
    if stamp is None:
        raise Rejected("missing_field", "MetaData.time_utc")
    if not isinstance(stamp, str):
        raise Rejected("bad_time", f"MetaData.time_utc: not text: {_detail(stamp)}")
    return utc_time(stamp, "MetaData.time_utc")


def _dimension(body: Mapping[str, Any], nulled: Nulled) -> dict[str, int | None]:
    dimension = body.get("Dimension")
    if dimension is None:
        return {}
    if not isinstance(dimension, dict):
        dropped("length", nulled)
        dropped("beam", nulled)
        return {}
    # 9 bits to bow and stern, 6 to port and starboard; the sums are checked by nmea_records.
    return {
        "to_bow": json_int(dimension.get("A"), "length", nulled, 511),
        "to_stern": json_int(dimension.get("B"), "length", nulled, 511),
        "to_port": json_int(dimension.get("C"), "beam", nulled, 63),
        "to_starboard": json_int(dimension.get("D"), "beam", nulled, 63),
    }


def _eta(body: Mapping[str, Any], nulled: Nulled) -> dict[str, int | None]:
    eta = body.get("Eta")
    if eta is None:
        return {}
    bad: Nulled = []
    if isinstance(eta, dict):
        keys = ("month", "day", "hour", "minute")
        parts = {k: json_int(eta.get(k.capitalize()), "eta", bad, ETA_PART_MAX) for k in keys}
        if not bad:
            return parts
    dropped("eta", nulled)  # once, however many of its parts were bad
    return {}


def _position_data(kind: int, body: Mapping[str, Any], nulled: Nulled) -> dict[str, Any]:
    cog = json_number(body.get("Cog"), "cog", nulled)
    if kind == 27 and cog == LONG_RANGE_COG_NA:
        cog = None
    return {
        "lat": required_number(body.get("Latitude"), "Latitude"),
        "lon": required_number(body.get("Longitude"), "Longitude"),
        "speed": json_number(body.get("Sog"), "sog", nulled),
        "course": cog,
        "heading": json_number(body.get("TrueHeading"), "heading", nulled),
        "status": json_int(body.get("NavigationalStatus"), "nav_status", nulled, 15),
    }


def _static_data(kind: int, body: Mapping[str, Any], nulled: Nulled) -> dict[str, Any]:
    if kind == 24:
        return _report_part(body, nulled)
    data: dict[str, Any] = {
        "shipname": ais_text(body.get("Name"), "name", nulled),
        "ship_type": json_int(body.get("Type"), "ship_type", nulled, 255),
        **_dimension(body, nulled),
    }
    if kind == 5:
        data |= {
            "callsign": ais_text(body.get("CallSign"), "callsign", nulled),
            "imo": json_int(body.get("ImoNumber"), "imo", nulled, 2**30 - 1),
            "draught": json_number(body.get("MaximumStaticDraught"), "draught", nulled),
            "destination": ais_text(body.get("Destination"), "destination", nulled),
            **_eta(body, nulled),
        }
    return data


def _report_part(body: Mapping[str, Any], nulled: Nulled) -> dict[str, Any]:
    """A type 24 part: PartNumber false is part A (the name), true part B (the rest); without
    it, the part aisstream marks valid."""
    part_a, part_b = body.get("ReportA"), body.get("ReportB")
    number = body.get("PartNumber")
    if not isinstance(number, bool):
        number = isinstance(part_b, dict) and part_b.get("Valid") is True
    if not number:
        report = _object(part_a, "StaticDataReport.ReportA")
        return {"partno": 0, "shipname": ais_text(report.get("Name"), "name", nulled)}
    report = _object(part_b, "StaticDataReport.ReportB")
    return {
        "partno": 1,
        "ship_type": json_int(report.get("ShipType"), "ship_type", nulled, 255),
        "callsign": ais_text(report.get("CallSign"), "callsign", nulled),
        **_dimension(report, nulled),
    }


def decode(obj: Mapping[str, Any], nulled: Nulled | None = None) -> list[Record]:
    """The records of one aisstream message (a position, static data or both); raises
    Rejected with a bounded reason. Invalid optional fields become null, named in `nulled`."""
    if "error" in obj and "MessageType" not in obj:
        raise Rejected("feed_error", f"aisstream: {str(obj['error'])[:MAX_DETAIL]}")
    nulled = [] if nulled is None else nulled
    name = obj.get("MessageType")
    if name is None:
        raise Rejected("missing_field", "MessageType")
    if not isinstance(name, str):
        raise Rejected("invalid_field", f"MessageType: not text: {_detail(name)}")
    if name in NOT_VESSELS:
        raise Rejected("not_a_vessel", f"aisstream {name[:60]}")
    kind = MESSAGE_TYPES.get(name)
    if kind is None:
        raise Rejected("unsupported_message", f"aisstream {name[:60]} has no position or static")
    meta = _object(obj.get("MetaData"), "MetaData")
    body = _object(_object(obj.get("Message"), "Message").get(name), f"Message.{name}")
    if body.get("Valid") is False:
        raise Rejected("bad_payload", f"aisstream marks the {name} invalid")
    data: dict[str, Any] = {"msg_type": kind, "mmsi": _mmsi(body, meta)}
    ts = _event_time(meta)
    if kind in nmea_records.POSITION_TYPES:
        data |= _position_data(kind, body, nulled)
    if kind in nmea_records.STATIC_TYPES:
        data |= _static_data(kind, body, nulled)
    # One message, one vessel: a fresh merger keeps a type 24 part to itself.
    records = nmea_records.records_of(data, ts, nmea_records.PartMerger(memory=1), nulled)
    if not records:
        raise Rejected("no_data", f"aisstream {name} with every field unavailable")
    return records
