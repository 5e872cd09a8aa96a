"""The GeoJSON export: a FeatureCollection of the track, its fixes, events and alerts (pure)."""

from __future__ import annotations

from typing import Any

from shipwatch.history.export.selection import (
    Subject,
    fix_json,
    jsonable,
    mappable,
    placed,
    select,
    track_lines,
    vessel_name,
)
from shipwatch.history.model import Record, VesselHistory


def to_geojson(history: VesselHistory, subject: Subject) -> dict[str, Any]:
    """The subject as a GeoJSON FeatureCollection: track line(s), fixes, events and alerts."""
    selection = select(history, subject)
    features: list[Record] = []
    lines = track_lines(selection.track)
    if lines:
        coordinates = [[[fix.lon, fix.lat] for fix in line] for line in lines]
        geometry: Record = (
            {"type": "LineString", "coordinates": coordinates[0]}
            if len(coordinates) == 1
            else {"type": "MultiLineString", "coordinates": coordinates}
        )
        properties = {
            "feature": "track",
            "mmsi": history.mmsi,
            "name": history.identity.get("name"),
            "from": lines[0][0].ts,
            "to": lines[-1][-1].ts,
            "fixes": sum(len(line) for line in lines),
            "segments": len(lines),
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    for _, fix in mappable(selection.track):
        fix_properties = {"feature": "fix", **fix_json(fix)}
        del fix_properties["lat"], fix_properties["lon"]
        geometry = {"type": "Point", "coordinates": [fix.lon, fix.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": fix_properties})
    for place in placed(selection):
        entry = place.entry
        entry_properties = {
            "feature": entry.source,
            "kind": entry.kind,
            "at": entry.at,
            "source": entry.source,
            "position_from": place.position_from,
            "nearest_fix_ts": place.nearest_fix_ts,
            "record": jsonable(entry.record),
        }
        geometry = {"type": "Point", "coordinates": [place.lon, place.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": entry_properties})
    return {
        "type": "FeatureCollection",
        "name": f"{vessel_name(history)} — {subject.label(history.mmsi)}",
        "features": features,
    }
