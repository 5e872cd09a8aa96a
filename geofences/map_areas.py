"""The area around each fence: its box grown by a margin, where vessels approaching it are.

The live page's map draws these areas, and ingest copies the positions inside one to the
small `nearby` topic that the map reads (not the world's `positions`).
"""

from __future__ import annotations

from geofences.index import FenceIndex

MARGIN_DEG = 0.1  # around each fence's box: vessels approaching (about 8-11 km) are included

Box = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def grown(bounds: Box) -> Box:
    """A fence's bounds grown by the margin on every side."""
    minx, miny, maxx, maxy = bounds
    return minx - MARGIN_DEG, miny - MARGIN_DEG, maxx + MARGIN_DEG, maxy + MARGIN_DEG


class MapAreas:
    """The areas around the fences: which one, if any, holds a coordinate."""

    def __init__(self, index: FenceIndex) -> None:
        self.boxes = [(f.id, *grown(f.outer.bounds)) for f in index.fences]

    def area_of(self, lat: float, lon: float) -> str | None:
        """The fence id whose area holds the point; None for most of the world's traffic."""
        for fence_id, minx, miny, maxx, maxy in self.boxes:
            if minx <= lon <= maxx and miny <= lat <= maxy:
                return str(fence_id)
        return None
