"""AIS "not available" sentinels and the cleaning every decoder applies to its fields."""

from __future__ import annotations

import math

from ais.errors import Rejected

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


def coordinates(lat: float | None, lon: float | None) -> tuple[float, float]:
    """A usable (lat, lon) or Rejected `no_position` (unavailable, impossible or missing)."""
    if lat is None or lon is None or math.isnan(lat) or math.isnan(lon):
        raise Rejected("no_position", "latitude or longitude missing")
    if lat == LAT_NA or lon == LON_NA:
        raise Rejected("no_position", "latitude or longitude not available")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Rejected("no_position", f"impossible coordinate {lat}, {lon}")
    return lat, lon


def sog(value: float | None) -> float | None:
    """Speed over ground in knots, None when not available."""
    return None if value is None or not 0 <= value < SOG_NA else value


def cog(value: float | None) -> float | None:
    """Course over ground in degrees, None when not available (360 and above)."""
    return None if value is None or not 0 <= value < COG_NA else value


def heading(value: float | None) -> int | None:
    """True heading in degrees, None when not available (511, or anything past 359)."""
    return None if value is None or not 0 <= value <= 359 else int(value)


def positive(value: float | None, limit: float) -> float | None:
    """A size in metres: 0 means not available, above `limit` means garbled; both None."""
    return value if value is not None and 0 < value <= limit else None


def imo(value: int | None) -> int | None:
    """An IMO number, None when 0 (not available) or not seven digits."""
    return value if value is not None and 0 < value <= MAX_IMO else None


def text(value: str | None, *unknown: str) -> str | None:
    """Stripped text, None when empty or one of the source's words for "unknown"."""
    if value is None:
        return None
    value = value.strip()
    if not value or value.casefold() in {u.casefold() for u in unknown}:
        return None
    return value
