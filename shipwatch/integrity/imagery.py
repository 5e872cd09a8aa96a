"""`position_tampering`, reason `not_in_imagery`: AIS says a vessel is inside a satellite scene,
and the scene saw no one there.

The converse of the dark vessel: a watched vessel's AIS position, interpolated to the scene's
time between the fixes around it (as sightings are matched), lies well inside the footprint,
the vessel is larger than the smallest ship the image shows, and no sighting of that scene lies
within the matching distance of it. The scene's unmatched (dark) sightings go with the finding
as `sightings_elsewhere`: where the ship may really have been.

No evidence, no finding: a vessel without a fix on each side of the scene's time (each within
`MAX_FIX_GAP_S`), of unknown length, not longer than the scene's `min_length_m`, or too near
the footprint's edge, is skipped. Pure: the sea stage gathers the scene, its sightings and the
watched vessels' fixes, and calls `not_seen` once they are all in (the level-2 watermark).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

from geofences.movement import distance_m
from shipwatch.integrity.footprints import footprint_of
from shipwatch.integrity.thresholds import IntegrityRules

Record = dict[str, Any]
# Both fixes around the scene's time must be this near it: the sea stage's `max_interp_s`, the
# longest silence a position is interpolated across.
MAX_FIX_GAP_S = 1800.0
MAX_ELSEWHERE = 20  # the nearest unmatched sightings of the scene named in the finding


def position_at(
    fixes: Sequence[Sequence[float]], t: float, max_gap_s: float = MAX_FIX_GAP_S
) -> tuple[float, float] | None:
    """The position at `t` interpolated between the fixes just before and after it (`fixes`
    sorted [t, lat, lon]); a fix at `t` itself is the position. None without a fix on each
    side within `max_gap_s`."""
    i = bisect.bisect_left(fixes, t, key=lambda f: f[0])
    if i < len(fixes) and fixes[i][0] == t:
        return float(fixes[i][1]), float(fixes[i][2])
    if i == 0 or i == len(fixes):
        return None
    (t0, lat0, lon0), (t1, lat1, lon1) = fixes[i - 1][:3], fixes[i][:3]
    if t - t0 > max_gap_s or t1 - t > max_gap_s:
        return None
    f = (t - t0) / (t1 - t0)
    dlon = lon1 - lon0
    if abs(dlon) > 180:  # across the antimeridian: the short way round
        dlon -= 360 if dlon > 0 else -360
    lon = lon0 + f * dlon
    lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
    return lat0 + f * (lat1 - lat0), lon


def not_seen(
    scene: Record,
    vessels: list[Record],
    sightings: list[Record],
    rules: IntegrityRules,
    match_m: float,
    port_of: Callable[[float, float], str | None] | None = None,
    max_gap_s: float = MAX_FIX_GAP_S,
) -> list[Record]:
    """The `position_tampering` (`not_in_imagery`) events of one scene, by MMSI.

    `scene` is {scene_id, t (epoch), ts, footprint (GeoJSON), source, min_length_m}; each vessel
    {mmsi, name, imo, length, fixes: [[t, lat, lon], ...] sorted}; `sightings` the scene's own
    [{sighting_id, t, lat, lon, length_m, matched_mmsi}]. A vessel is seen when a sighting of
    the scene lies within `match_m` plus half its length of its position, or was matched to it.
    `port_of` names the watched port near a position (the alerts' scope), if any.
    """
    footprint = footprint_of(scene["scene_id"], scene["footprint"])
    t = float(scene["t"])
    floor = scene.get("min_length_m") or 0.0
    dark = [s for s in sightings if s.get("matched_mmsi") is None]
    out: list[Record] = []
    for vessel in sorted(vessels, key=lambda v: int(v["mmsi"])):
        mmsi, length = int(vessel["mmsi"]), vessel.get("length")
        if length is None or length <= floor:
            continue  # a ship the image may not show: its absence proves nothing
        at = position_at(vessel["fixes"], t, max_gap_s)
        if at is None:
            continue  # no AIS on both sides of the image: no claim to test
        lat, lon = at
        inside = footprint.inside_m(lat, lon)
        if inside < rules.scene_inside_m:
            continue  # outside, or near enough the edge to be a position error
        reach = match_m + length / 2
        if any(
            s.get("matched_mmsi") == mmsi or distance_m(lat, lon, s["lat"], s["lon"]) <= reach
            for s in sightings
        ):
            continue
        elsewhere = sorted(
            ((distance_m(lat, lon, s["lat"], s["lon"]), s) for s in dark),
            key=lambda d: (d[0], str(d[1]["sighting_id"])),
        )[:MAX_ELSEWHERE]
        out.append(
            {
                "kind": "position_tampering",
                "mmsi": mmsi,
                "at": scene["ts"],
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "name": vessel.get("name"),
                "imo": vessel.get("imo"),
                "reason": "not_in_imagery",
                "port": port_of(lat, lon) if port_of is not None else None,
                "scene_id": scene["scene_id"],
                "scene_source": scene.get("source"),
                "inside_m": round(inside),
                "length": length,
                "sightings_elsewhere": [
                    {
                        "sighting_id": s["sighting_id"],
                        "lat": s["lat"],
                        "lon": s["lon"],
                        "distance_km": round(metres / 1000, 1),
                    }
                    for metres, s in elsewhere
                ],
            }
        )
    return out
