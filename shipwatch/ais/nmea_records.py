"""Decoded AIS messages (pyais dicts, enums as ints) to normalized records.

Positions from types 1, 2, 3, 18, 19 and 27; static and voyage data from 5, 19 and 24.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shipwatch.ais import values
from shipwatch.ais.normalized_json import has_data, validated
from shipwatch.ais.records import Position, Record, Static, iso
from shipwatch.ais.values import Nulled, dropped

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
TYPE_24_PARTS = {0: ("name",), 1: ("ship_type", "callsign", "length", "beam")}
STATIC_TYPES = frozenset({5, 19, 24})
HANDLED_TYPES = POSITION_TYPES | STATIC_TYPES
# Shortest payload, in bits, that holds every field we read (ITU-R M.1371; type 5 is often
# sent 2 bits short, and type 24 part A with or without its 8 spare bits).
MIN_BITS = {1: 168, 2: 168, 3: 168, 5: 420, 18: 168, 19: 312, 24: 160, 27: 96}
LONG_RANGE_SOG_NA = 63.0  # type 27 sends whole knots, 63 meaning "not available"
LONG_RANGE_COG_NA = 511  # ... and whole degrees, 511 meaning "not available"
MERGE_MEMORY = 100_000  # vessels whose type 24 parts are remembered (oldest forgotten first)

Data = Mapping[str, Any]


def _size(a: int | None, b: int | None, limit: float, field: str, nulled: Nulled) -> float | None:
    return None if a is None or b is None else values.positive(float(a + b), limit, field, nulled)


def _eta(data: Data, ts: datetime, nulled: Nulled | None = None) -> str | None:
    month, day, hour, minute = (data.get(k) for k in ("month", "day", "hour", "minute"))
    if not month or not day or hour is None or minute is None:
        return None  # month 0 or day 0: not available
    hour, minute = (0, 0) if hour >= 24 or minute >= 60 else (hour, minute)
    # AIS sends no year: the ETA is the next such date, at most a few months back.
    for year in (ts.year - 1, ts.year, ts.year + 1):
        try:
            eta = datetime(year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:  # month 13..15, day 30 of February; 29 February: another year
            continue
        if eta >= ts - timedelta(days=183):
            return iso(eta)
    dropped("eta", nulled)
    return None


def position(data: Data, ts: datetime, nulled: Nulled | None = None) -> Position:
    """The position of a type 1, 2, 3, 18, 19 or 27 message; Rejected `no_position` without one.
    Invalid optional fields become null, named in `nulled`."""
    lat, lon = values.coordinates(data.get("lat"), data.get("lon"))
    sog, course = data.get("speed"), data.get("course")
    if data["msg_type"] == 27:
        sog = None if sog == LONG_RANGE_SOG_NA else sog
        course = None if course == LONG_RANGE_COG_NA else course
    fields = {
        "mmsi": data["mmsi"],
        "ts": ts,
        "lat": lat,
        "lon": lon,
        "sog": values.sog(sog, nulled),
        "cog": values.cog(course, nulled),
        "heading": values.heading(data.get("heading"), nulled),
        "nav_status": data.get("status"),
    }
    return validated(Position, fields, nulled)


def static_fields(data: Data, ts: datetime, nulled: Nulled | None = None) -> dict[str, Any]:
    """What a type 5, 19 or 24 message says about the vessel (absent or unavailable: None;
    invalid: None, named in `nulled`)."""
    nulled = [] if nulled is None else nulled
    fields = {
        "name": values.text(data.get("shipname")),
        "callsign": values.text(data.get("callsign")),
        "ship_type": data.get("ship_type") or None,
        "length": _size(
            data.get("to_bow"), data.get("to_stern"), values.MAX_LENGTH_M, "length", nulled
        ),
        "beam": _size(
            data.get("to_port"), data.get("to_starboard"), values.MAX_BEAM_M, "beam", nulled
        ),
    }
    if data["msg_type"] == 5:
        fields |= {
            "imo": values.imo(data.get("imo"), nulled),
            "draught": values.positive(
                data.get("draught"), values.MAX_DRAUGHT_M, "draught", nulled
            ),
            "destination": values.text(data.get("destination")),
            "eta": _eta(data, ts, nulled),
        }
    elif data["msg_type"] == 24:
        fields = {k: fields[k] for k in TYPE_24_PARTS.get(data.get("partno") or 0, ())}
    return fields


class PartMerger:
    """Merges the two parts of type 24 per vessel: part A names it, part B gives the rest."""

    def __init__(self, memory: int = MERGE_MEMORY) -> None:
        self._known: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._memory = memory

    def merge(self, mmsi: int, fields: dict[str, Any]) -> dict[str, Any]:
        """The vessel's fields so far, updated with the available ones of this part."""
        merged = self._known.pop(mmsi, {}) | {k: v for k, v in fields.items() if v is not None}
        self._known[mmsi] = merged
        if len(self._known) > self._memory:
            self._known.popitem(last=False)
        return dict(merged)


def records_of(
    data: Data, ts: datetime, merger: PartMerger, nulled: Nulled | None = None
) -> list[Record]:
    """The records of one decoded message of a handled type (see HANDLED_TYPES); invalid
    optional fields become null, named in `nulled`."""
    kind = data["msg_type"]
    out: list[Record] = [position(data, ts, nulled)] if kind in POSITION_TYPES else []
    if kind in STATIC_TYPES:
        fields = static_fields(data, ts, nulled)
        if kind == 24:
            fields = merger.merge(data["mmsi"], fields)
        if any(v is not None for v in fields.values()):
            static = validated(Static, {"mmsi": data["mmsi"], "ts": ts, **fields}, nulled)
            if has_data(static):
                out.append(static)
    return out
