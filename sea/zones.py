"""Where the at-sea rules apply: clear of every fence, and near a watched port."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geofences.index import FenceIndex
from geofences.model import METRES_PER_DEG_LAT, METRES_PER_DEG_LON_EQUATOR, Fence
from sea.rules import SeaRules


@dataclass(frozen=True, slots=True)
class _Box:
    fence: Fence
    minx: float
    miny: float
    maxx: float
    maxy: float


def _grown(fence: Fence, metres: float) -> _Box:
    minx, miny, maxx, maxy = fence.polygon.bounds
    dlat = metres / METRES_PER_DEG_LAT
    widest = max(abs(miny - dlat), abs(maxy + dlat))
    dlon = metres / (METRES_PER_DEG_LON_EQUATOR * max(math.cos(math.radians(widest)), 0.01))
    return _Box(fence, minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


class SeaZones:
    """Built once: fence boxes grown by each distance, then exact distances inside them."""

    def __init__(self, index: FenceIndex, rules: SeaRules) -> None:
        self.rules = rules
        self._clearance = [_grown(f, rules.fence_clearance_m) for f in index.fences]
        reach = rules.dark_port_distance_m + rules.ghost_margin_m
        self._ports = [_grown(f, reach) for f in index.fences]

    def clear(self, lat: float, lon: float) -> bool:
        """True when the point is at least `fence_clearance_m` from every fence."""
        return not any(
            b.minx <= lon <= b.maxx
            and b.miny <= lat <= b.maxy
            and b.fence.distance_m(lat, lon) < self.rules.fence_clearance_m
            for b in self._clearance
        )

    def near_port(self, lat: float, lon: float) -> bool:
        """True when the point may be within a sighting's reach of a fence (boxes only)."""
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
