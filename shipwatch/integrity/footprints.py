"""A satellite scene's footprint as geometry: how far a point lies inside it, in metres.

Built once per scene from its GeoJSON (`ais.records.Scene.footprint`, already checked and
normalized by `ais.geojson`): the polygon in an equirectangular frame in metres at its centroid,
as the fences are (`geofences.model.to_local`), prepared for the point test. The distance to
the edge is measured in the frame of the point's own latitude (the edge stretched east-west to
it), so that it agrees with a plain equirectangular measure there (`geofences.earth`) anywhere
in a scene a few hundred kilometres wide. The sea stage keeps scenes as their raw GeoJSON:
`footprint_of` parses each once (a small LRU by scene id).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon

CACHE_SIZE = 64  # scenes whose geometry is kept: a pass of a few images at a time


class Footprint:
    """One scene's footprint: `inside_m(lat, lon)` is the distance to its edge, positive
    inside, negative outside (0 on the edge)."""

    def __init__(self, geojson: Mapping[str, Any]) -> None:
        polygons = _polygons(geojson)
        lons = [p[0] for rings in polygons for ring in rings for p in ring]
        # A footprint across the antimeridian comes cut in two at ±180 (RFC 7946): its parts
        # are joined again east of 180, where the frame has no seam.
        self._wrap = max(lons) - min(lons) > 180
        parts = [
            shapely.Polygon(
                [(self._x(p[0]), p[1]) for p in rings[0]],
                [[(self._x(p[0]), p[1]) for p in ring] for ring in rings[1:]],
            )
            for rings in polygons
        ]
        geometry = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        centroid = geometry.centroid
        self.lat0, self.lon0 = float(centroid.y), float(centroid.x)
        self._sx = metres_per_degree_lon(self.lat0)
        self._sy = METRES_PER_DEGREE
        self.local: BaseGeometry = shapely.transform(
            geometry, lambda xy: (xy - (self.lon0, self.lat0)) * (self._sx, self._sy)
        )
        self.edge: BaseGeometry = self.local.boundary
        shapely.prepare(self.local)

    def _x(self, lon: float) -> float:
        return lon + 360.0 if self._wrap and lon < 0 else lon

    def inside_m(self, lat: float, lon: float) -> float:
        """Metres from the point to the footprint's edge (an outline's or a hole's): positive
        inside, negative outside."""
        x, y = (self._x(lon) - self.lon0) * self._sx, (lat - self.lat0) * self._sy
        inside = bool(shapely.contains_xy(self.local, x, y))
        # Measured in the frame of the point's own latitude: the edge stretched east-west from
        # the centroid's scale to the point's (a plain equirectangular distance there).
        stretch = metres_per_degree_lon(lat) / self._sx
        edge = shapely.affinity.scale(self.edge, xfact=stretch, yfact=1.0, origin=(0.0, 0.0))
        metres = float(shapely.distance(edge, shapely.Point(x * stretch, y)))
        return metres if inside else -metres


def _polygons(geojson: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    kind, coordinates = geojson.get("type"), geojson.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    raise ValueError(f"a footprint is a Polygon or MultiPolygon, not {kind!r}")


class FootprintCache:
    """The parsed footprints of the last `size` scenes, by scene id. A scene sent again with
    another footprint (a corrected record) is parsed again."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Mapping[str, Any], Footprint]] = OrderedDict()

    def get(self, scene_id: str, geojson: Mapping[str, Any]) -> Footprint:
        """The scene's footprint, parsed at most once while it is among the recent ones."""
        entry = self._entries.get(scene_id)
        if entry is not None and (entry[0] is geojson or entry[0] == geojson):
            self._entries.move_to_end(scene_id)
            return entry[1]
        footprint = Footprint(geojson)
        self._entries[scene_id] = (geojson, footprint)
        self._entries.move_to_end(scene_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return footprint

    def __len__(self) -> int:
        return len(self._entries)


_CACHE = FootprintCache()


def footprint_of(scene_id: str, geojson: Mapping[str, Any]) -> Footprint:
    """The footprint of a scene, from the process's small cache."""
    return _CACHE.get(scene_id, geojson)
