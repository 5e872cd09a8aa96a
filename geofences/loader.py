"""Loading every GeoJSON file of a folder into validated fences."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.errors import GEOSException

from geofences.errors import GeofenceError
from geofences.model import Fence, make_fence


def load_file(path: Path) -> list[Fence]:
    """The fences of one GeoJSON FeatureCollection file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeofenceError(f"{path}: cannot read GeoJSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise GeofenceError(f"{path}: must be a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise GeofenceError(f"{path}: has no features")
    fences = []
    for number, feature in enumerate(features, start=1):
        where = f"{path} feature {number}"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise GeofenceError(f"{where}: a Feature with properties is required")
        try:
            geometry = shapely.from_geojson(json.dumps(feature.get("geometry")))
        except (GEOSException, ValueError, TypeError) as exc:
            raise GeofenceError(f"{where}: bad geometry: {exc}") from exc
        fences.append(make_fence(feature["properties"], geometry, str(path)))
    return fences


def load_dir(folder: Path) -> list[Fence]:
    """Every fence in the folder's *.geojson and *.json files; ids must be unique."""
    if not folder.is_dir():
        raise GeofenceError(f"{folder}: geofences folder not found")
    files = sorted([*folder.glob("*.geojson"), *folder.glob("*.json")])
    if not files:
        raise GeofenceError(f"{folder}: no .geojson files")
    fences: list[Fence] = []
    seen: dict[str, str] = {}
    for path in files:
        for fence in load_file(path):
            if fence.id in seen:
                raise GeofenceError(
                    f"{path}: fence id {fence.id!r} already used in {seen[fence.id]}"
                )
            seen[fence.id] = str(path)
            fences.append(fence)
    return fences
