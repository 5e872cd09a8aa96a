"""Which fences a coordinate is inside, or near enough not to have left: the per-fix hot path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely

from geofences.model import Fence


@dataclass(frozen=True, slots=True)
class Location:
    """Fence ids that contain the point, and those whose exit buffer contains it."""

    inside: frozenset[str]
    near: frozenset[str]


NOWHERE = Location(frozenset(), frozenset())


class FenceIndex:
    """Built once at start: a bounding-box test first, then prepared polygons."""

    def __init__(self, fences: Sequence[Fence]) -> None:
        self.fences = tuple(fences)
        self.by_id = {f.id: f for f in self.fences}
        self._boxes = [(f, *f.bbox) for f in self.fences]
        # One box around every fence's exit buffer: most of the world's traffic leaves at it.
        boxes = [f.bbox for f in self.fences] or [(0.0, 0.0, -1.0, -1.0)]
        self._minx = min(b[0] for b in boxes)
        self._miny = min(b[1] for b in boxes)
        self._maxx = max(b[2] for b in boxes)
        self._maxy = max(b[3] for b in boxes)

    def far(self, lat: float, lon: float) -> bool:
        """True when the point is outside every fence's exit buffer, by the boxes alone or not."""
        if not (self._minx <= lon <= self._maxx and self._miny <= lat <= self._maxy):
            return True
        return not self.locate(lat, lon).near

    def locate(self, lat: float, lon: float) -> Location:
        """Fast path: most ships are far from every fence and leave at the box test."""
        inside: list[str] = []
        near: list[str] = []
        for fence, minx, miny, maxx, maxy in self._boxes:
            if (
                minx <= lon <= maxx
                and miny <= lat <= maxy
                and shapely.intersects_xy(fence.outer, lon, lat)
            ):
                near.append(fence.id)
                if shapely.intersects_xy(fence.polygon, lon, lat):
                    inside.append(fence.id)
        if not near:
            return NOWHERE
        return Location(frozenset(inside), frozenset(near))

    def locate_plain(self, lat: float, lon: float) -> Location:
        """Reference path without boxes or preparation, for testing the fast one."""
        point = shapely.Point(lon, lat)
        inside = {f.id for f in self.fences if f.polygon.covers(point)}
        near = {f.id for f in self.fences if f.outer.covers(point)}
        return Location(frozenset(inside), frozenset(near))
