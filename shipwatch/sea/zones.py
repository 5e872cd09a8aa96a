"""Where the at-sea rules apply: clear of every fence, and near a watched port."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from geofences.index import FenceIndex
from geofences.model import Fence, buffer_metres
from shipwatch.sea.thresholds import SeaRules

# The clearance zone's polygons are drawn this far inside and outside its true edge, more than
# the buffer's chords cut off (48 m at 10 km with 8 segments a quarter circle): a point inside
# the inner one is surely too near, outside the outer one surely clear; between, the distance.
SURE_MARGIN_M = 100.0


@dataclass(frozen=True, slots=True)
class _Box:
    fence: Fence
    minx: float
    miny: float
    maxx: float
    maxy: float


def _grown(fence: Fence, metres: float) -> _Box:
    return _Box(fence, *fence.box_within(metres))


@dataclass(frozen=True, slots=True)
class _Clearance:
    box: _Box
    surely_near: BaseGeometry
    maybe_near: BaseGeometry


def _clearance(fence: Fence, metres: float) -> _Clearance:
    inner = buffer_metres(fence.polygon, max(metres - SURE_MARGIN_M, 0.0))
    outer = buffer_metres(fence.polygon, metres + SURE_MARGIN_M)
    shapely.prepare(inner)
    shapely.prepare(outer)
    return _Clearance(_grown(fence, metres + SURE_MARGIN_M), inner, outer)


class SeaZones:
    """Built once: fence boxes grown by each distance, then exact distances inside them."""

    def __init__(self, index: FenceIndex, rules: SeaRules) -> None:
        self.rules = rules
        self._clearance = [_clearance(f, rules.fence_clearance_m) for f in index.fences]
        reach = rules.dark_port_distance_m + rules.ghost_margin_m
        self._ports = [_grown(f, reach) for f in index.fences]
        # One box around them all: most of the world's fixes leave at this test.
        boxes = [(b.minx, b.miny, b.maxx, b.maxy) for b in self._ports] or [(0.0, 0.0, -1.0, -1.0)]
        self._minx, self._miny = min(b[0] for b in boxes), min(b[1] for b in boxes)
        self._maxx, self._maxy = max(b[2] for b in boxes), max(b[3] for b in boxes)

    def clear(self, lat: float, lon: float) -> bool:
        """True when the point is at least `fence_clearance_m` from every fence."""
        for zone in self._clearance:
            b = zone.box
            if not (b.minx <= lon <= b.maxx and b.miny <= lat <= b.maxy):
                continue
            if shapely.intersects_xy(zone.surely_near, lon, lat):
                return False
            if not shapely.intersects_xy(zone.maybe_near, lon, lat):
                continue
            if b.fence.distance_m(lat, lon) < self.rules.fence_clearance_m:
                return False
        return True

    def near_port(self, lat: float, lon: float) -> bool:
        """True when the point may be within a sighting's reach of a fence (boxes only)."""
        if not (self._minx <= lon <= self._maxx and self._miny <= lat <= self._maxy):
            return False
        return any(b.minx <= lon <= b.maxx and b.miny <= lat <= b.maxy for b in self._ports)

    def nearest_port(self, lat: float, lon: float) -> tuple[Fence, float] | None:
        """The nearest fence within `dark_port_distance_m`, and the distance (0 inside)."""
        best: tuple[Fence, float] | None = None
        for b in self._ports:
            if b.minx <= lon <= b.maxx and b.miny <= lat <= b.maxy:
                d = b.fence.distance_m(lat, lon)
                if d <= self.rules.dark_port_distance_m and (best is None or d < best[1]):
                    best = (b.fence, d)
        return best
