"""The live page's map: the fences as GeoJSON and the last position of each vessel around them."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import shapely

from geofences.index import FenceIndex
from geofences.map_areas import MapAreas, grown
from shipwatch.ais.timefmt import EventTimes

KEEP = 2_000  # vessels remembered around all fences
TTL_S = 6 * 3600  # event time: a vessel unheard for this long behind the newest fix is dropped


def fences_geojson(index: FenceIndex) -> dict[str, Any]:
    """A FeatureCollection of the loaded fences with their properties and map area."""
    features = []
    for fence in index.fences:
        view = [round(v, 5) for v in grown(fence.outer.bounds)]
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(fence.polygon)),
                "properties": {
                    "id": fence.id,
                    "name": fence.name,
                    "role": fence.role,
                    "country": fence.country,
                    "exit_buffer_m": fence.exit_buffer_m,
                    # The box the map draws: the fence and the waters a vessel comes in from.
                    "view": view,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class NearbyVessels:
    """The newest position of each vessel inside a fence's map area, bounded in count and age.

    Every fix near a fence comes here (a tenth of the bench's), and a page asks every few
    seconds: a fix is only checked and kept; where it lies against the fences is worked out
    when a page asks."""

    def __init__(self, index: FenceIndex, keep: int = KEEP, ttl_s: float = TTL_S) -> None:
        self.index = index
        self.keep = keep
        self.ttl_s = ttl_s
        self.areas = MapAreas(index)
        self.vessels: OrderedDict[int, _Fix] = OrderedDict()
        self.newest = 0.0
        self._epoch = EventTimes()

    def add_position(self, record: dict[str, Any]) -> None:
        """Keep one position (a value of `<ns>.positions`) when it is in a fence's map area."""
        mmsi, lat, lon = record.get("mmsi"), _number(record.get("lat")), _number(record.get("lon"))
        if record.get("kind") != "position" or not isinstance(mmsi, int) or lat is None:
            return
        if lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return
        area = self.areas.area_of(lat, lon)
        if area is None:
            return  # most of the world's traffic leaves here, after two comparisons per fence
        ts = str(record.get("ts"))
        try:
            when = self._epoch(ts)
        except ValueError:
            return
        known = self.vessels.get(mmsi)
        if known is not None and known.t >= when:
            return  # late or repeated: the map shows the newest fix
        self.vessels.pop(mmsi, None)
        sog, cog = _number(record.get("sog")), _number(record.get("cog"))
        self.vessels[mmsi] = _Fix(mmsi, lat, lon, sog, cog, ts, when, area)
        self.newest = max(self.newest, when)
        while len(self.vessels) > self.keep:
            self.vessels.popitem(last=False)

    def snapshot(self) -> list[dict[str, Any]]:
        """The vessels around the fences, the most recently heard first."""
        # Expired here, not per position: a page asks every few seconds, fixes come far faster.
        horizon = self.newest - self.ttl_s
        for mmsi in [m for m, v in self.vessels.items() if v.t < horizon]:
            del self.vessels[mmsi]
        return sorted(
            (self._view(fix) for fix in self.vessels.values()),
            key=lambda v: v["ts"],
            reverse=True,
        )

    def _view(self, fix: _Fix) -> dict[str, Any]:
        if fix.inside is None:  # once per fix shown, however often the pages ask
            location = self.index.locate(fix.lat, fix.lon)
            fix.inside = sorted(location.inside)
            fix.near = sorted(location.near - location.inside)
        return {
            "mmsi": fix.mmsi,
            "lat": fix.lat,
            "lon": fix.lon,
            "sog": fix.sog,
            "cog": fix.cog,
            "ts": fix.ts,
            "area": fix.area,
            "inside": fix.inside,
            "near": fix.near,
        }


@dataclass(slots=True)
class _Fix:
    mmsi: int
    lat: float
    lon: float
    sog: float | None
    cog: float | None
    ts: str
    t: float  # epoch seconds of `ts`
    area: str
    inside: list[str] | None = None  # the fences it is in, once a page has asked
    near: list[str] | None = None
