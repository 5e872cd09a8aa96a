"""A satellite scene's footprint: a GeoJSON Polygon or MultiPolygon, checked and normalized.

A footprint decides where an absence is evidence (`shipwatch.integrity.imagery`), so a wrong one
must be refused with its reason rather than read loosely: rings of `[lon, lat]` positions in
range, closed, at least 4 positions each, a valid polygon (no self-intersection), and an area a
satellite scene can have. The normalized form has only `type` and `coordinates` (a GeoJSON
`bbox` is dropped), every number a float.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import orjson
import shapely
from pydantic_core import PydanticCustomError

# A Sentinel-1 IW scene is about 250 km square (62,500 km2); an EW scene 400 km. Anything a
# thousand kilometres square is a mistake (a swapped lon/lat, a world-spanning polygon).
MAX_AREA_KM2 = 1_000_000.0
MIN_RING_POSITIONS = 4
_EARTH_RADIUS_M = 6_371_000.0  # the sphere of geofences.earth (which this layer cannot import)
_METRES_PER_DEGREE = _EARTH_RADIUS_M * math.pi / 180
_REAL = (float, int)
_ARRAY = (list, tuple)  # a JSON array (a tuple from Python code)

Footprint = dict[str, Any]  # {"type": "Polygon" | "MultiPolygon", "coordinates": [...]}


class FootprintError(ValueError):
    """Why a footprint is refused (the message names the polygon, ring and position)."""


def checked_footprint(value: Any) -> Footprint:
    """The normalized footprint, or PydanticCustomError `footprint` with the reason (the model
    field's validator: a bad footprint rejects the scene as `invalid_field`)."""
    try:
        return normalized_footprint(value)
    except FootprintError as exc:
        raise PydanticCustomError("footprint", str(exc)) from exc


def normalized_footprint(value: Any) -> Footprint:
    """Check a GeoJSON Polygon or MultiPolygon; raise FootprintError naming what is wrong."""
    if not isinstance(value, dict):
        raise FootprintError(
            f"must be a GeoJSON Polygon or MultiPolygon object, not {_json_type(value)}"
        )
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        hint = " (give the Feature's geometry)" if kind == "Feature" else ""
        raise FootprintError(f"type must be 'Polygon' or 'MultiPolygon', got {kind!r}{hint}")
    extra = sorted(set(value) - {"type", "coordinates", "bbox"})
    if extra:
        raise FootprintError(f"unexpected key {extra[0]!r}: a geometry has type and coordinates")
    if "coordinates" not in value:
        raise FootprintError("coordinates are missing")
    coordinates = value["coordinates"]
    if kind == "Polygon":
        polygons = [_polygon(coordinates, "")]
    else:
        if not isinstance(coordinates, _ARRAY) or not coordinates:
            raise FootprintError(
                "coordinates of a MultiPolygon must be a non-empty list of polygons"
            )
        polygons = [_polygon(p, f"polygon {i}, ") for i, p in enumerate(coordinates)]
    shapes = [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
    geometry = shapes[0] if kind == "Polygon" else shapely.MultiPolygon(shapes)
    if not geometry.is_valid:
        raise FootprintError(f"not a valid polygon: {shapely.is_valid_reason(geometry)}")
    area_km2 = area_m2(polygons) / 1e6
    if area_km2 > MAX_AREA_KM2:
        raise FootprintError(
            f"area {area_km2:,.0f} km2 is too large for a satellite scene "
            f"(at most {MAX_AREA_KM2:,.0f} km2; GeoJSON positions are [lon, lat])"
        )
    return {"type": kind, "coordinates": polygons[0] if kind == "Polygon" else polygons}


def _polygon(rings: Any, where: str) -> list[list[list[float]]]:
    if not isinstance(rings, _ARRAY) or not rings:
        raise FootprintError(f"{where}coordinates must be a non-empty list of rings")
    return [_ring(ring, f"{where}ring {i}") for i, ring in enumerate(rings)]


def _ring(ring: Any, where: str) -> list[list[float]]:
    if not isinstance(ring, _ARRAY):
        raise FootprintError(f"{where} must be a list of [lon, lat] positions")
    if len(ring) < MIN_RING_POSITIONS:
        raise FootprintError(
            f"{where} has {len(ring)} positions; a closed ring needs at least "
            f"{MIN_RING_POSITIONS} (the first repeated last)"
        )
    out = [_position(p, f"{where} position {i}") for i, p in enumerate(ring)]
    if out[0] != out[-1]:
        raise FootprintError(
            f"{where} is not closed: it starts at {out[0]} and ends at {out[-1]} "
            "(repeat the first position last)"
        )
    return out


def _position(position: Any, where: str) -> list[float]:
    if (
        not isinstance(position, _ARRAY)
        or len(position) != 2
        or not all(type(v) in _REAL for v in position)  # never a bool, a string or null
    ):
        raise FootprintError(f"{where} must be [lon, lat] (two numbers), got {_shown(position)}")
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise FootprintError(f"{where}: lon {position[0]!r} is outside -180..180")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        swapped = " (GeoJSON positions are [lon, lat])" if -90 <= lon <= 90 else ""
        raise FootprintError(f"{where}: lat {position[1]!r} is outside -90..90{swapped}")
    return [lon, lat]


def area_m2(polygons: list[list[list[list[float]]]]) -> float:
    """The area of polygons (each a shell and its holes) on the sphere, in a sinusoidal
    (equal-area) projection about their middle meridian: good to a fraction of a percent at
    scene sizes."""
    lons = [p[0] for rings in polygons for p in rings[0]]
    lon0 = (min(lons) + max(lons)) / 2
    total = 0.0
    for rings in polygons:
        shell, *holes = (_ring_area_m2(ring, lon0) for ring in rings)
        total += shell - sum(holes)
    return total


def _ring_area_m2(ring: list[list[float]], lon0: float) -> float:
    xy = [
        ((lon - lon0) * _METRES_PER_DEGREE * math.cos(math.radians(lat)), lat * _METRES_PER_DEGREE)
        for lon, lat in ring
    ]
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(xy))
    return abs(twice) / 2


def _shown(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    names = {list: "an array", tuple: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if type(value) in _REAL else type(value).__name__)
