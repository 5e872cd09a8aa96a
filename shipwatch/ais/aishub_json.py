"""AISHub web-service vessels, as the JSON they arrived in, to a position and static data.

AISHub answers a poll (`ws.php?...&output=json`) with `[{"ERROR": false, "USERNAME": ...,
"FORMAT": "HUMAN", "RECORDS": n}, [vessel, ...]]`; the feed publishes each vessel object alone:
`{"MMSI": 273456789, "TIME": "2024-03-07 12:34:56 GMT", "LONGITUDE": 133.05, "LATITUDE": 42.74,
"COG": 215.3, "SOG": 10.1, "HEADING": 214, "ROT": 0, "NAVSTAT": 0, "IMO": 9123458,
"NAME": "...", "CALLSIGN": "...", "TYPE": 80, "A": 80, "B": 20, "C": 8, "D": 7,
"DRAUGHT": 6.8, "DEST": "CHONGJIN", "ETA": "03-10 14:30"}`. One vessel gives a position and,
when it has any, static data (like a DMA CSV row).

Units, chosen by the poll's `format`:

- format=1 (`"FORMAT": "HUMAN"`): degrees, knots, degrees, metres; TIME is UTC text
  ("2024-03-07 12:34:56 GMT"); ETA "MM-DD HH:MM".
- format=0 (`"FORMAT": "AIS"`): as transmitted: LATITUDE and LONGITUDE in 1/10000 minute
  (degrees × 600000), SOG in 1/10 knot, COG in 1/10 degree, DRAUGHT in 1/10 metre; TIME a Unix
  time; ETA the AIS field as a number (month << 16 | day << 11 | hour << 6 | minute).

The rule that tells them apart, for each object:

1. a `FORMAT` key on the object ("HUMAN" or 1: degrees; "AIS" or 0: AIS units), as the poll's
   header gives it, decides;
2. otherwise the magnitude: |LATITUDE| > 91 or |LONGITUDE| > 181 cannot be degrees (91 and 181
   are the "not available" values), so the object is in AIS units; otherwise it is in degrees.
   An AIS-unit position is that small only within about 20 m of 0°N 0°E, where no real fix is
   (it is the classic position of a receiver without one), so the rule errs only on garbage;
   the TIME's form is not used, since a degree position misread as AIS units would move a
   real vessel to 0°N 0°E.

TIME and ETA are read by their own form, whatever the units. "Not available" values become
null as in every decoder: latitude 91 or longitude 181 (Rejected `no_position`), SOG 102.3 or
AISHub's 102.4 (1023, 1024), COG 360 (3600), heading 511, IMO 0, NAME/CALLSIGN/DEST "", TYPE 0,
dimensions and draught 0, ETA month or day 0. `{"ERROR": true, "ERROR_MESSAGE": ...}` is
Rejected `feed_error`; the header of a good reply `unsupported_message`. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shipwatch.ais import nmea_records, values
from shipwatch.ais.aisstream_json import (
    MAX_DETAIL,
    ais_text,
    in_range,
    json_int,
    json_number,
    mmsi_of,
    required_number,
    utc_time,
)
from shipwatch.ais.errors import Rejected
from shipwatch.ais.normalized_json import position_and_static
from shipwatch.ais.records import Record
from shipwatch.ais.values import Nulled, dropped

AIS_DEGREE = 600_000.0  # AIS units per degree of latitude or longitude (1/10000 minute)
AIS_TENTHS = 10.0  # SOG, COG and draught are sent in tenths
SOG_NA_AISHUB = 102.4  # AISHub's "not available" speed, beside AIS's own 102.3
AIS_FORMAT = frozenset({"AIS", "0"})
HUMAN_FORMAT = frozenset({"HUMAN", "1"})
MS_TIMES = 1e11  # a Unix time above this is in milliseconds
# "03-10 14:30" (a year, seconds and a zone are tolerated).
_ETA = re.compile(
    r"(?:\d{4}-)?(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2})(?::\d{1,2})?(?:\s*(?:GMT|UTC|Z))?"
)


def _detail(value: Any) -> str:
    return repr(value)[:40]


def _hint(obj: Mapping[str, Any]) -> bool | None:
    """What a FORMAT key says: True for AIS units, False for degrees, None when it is absent
    or says neither."""
    hint = str(obj.get("FORMAT", "")).strip().upper()
    if hint in AIS_FORMAT:
        return True
    if hint in HUMAN_FORMAT:
        return False
    return None


def _is_unix(stamp: Any) -> bool:
    return type(stamp) in (int, float) or (isinstance(stamp, str) and stamp.strip().isdigit())


def in_ais_units(obj: Mapping[str, Any], lat: float | None, lon: float | None) -> bool:
    """Whether the vessel is in AIS units (format=0) rather than degrees (format=1): its
    FORMAT hint, else the magnitude of its coordinates (see the module's rule)."""
    hint = _hint(obj)
    if hint is not None:
        return hint
    return (lat is not None and abs(lat) > values.LAT_NA) or (
        lon is not None and abs(lon) > values.LON_NA
    )


def _time(stamp: Any) -> datetime:
    if stamp is None:
        raise Rejected("missing_field", "TIME")
    if isinstance(stamp, str) and not stamp.strip().isdigit():
        return utc_time(stamp, "TIME")
    if not _is_unix(stamp):
        raise Rejected("bad_time", f"TIME: neither a Unix time nor a date: {_detail(stamp)}")
    t = float(stamp)
    if t > MS_TIMES:
        t /= 1000.0
    try:
        moment = datetime.fromtimestamp(t, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Rejected("bad_time", f"TIME: {_detail(stamp)} is out of range") from exc
    return in_range(moment, "TIME")


def _mmsi(value: Any) -> int:
    mmsi = mmsi_of(value)
    if mmsi is None:
        raise Rejected("invalid_field", f"MMSI: not an MMSI: {_detail(value)}")
    return mmsi


def _scaled(value: float | None, divisor: float) -> float | None:
    return None if value is None else value / divisor


def _eta(value: Any, nulled: Nulled) -> dict[str, int]:
    """Month, day, hour and minute of an ETA text ("03-10 14:30") or AIS ETA number; {} when
    there is none, and when it is garbled (counted)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str) and not value.strip().isdigit():
        match = _ETA.fullmatch(value.strip())
        if match is None:
            dropped("eta", nulled)
            return {}
        month, day, hour, minute = (int(g) for g in match.groups())
    else:
        bits = json_int(value, "eta", nulled, 2**20 - 1)
        if bits is None:
            return {}
        month, day, hour, minute = bits >> 16, bits >> 11 & 31, bits >> 6 & 31, bits & 63
    return {"month": month, "day": day, "hour": hour, "minute": minute}


def _static_data(obj: Mapping[str, Any], ais_units: bool, nulled: Nulled) -> dict[str, Any]:
    """The vessel's static fields with the names of a decoded type 5 message."""
    draught = json_number(obj.get("DRAUGHT"), "draught", nulled)
    return {
        "msg_type": 5,
        "shipname": ais_text(obj.get("NAME"), "name", nulled),
        "callsign": ais_text(obj.get("CALLSIGN"), "callsign", nulled),
        "ship_type": json_int(obj.get("TYPE"), "ship_type", nulled, 255),
        "to_bow": json_int(obj.get("A"), "length", nulled, 511),
        "to_stern": json_int(obj.get("B"), "length", nulled, 511),
        "to_port": json_int(obj.get("C"), "beam", nulled, 63),
        "to_starboard": json_int(obj.get("D"), "beam", nulled, 63),
        "imo": json_int(obj.get("IMO"), "imo", nulled, 2**30 - 1),
        "draught": _scaled(draught, AIS_TENTHS) if ais_units else draught,
        "destination": ais_text(obj.get("DEST"), "destination", nulled),
        **_eta(obj.get("ETA"), nulled),
    }


def decode(obj: Mapping[str, Any], nulled: Nulled | None = None) -> list[Record]:
    """The position of one AISHub vessel object and, when it has any, its static data; raises
    Rejected with a bounded reason. Invalid optional fields become null, named in `nulled`."""
    if "MMSI" not in obj and "ERROR" in obj:
        if obj["ERROR"]:
            message = obj.get("ERROR_MESSAGE", obj["ERROR"])
            raise Rejected("feed_error", f"AISHub: {str(message)[:MAX_DETAIL]}")
        raise Rejected("unsupported_message", "AISHub reply header, not a vessel")
    nulled = [] if nulled is None else nulled
    if obj.get("MMSI") is None:
        raise Rejected("missing_field", "MMSI")
    mmsi = _mmsi(obj["MMSI"])
    lat = required_number(obj.get("LATITUDE"), "LATITUDE")
    lon = required_number(obj.get("LONGITUDE"), "LONGITUDE")
    ais_units = in_ais_units(obj, lat, lon)
    if ais_units:
        lat, lon = _scaled(lat, AIS_DEGREE), _scaled(lon, AIS_DEGREE)
    lat, lon = values.coordinates(lat, lon)
    ts = _time(obj.get("TIME"))
    sog = json_number(obj.get("SOG"), "sog", nulled)
    cog = json_number(obj.get("COG"), "cog", nulled)
    if ais_units:
        sog, cog = _scaled(sog, AIS_TENTHS), _scaled(cog, AIS_TENTHS)
    position = {
        "lat": lat,
        "lon": lon,
        "sog": None if sog == SOG_NA_AISHUB else values.sog(sog, nulled),
        "cog": values.cog(cog, nulled),
        "heading": values.heading(json_number(obj.get("HEADING"), "heading", nulled), nulled),
        "nav_status": json_int(obj.get("NAVSTAT"), "nav_status", nulled, 15),
    }
    return position_and_static(
        {"mmsi": mmsi, "ts": ts},
        position,
        lambda: nmea_records.static_fields(_static_data(obj, ais_units, nulled), ts, nulled),
        nulled,
    )
