#!/usr/bin/env python3
"""Derive the land polygons drawn on the vessel pages' maps from GSHHG, via GMT.

Writes ``geofences/data/coast.geojson`` (read by the on-land rule, served by the worker at
/static/coast.geojson), one
GeoJSON FeatureCollection of land (Polygon/MultiPolygon, lon/lat, WGS 84) in two layers:

* ``"detail": "regional"``: the whole region the watched traffic uses, lon 127.0-143.0 E,
  lat 33.0-47.5 N, from GSHHG *high* resolution (``-Dh``), simplified to ~0.002 deg; the port
  boxes below are cut out of it so the coarser outline never paints land over a berth;
* ``"detail": "port"``: GSHHG *full* resolution (``-Df``) inside the bounding box of each
  bundled geofence (``geofences/fences/*.geojson``) grown by 0.3 deg, simplified ~0.0002 deg.

Coordinates are rounded to 5 decimals. Only GSHHG level 1 (ocean/land shoreline) is used:
lakes (level 2) and anything inside them are treated as land (the map is about water that
ships use; a lake is of no interest and omitting it keeps the file small).

How: GMT 6.4's ``gmt coast -M`` cannot dump filled land (-G), only shorelines (-W), and those
come cut into GMT's storage bins. So the script dumps the shoreline pieces for a slightly
larger box (``gmt coast -R.. -D<res> -A0/1/1 -W -M``), nodes them with the box's outline,
polygonizes the result with shapely and asks ``gmt select -N`` whether a point inside each
face is land or water; the land faces are merged, simplified and rounded.

The output is committed, so none of this is needed in CI or at run time. To regenerate, on
Debian bookworm install the tools once (root):

    apt-get install -y gmt gmt-gshhg-full gmt-gshhg-high

then run from the repository root: ``.venv/bin/python scripts/make-coastline.py``, and update
``geofences/data/COAST-LICENSE.md`` if the GSHHG version or the parameters changed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.ops import polygonize, unary_union

ROOT = Path(__file__).resolve().parent.parent
FENCES = ROOT / "geofences" / "fences"
OUT = ROOT / "geofences" / "data" / "coast.geojson"

REGION = (127.0, 143.0, 33.0, 47.5)  # west, east, south, north
REGIONAL_RES = "h"
REGIONAL_TOLERANCE = 0.002  # degrees
PORT_RES = "f"
PORT_MARGIN = 0.3  # degrees around each fence's bounding box
PORT_TOLERANCE = 0.0002  # degrees
DECIMALS = 5
DUMP_PAD = 0.05  # dump shorelines a little beyond the box so they cross its outline
LEVELS = "-A0/1/1"  # min area 0 km2, levels 1..1: ocean/land shoreline only, lakes are land


def gmt(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["gmt", *args], input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"gmt {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def shoreline_pieces(bounds: tuple[float, float, float, float], res: str) -> list:
    """GSHHG level-1 shoreline pieces (LineStrings) around ``bounds`` (w, e, s, n)."""
    w, e, s, n = bounds
    region = f"-R{w - DUMP_PAD}/{e + DUMP_PAD}/{s - DUMP_PAD}/{n + DUMP_PAD}"
    text = gmt("coast", region, f"-D{res}", LEVELS, "-W", "-M")
    lines, current = [], []
    for raw in text.splitlines():
        if raw.startswith(">"):
            if len(current) >= 2:
                lines.append(shapely.LineString(current))
            current = []
        elif raw.strip():
            lon, lat = raw.split()[:2]
            # Snap to ~1 cm so the ends of pieces cut at GMT's bin edges meet exactly.
            current.append((round(float(lon), 7), round(float(lat), 7)))
    if len(current) >= 2:
        lines.append(shapely.LineString(current))
    return lines


def land(bounds: tuple[float, float, float, float], res: str):
    """Land inside the box ``bounds`` (w, e, s, n) at GSHHG resolution ``res``."""
    w, e, s, n = bounds
    frame = box(w, s, e, n)
    noded = unary_union([*shoreline_pieces(bounds, res), frame.exterior])
    faces = [f for f in polygonize(noded) if f.representative_point().within(frame)]
    covered = sum(f.area for f in faces)
    if abs(covered - frame.area) > 1e-6 * frame.area:
        sys.exit(f"faces cover {covered} of {frame.area} deg2 in {bounds}: shoreline not closed")
    points = "".join(
        f"{p.x:.9f} {p.y:.9f} {i}\n" for i, p in enumerate(f.representative_point() for f in faces)
    )
    on_land = gmt("select", f"-D{res}", LEVELS, "-Ns/k", stdin=points)
    keep = {int(row.split()[2]) for row in on_land.splitlines() if row.strip()}
    return unary_union([faces[i] for i in sorted(keep)])


def tidy(geom, tolerance: float):
    """Simplify, round to DECIMALS and repair; return Polygon/MultiPolygon or None if empty."""
    geom = geom.simplify(tolerance, preserve_topology=True)
    geom = shapely.set_precision(geom, 10**-DECIMALS)
    geom = shapely.make_valid(geom)
    polygons = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    geom = unary_union(polygons)
    if geom.is_empty:
        return None
    if not geom.is_valid:
        sys.exit("geometry still invalid after make_valid")
    return geom


def rounded(geometry: dict) -> dict:
    def walk(coords):
        if isinstance(coords[0], int | float):
            return [round(coords[0], DECIMALS), round(coords[1], DECIMALS)]
        return [walk(c) for c in coords]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def port_boxes() -> list[tuple[str, tuple[float, float, float, float]]]:
    boxes = []
    for path in sorted(FENCES.glob("*.geojson")):
        data = json.loads(path.read_text())
        features = data["features"] if data.get("type") == "FeatureCollection" else [data]
        for feature in features:
            w, s, e, n = shape(feature["geometry"]).bounds
            name = feature.get("properties", {}).get("id") or path.stem
            m = PORT_MARGIN
            boxes.append(
                (name, (round(w - m, 4), round(e + m, 4), round(s - m, 4), round(n + m, 4)))
            )
    if not boxes:
        sys.exit(f"no geofences found in {FENCES}")
    return boxes


def feature(geom, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": rounded(mapping(geom))}


def vertices(geom) -> int:
    return shapely.get_num_coordinates(geom)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    features = []
    ports = port_boxes()
    for name, bounds in ports:
        geom = tidy(land(bounds, PORT_RES), PORT_TOLERANCE)
        if geom is not None:
            w, e, s, n = bounds
            features.append(
                feature(
                    geom,
                    detail="port",
                    port=name,
                    resolution="full",
                    bbox=[w, s, e, n],
                )
            )
            print(f"port {name} {bounds}: {vertices(geom)} vertices", file=sys.stderr)

    regional = land(REGION, REGIONAL_RES)
    cut = unary_union([box(w, s, e, n) for _, (w, e, s, n) in ports])
    regional = tidy(regional.difference(cut), REGIONAL_TOLERANCE)
    w, e, s, n = REGION
    features.insert(0, feature(regional, detail="regional", resolution="high", bbox=[w, s, e, n]))
    print(f"regional {REGION}: {vertices(regional)} vertices", file=sys.stderr)

    collection = {
        "type": "FeatureCollection",
        "name": "coast",
        "source": "GSHHG (Wessel & Smith), LGPL-3; see COAST-LICENSE.md",
        "features": features,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
