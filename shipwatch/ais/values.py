"""AIS "not available" sentinels and the cleaning every decoder applies to its fields.

An optional field's "not available" value becomes null silently; any other value out of its
range (heading 360..510, COG above 360, SOG above 102.3, ...) becomes null too, and its field's
name is appended to the decoder's `nulled` list, so that the record is kept and the value counted.
"""

from __future__ import annotations

import math

from shipwatch.ais.errors import Rejected

# As transmitted (ITU-R M.1371): these values mean "not available", never a measurement.
LAT_NA = 91.0
LON_NA = 181.0
SOG_NA = 102.3
COG_NA = 360.0
HEADING_NA = 511
# Upper bounds of the normalized static record: anything larger is a garbled field.
MAX_LENGTH_M = 600.0
MAX_BEAM_M = 100.0
MAX_DRAUGHT_M = 30.0
MAX_IMO = 9_999_999

Nulled = list[str]  # names of the optional fields whose invalid value was set to null


def dropped(field: str, nulled: Nulled | None) -> None:
    """Count an optional field whose invalid value is set to null: name it in `nulled`."""
    if nulled is not None:
        nulled.append(field)


def coordinates(lat: float | None, lon: float | None) -> tuple[float, float]:
    """A usable (lat, lon) or Rejected `no_position` (unavailable, impossible or missing)."""
    if lat is None or lon is None or math.isnan(lat) or math.isnan(lon):
        raise Rejected("no_position", "latitude or longitude missing")
    if lat == LAT_NA or lon == LON_NA:
        raise Rejected("no_position", "latitude or longitude not available")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Rejected("no_position", f"impossible coordinate {lat}, {lon}")
    return lat, lon


def sog(value: float | None, nulled: Nulled | None = None) -> float | None:
    """Speed over ground in knots; None when not available (102.3) or invalid (counted)."""
    if value is None or 0 <= value < SOG_NA:
        return value
    if value != SOG_NA:
        dropped("sog", nulled)
    return None


def cog(value: float | None, nulled: Nulled | None = None) -> float | None:
    """Course over ground in degrees; None when not available (360) or invalid (counted)."""
    if value is None or 0 <= value < COG_NA:
        return value
    if value != COG_NA:
        dropped("cog", nulled)
    return None


def heading(value: float | None, nulled: Nulled | None = None) -> int | None:
    """True heading in degrees; None when not available (511) or invalid (360..510, counted)."""
    if value is None or value == HEADING_NA:
        return None
    if 0 <= value <= 359:
        return int(value)
    dropped("heading", nulled)
    return None


def positive(
    value: float | None, limit: float, field: str, nulled: Nulled | None = None
) -> float | None:
    """A size in metres: 0 means not available (None); negative or above `limit` is garbled
    (None, `field` counted)."""
    if value is None or value == 0:
        return None
    if 0 < value <= limit:
        return value
    dropped(field, nulled)
    return None


def imo(value: int | None, nulled: Nulled | None = None) -> int | None:
    """An IMO number; None when 0 (not available) or not seven digits (counted)."""
    if value is None or value == 0:
        return None
    if 0 < value <= MAX_IMO:
        return value
    dropped("imo", nulled)
    return None


def text(value: str | None, *unknown: str) -> str | None:
    """Stripped text, None when empty or one of the source's words for "unknown"."""
    if value is None:
        return None
    value = value.strip()
    if not value or value.casefold() in {u.casefold() for u in unknown}:
        return None
    return value
