"""Which findings become alerts: near a watched port (every fence is one) within a radius."""

from __future__ import annotations

from geofences.index import FenceIndex


class PortScope:
    """Built once: each fence's box grown by the radius, then the exact distance inside it."""

    def __init__(self, index: FenceIndex, radius_m: float) -> None:
        self.radius_m = radius_m
        self._boxes = [(fence, *fence.box_within(radius_m)) for fence in index.fences]

    def port(self, lat: float, lon: float) -> str | None:
        """The nearest fence within the radius of the point (its id), or None."""
        best: tuple[float, str] | None = None
        for fence, minx, miny, maxx, maxy in self._boxes:
            if minx <= lon <= maxx and miny <= lat <= maxy:
                d = fence.distance_m(lat, lon)
                if d <= self.radius_m and (best is None or (d, fence.id) < best):
                    best = (d, fence.id)
        return None if best is None else best[1]
