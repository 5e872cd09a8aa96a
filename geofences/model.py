"""A geofence: its polygon, the buffered polygon that defines leaving it, and its properties."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon
from geofences.errors import GeofenceError

ROLES = ("loading", "discharge", "watch")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Exit only beyond this distance from the polygon, so that GPS jitter at the edge (tens of
# metres, more with multipath near cranes) does not make an exit and a re-entry.
DEFAULT_EXIT_BUFFER_M = 1000.0
MAX_EXIT_BUFFER_M = 20_000.0


@dataclass(frozen=True)
class Fence:
    """One watched area; `outer` is the polygon grown by `exit_buffer_m`."""

    id: str
    name: str
    polygon: BaseGeometry
    outer: BaseGeometry
    role: str = "watch"
    country: str | None = None
    exit_buffer_m: float = DEFAULT_EXIT_BUFFER_M
    source: str = ""
    bbox: tuple[float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0))
    local: BaseGeometry | None = None  # the polygon in metres around its own centroid

    def distance_m(self, lat: float, lon: float) -> float:
        """Metres from a point to the polygon (0 inside), good to a few hundred km."""
        assert self.local is not None
        c = self.polygon.centroid
        sx, sy = _scale(c.y)
        return float(
            shapely.distance(self.local, shapely.Point((lon - c.x) * sx, (lat - c.y) * sy))
        )

    def box_within(self, metres: float) -> tuple[float, float, float, float]:
        """The polygon's bounds grown by `metres` (a degree of longitude taken at the poleward
        edge, where it is shortest): every point within that distance lies inside."""
        minx, miny, maxx, maxy = self.polygon.bounds
        dlat = metres / METRES_PER_DEGREE
        dlon = metres / metres_per_degree_lon(max(abs(miny - dlat), abs(maxy + dlat)))
        return minx - dlon, miny - dlat, maxx + dlon, maxy + dlat

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for listings."""
        minx, miny, maxx, maxy = self.polygon.bounds
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "country": self.country,
            "exit_buffer_m": self.exit_buffer_m,
            "area_km2": round(_area_m2(self.polygon) / 1e6, 2),
            "bounds": [round(v, 5) for v in (minx, miny, maxx, maxy)],
            "source": self.source,
        }


def _scale(lat0: float) -> tuple[float, float]:
    return METRES_PER_DEGREE * math.cos(math.radians(lat0)), METRES_PER_DEGREE


def _area_m2(geom: BaseGeometry) -> float:
    c = geom.centroid
    sx, sy = _scale(c.y)
    return float(geom.area) * sx * sy


def to_local(geom: BaseGeometry) -> BaseGeometry:
    """The geometry in metres, in an equirectangular frame at its centroid (ports are small)."""
    c = geom.centroid
    sx, sy = _scale(c.y)
    return shapely.transform(geom, lambda xy: (xy - (c.x, c.y)) * (sx, sy))


def buffer_metres(geom: BaseGeometry, metres: float) -> BaseGeometry:
    """Grow a lon/lat geometry by metres in its local frame."""
    c = geom.centroid
    sx, sy = _scale(c.y)
    grown = shapely.buffer(to_local(geom), metres, quad_segs=8)
    return shapely.transform(grown, lambda xy: xy / (sx, sy) + (c.x, c.y))


def make_fence(props: dict[str, Any], geometry: BaseGeometry, source: str) -> Fence:
    """Validate one feature's properties and geometry into a Fence."""
    fence_id = props.get("id")
    if not isinstance(fence_id, str) or not SLUG.match(fence_id):
        raise GeofenceError(f"{source}: property 'id' must be a slug like 'vostochny'")
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GeofenceError(f"{source}: fence {fence_id!r} needs a 'name'")
    role = props.get("role", "watch")
    if role not in ROLES:
        raise GeofenceError(f"{source}: fence {fence_id!r} role must be one of {ROLES}")
    country = props.get("country")
    if country is not None and not (
        isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)
    ):
        raise GeofenceError(f"{source}: fence {fence_id!r} country must be ISO 3166-1 alpha-2")
    buffer_m = props.get("exit_buffer_m", DEFAULT_EXIT_BUFFER_M)
    if not isinstance(buffer_m, int | float) or not 0 <= buffer_m <= MAX_EXIT_BUFFER_M:
        raise GeofenceError(
            f"{source}: fence {fence_id!r} exit_buffer_m must be 0..{MAX_EXIT_BUFFER_M:.0f}"
        )
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeofenceError(f"{source}: fence {fence_id!r} must be a Polygon or MultiPolygon")
    if geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise GeofenceError(f"{source}: fence {fence_id!r} geometry is invalid: {reason}")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeofenceError(
            f"{source}: fence {fence_id!r} is outside lon/lat range (lon, lat order)"
        )
    outer = buffer_metres(geometry, float(buffer_m)) if buffer_m else geometry
    local = to_local(geometry)
    shapely.prepare(geometry)
    shapely.prepare(outer)
    shapely.prepare(local)
    return Fence(
        id=fence_id,
        name=name.strip(),
        polygon=geometry,
        outer=outer,
        role=role,
        country=country,
        exit_buffer_m=float(buffer_m),
        source=source,
        bbox=tuple(outer.bounds),
        local=local,
    )
