"""The bundled coastline as a land index: how far inland a position lies (the on-land rule).

The coastline is `geofences/data/coast.geojson` (GSHHG 2.3.7, high resolution over the region,
full resolution around each bundled port; licence and making in `data/COAST-LICENSE.md`). The
web pages draw the same file, served at /static/coast.geojson.

`LandIndex.inland_m` runs for every position of every vessel, so most answers come from a
grid of cells classified once: a position outside the coastline's box is unknown (None); in a
cell with no land it is at sea (0.0) with no geometry call; a cell the shore crosses is cut into
sub-cells, classified the same way, and only in a sub-cell the shore crosses is the point tested
against the land; only a point on land is measured to the shore.

Distances use geofences.earth's sphere, in a local projection around the point (metres per
degree of latitude, and of longitude at its latitude), as every other distance in shipwatch.

Mind the resolution: GSHHG is no chart. Around ports it can be hundreds of metres off
(Vostochny's berths lie about 560 m from the drawn shore; Chongjin's breakwaters are missing),
and lakes are drawn as land. A rule on top must allow for that (a margin, and the fences).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon

COAST_RESOURCE = "data/coast.geojson"  # inside the geofences package (package data)
CELL_DEG = 0.05  # grid cells: about 5.6 km by 4 km in the region
DEEP_M = 2_000.0  # a "deep" cell: every point of it at least this far inland
FIRST_REACH_M = 1_500.0  # a point on land is first measured to the shore segments this near
FEW_SEGMENTS = 64  # up to this many candidate segments are measured in Python, more in numpy
EDGE_EPS_DEG = 1e-9  # cells are classified a hair larger than they are: float rounding
# A mixed cell's sub-cells a side (about 700 m by 500 m). There the point in polygon test
# against the whole coastline cost about 8.5 µs a fix; the bench's traffic puts 5 % of its fixes
# in mixed cells, a coast's own traffic (ports, anchorages, straits) far more. A third of the
# 374,336 sub-cells are all sea and more than half all land: the bench's fixes in mixed cells
# now cost 5.0 µs (1.2 in sea sub-cells). Classifying them adds 0.6-0.75 s to the build.
SUB_CELLS = 8

# Cell kinds, one byte per cell.
SEA = 0  # no land in the cell (nor on its edge): every point of it is at sea
MIXED = 1  # the shore crosses the cell (or comes near): test the point against the land
DEEP = 2  # the cell and DEEP_M around it are land: every point of it is inland, measure it
KIND_NAMES = {SEA: "sea", MIXED: "mixed", DEEP: "deep"}
# Sub-cell kinds, one byte per sub-cell of a mixed cell.
SUB_SEA = 0  # no shore crosses it and its centre is at sea: every point of it is at sea
SUB_SHORE = 1  # the shore crosses it (or the coverage's edge is near): test the point
SUB_LAND = 2  # no shore crosses it and its centre is on land: every point of it is on land
SUB_KIND_NAMES = {SUB_SEA: "sea", SUB_SHORE: "shore", SUB_LAND: "land"}


def coast_bytes() -> bytes:
    """The bundled coastline's GeoJSON, as the package holds it (the web pages serve these)."""
    return resources.files("geofences").joinpath(COAST_RESOURCE).read_bytes()


@functools.cache
def land_index() -> LandIndex:
    """The bundled coastline's index, built on first use (about a second) and kept."""
    return LandIndex(json.loads(coast_bytes()))


class LandIndex:
    """Land polygons, their shore as segments in an STRtree, and a grid of classified cells."""

    def __init__(
        self, collection: Mapping[str, Any], *, cell_deg: float = CELL_DEG, deep_m: float = DEEP_M
    ) -> None:
        features = list(collection.get("features") or [])
        geoms = [shape(f["geometry"]) for f in features]
        land = shapely.union_all(geoms) if geoms else shapely.Polygon()
        if not land.is_valid:
            land = shapely.make_valid(land)
        shapely.prepare(land)
        self.land = land
        self.coverage = _coverage(features, land)
        west, south, east, north = self.coverage
        self._west, self._south = west, south
        self._width, self._height = east - west, north - south
        self._segments = _shore(land, self.coverage)
        self._rows_of: list[tuple[float, float, float, float]] = [
            (x0, y0, x1, y1) for x0, y0, x1, y1 in self._segments.tolist()
        ]
        self._shore: Any = (
            shapely.STRtree(shapely.linestrings(self._segments.reshape(-1, 2, 2)))
            if len(self._segments)
            else None
        )
        # The grid.
        self.cell_deg = cell_deg
        self._inv_cell = 1.0 / cell_deg
        self._cols = max(1, math.ceil(self._width / cell_deg - 1e-9))
        self._rows = max(1, math.ceil(self._height / cell_deg - 1e-9))
        self._deep_m = deep_m
        self._cells = _classify(
            land, self._shore, self.coverage, self._cols, self._rows, cell_deg, deep_m
        )
        self._inv_sub = SUB_CELLS / cell_deg
        # Each mixed cell's sub-cells, row by row from its south-west corner.
        self._subs = _classify_subs(
            land, self._shore, self.coverage, self._cols, self._cells, cell_deg
        )

    def covers(self, lat: float, lon: float) -> bool:
        """True when the point lies in the coastline's box (where the file says land or sea)."""
        x, y = lon - self._west, lat - self._south
        return 0.0 <= x <= self._width and 0.0 <= y <= self._height

    def inland_m(self, lat: float, lon: float) -> float | None:
        """Metres from the point to the nearest shore when it is on land; 0.0 at sea; None when
        the point is outside the coastline's coverage (unknown: never evidence of anything).

        Near the coverage's edge the distance is at most the distance to that edge: the shore
        beyond it is unknown, so the answer never overstates how far inland a point is.
        """
        x, y = lon - self._west, lat - self._south
        if not (0.0 <= x <= self._width and 0.0 <= y <= self._height):  # NaN too
            return None
        col = int(x * self._inv_cell)
        row = int(y * self._inv_cell)
        if col >= self._cols:
            col = self._cols - 1
        if row >= self._rows:
            row = self._rows - 1
        kind = self._cells[row * self._cols + col]
        if kind == SEA:
            return 0.0
        if kind == DEEP:  # no shore within deep_m: straight to the wider search
            return self._shore_m(lat, lon, 0.0)
        if not self._on_land(row * self._cols + col, col, row, x, y, lat, lon):
            return 0.0
        return self._shore_m(lat, lon, FIRST_REACH_M)

    def inland_beyond(self, lat: float, lon: float, metres: float) -> bool | None:
        """Whether the point is on land more than `metres` from every shore (None outside the
        coverage): the on-land rule's question, cheaper than `inland_m` on land, as deep cells
        answer at once and a mixed one measures only within `metres`."""
        # On the track stage's hot path, for every fix at sea: written out, without min().
        x, y = lon - self._west, lat - self._south
        if not (0.0 <= x <= self._width and 0.0 <= y <= self._height):  # NaN too
            return None
        cols = self._cols
        col = int(x * self._inv_cell)
        row = int(y * self._inv_cell)
        if col >= cols:
            col = cols - 1
        if row >= self._rows:
            row = self._rows - 1
        kind = self._cells[row * cols + col]
        if kind == SEA:
            return False
        if kind == DEEP:
            if metres <= self._deep_m:  # no shore within deep_m of the cell
                return True
            if not shapely.contains_xy(self.land, lon, lat):
                return False
        elif not self._on_land(row * cols + col, col, row, x, y, lat, lon):
            return False
        lon_m = metres_per_degree_lon(lat)
        if self._edge_m(lat, lon, lon_m) <= metres:
            return False  # the shore beyond the coverage's edge is unknown: never evidence
        return self._shore is None or self._nearest(lat, lon, lon_m, metres) > metres

    def cell_kind(self, lat: float, lon: float) -> str | None:
        """The grid cell's class at the point: "sea", "mixed" or "deep" (None outside)."""
        if not self.covers(lat, lon):
            return None
        col = min(int((lon - self._west) * self._inv_cell), self._cols - 1)
        row = min(int((lat - self._south) * self._inv_cell), self._rows - 1)
        return KIND_NAMES[self._cells[row * self._cols + col]]

    def _on_land(
        self, cell: int, col: int, row: int, x: float, y: float, lat: float, lon: float
    ) -> bool:
        """Whether a point of a mixed cell is on land: its sub-cell's kind, or where the shore
        crosses the sub-cell the point in polygon test."""
        kind = self._sub_kind(cell, col, row, x, y)
        if kind == SUB_SEA:
            return False
        if kind == SUB_LAND:
            return True
        return bool(shapely.contains_xy(self.land, lon, lat))

    def _sub_kind(self, cell: int, col: int, row: int, x: float, y: float) -> int:
        """The kind of the sub-cell at (x, y), degrees from the coverage's south-west corner,
        in the mixed cell `cell` at (col, row)."""
        sub_col = int(x * self._inv_sub) - col * SUB_CELLS
        sub_row = int(y * self._inv_sub) - row * SUB_CELLS
        # Rounding can put a point on the cell's edge a sub-cell beyond it: the classes are
        # drawn a hair larger than the sub-cells, so the nearest one inside still holds it.
        sub_col = 0 if sub_col < 0 else SUB_CELLS - 1 if sub_col >= SUB_CELLS else sub_col
        sub_row = 0 if sub_row < 0 else SUB_CELLS - 1 if sub_row >= SUB_CELLS else sub_row
        return self._subs[cell][sub_row * SUB_CELLS + sub_col]

    def sub_cell_kind(self, lat: float, lon: float) -> str | None:
        """The sub-cell's class at a point of a mixed cell ("sea", "shore" or "land"); None
        elsewhere."""
        if self.cell_kind(lat, lon) != "mixed":
            return None
        x, y = lon - self._west, lat - self._south
        col = min(int(x * self._inv_cell), self._cols - 1)
        row = min(int(y * self._inv_cell), self._rows - 1)
        return SUB_KIND_NAMES[self._sub_kind(row * self._cols + col, col, row, x, y)]

    def cell_counts(self) -> dict[str, int]:
        """How many cells of each kind the grid holds (for the bench and the docs)."""
        return {name: self._cells.count(bytes([kind])) for kind, name in KIND_NAMES.items()}

    def sub_cell_counts(self) -> dict[str, int]:
        """How many sub-cells of each kind the mixed cells hold."""
        every = b"".join(self._subs.values())
        return {name: every.count(bytes([kind])) for kind, name in SUB_KIND_NAMES.items()}

    def shore_m(self, lat: float, lon: float) -> float:
        """Metres from the point to the nearest drawn shore, on land or at sea alike (capped at
        the distance to the coverage's edge, beyond which the shore is unknown)."""
        return self._shore_m(lat, lon, FIRST_REACH_M)

    def _edge_m(self, lat: float, lon: float, lon_m: float) -> float:
        """Metres from the point to the coverage's edge (0 outside)."""
        west, south, east, north = self.coverage
        return max(
            min(
                (lat - south) * METRES_PER_DEGREE,
                (north - lat) * METRES_PER_DEGREE,
                (lon - west) * lon_m,
                (east - lon) * lon_m,
            ),
            0.0,
        )

    def _shore_m(self, lat: float, lon: float, first_reach: float) -> float:
        lon_m = metres_per_degree_lon(lat)
        edge_m = self._edge_m(lat, lon, lon_m)
        if self._shore is None:
            return edge_m
        # Most points on land are near the shore: measure the segments within first_reach.
        # Every segment within `reach` metres is found (in the box of that half-side), so a
        # distance within reach is the answer, and one beyond it bounds the answer.
        reach = min(first_reach, edge_m)
        metres = self._nearest(lat, lon, lon_m, reach) if reach > 0.0 else math.inf
        if metres > reach and reach < edge_m:
            if metres == math.inf:  # none in the box: the nearest segment in degrees bounds it
                _, (deg,) = self._shore.query_nearest(
                    shapely.Point(lon, lat), return_distance=True, all_matches=False
                )
                metres = float(deg) * METRES_PER_DEGREE  # no degree is longer than that
            reach = min(metres * (1 + 1e-9) + 1e-6, edge_m)
            metres = self._nearest(lat, lon, lon_m, reach)
        return min(metres, edge_m)

    def _nearest(self, lat: float, lon: float, lon_m: float, reach: float) -> float:
        """Metres to the nearest of the shore segments whose boxes meet the box of half-side
        `reach` metres around the point (infinite when none does).

        Distances are in the local projection: in plain Python for a few segments (numpy's
        overhead per call is larger than their sums), else in numpy.
        """
        dlat = reach / METRES_PER_DEGREE
        dlon = reach / lon_m
        hits = self._shore.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        if len(hits) == 0:
            return math.inf
        k = lon_m / METRES_PER_DEGREE  # the local projection, in degrees of latitude
        if len(hits) <= FEW_SEGMENTS:
            rows = self._rows_of
            best = math.inf
            for i in hits.tolist():
                x0, y0, x1, y1 = rows[i]
                ax = (x0 - lon) * k
                ay = y0 - lat
                dx = (x1 - x0) * k
                dy = y1 - y0
                # The point of the segment nearest the origin: a + t (b - a), t in [0, 1].
                t = -(ax * dx + ay * dy) / (dx * dx + dy * dy)
                if t < 0.0:
                    t = 0.0
                elif t > 1.0:
                    t = 1.0
                px = ax + t * dx
                py = ay + t * dy
                d2 = px * px + py * py
                if d2 < best:
                    best = d2
        else:
            seg = self._segments[hits]
            ax = (seg[:, 0] - lon) * k
            ay = seg[:, 1] - lat
            dx = (seg[:, 2] - seg[:, 0]) * k
            dy = seg[:, 3] - seg[:, 1]
            t = np.minimum(np.maximum(-(ax * dx + ay * dy) / (dx * dx + dy * dy), 0.0), 1.0)
            px = ax + t * dx
            py = ay + t * dy
            best = float((px * px + py * py).min())
        return math.sqrt(best) * METRES_PER_DEGREE


def _coverage(features: list[Any], land: Any) -> tuple[float, float, float, float]:
    """West, south, east, north of the file's boxes (each feature's `bbox` property), or of
    the land when a feature has none."""
    boxes: list[Any] = [(f.get("properties") or {}).get("bbox") for f in features]
    if boxes and all(isinstance(b, list | tuple) and len(b) == 4 for b in boxes):
        return (
            float(min(b[0] for b in boxes)),
            float(min(b[1] for b in boxes)),
            float(max(b[2] for b in boxes)),
            float(max(b[3] for b in boxes)),
        )
    if land.is_empty:
        return (0.0, 0.0, -1.0, -1.0)  # covers nothing
    west, south, east, north = land.bounds
    return (float(west), float(south), float(east), float(north))


def _shore(land: Any, coverage: tuple[float, float, float, float]) -> Any:
    """The shore as an array of segments (lon0, lat0, lon1, lat1), one a row. The land's
    outline where the file's box cut it is no shore and is left out, as are empty segments."""
    west, south, east, north = coverage
    rows = []
    for ring in shapely.get_rings(shapely.get_parts(land)):
        coords = shapely.get_coordinates(ring).tolist()
        for (x0, y0), (x1, y1) in itertools.pairwise(coords):
            if (x0, y0) == (x1, y1):
                continue
            if (x0 == x1 and x0 in (west, east)) or (y0 == y1 and y0 in (south, north)):
                continue  # along the coverage's edge: a cut, not a shore
            rows.append((x0, y0, x1, y1))
    return np.array(rows, dtype=float).reshape(-1, 4)


def _classify(
    land: Any,
    shore: Any,
    coverage: tuple[float, float, float, float],
    cols: int,
    rows: int,
    cell_deg: float,
    deep_m: float,
) -> bytes:
    """One byte per cell, row by row from the south-west: SEA, MIXED or DEEP.

    A cell no shore segment touches is all land or all sea, as its centre is; a land cell
    with no shore within deep_m of it (and inside the coverage by as much) is DEEP.
    """
    west, south, east, north = coverage
    count = cols * rows
    cells = bytearray([SEA]) * count
    if land.is_empty:
        return bytes(cells)
    x0 = [west + (i % cols) * cell_deg for i in range(count)]
    y0 = [south + (i // cols) * cell_deg for i in range(count)]
    eps = EDGE_EPS_DEG
    half = cell_deg / 2
    on_land = shapely.contains_xy(land, [x + half for x in x0], [y + half for y in y0]).tolist()
    crossed: set[int] = set()
    if shore is not None:
        boxes = shapely.box(
            [x - eps for x in x0],
            [y - eps for y in y0],
            [x + cell_deg + eps for x in x0],
            [y + cell_deg + eps for y in y0],
        )
        crossed = set(shore.query(boxes, predicate="intersects")[0].tolist())
    inland = []
    margins = []
    dlat = deep_m / METRES_PER_DEGREE + eps
    for i in range(count):
        if i in crossed:
            cells[i] = MIXED
        elif on_land[i]:
            # Grown by deep_m, in degrees at the poleward corner (where a degree of longitude
            # is shortest): every point of the cell has that much around it.
            poleward = max(abs(y0[i] - dlat), abs(y0[i] + cell_deg + dlat))
            dlon = deep_m / metres_per_degree_lon(poleward) + eps
            margin = (x0[i] - dlon, y0[i] - dlat, x0[i] + cell_deg + dlon, y0[i] + cell_deg + dlat)
            inside = west <= margin[0] and south <= margin[1]
            if inside and margin[2] <= east and margin[3] <= north:
                inland.append(i)
                margins.append(margin)
            else:
                cells[i] = MIXED  # near the coverage's edge: measured, not trusted deep
    near: set[int] = set()
    if shore is not None and margins:
        near = set(
            shore.query(shapely.box(*zip(*margins, strict=True)), predicate="intersects")[
                0
            ].tolist()
        )
    for k, i in enumerate(inland):
        cells[i] = MIXED if k in near else DEEP
    return bytes(cells)


def _classify_subs(
    land: Any,
    shore: Any,
    coverage: tuple[float, float, float, float],
    cols: int,
    cells: bytes,
    cell_deg: float,
) -> dict[int, bytes]:
    """Each mixed cell's SUB_CELLS² sub-cells, one byte each (SUB_SEA, SUB_SHORE or SUB_LAND),
    by the cell's index: as `_classify` does for cells, a sub-cell no shore segment touches is
    all land or all sea, as its centre is. One within a hair of the coverage's edge is SHORE:
    the land's outline along that edge is a cut, not a shore, and a point on it is not inside
    the land (the point in polygon test decides it, as before)."""
    mixed = np.flatnonzero(np.frombuffer(cells, dtype=np.uint8) == MIXED)
    if len(mixed) == 0:
        return {}
    west, south, east, north = coverage
    step = cell_deg / SUB_CELLS
    k = np.arange(SUB_CELLS * SUB_CELLS)
    # Every mixed cell's sub-cells, in one array: cell by cell, each row by row.
    x0 = ((west + (mixed % cols) * cell_deg)[:, None] + ((k % SUB_CELLS) * step)[None, :]).ravel()
    y0 = (
        (south + (mixed // cols) * cell_deg)[:, None] + ((k // SUB_CELLS) * step)[None, :]
    ).ravel()
    eps = EDGE_EPS_DEG
    kinds = np.where(shapely.contains_xy(land, x0 + step / 2, y0 + step / 2), SUB_LAND, SUB_SEA)
    if shore is not None:
        boxes = shapely.box(x0 - eps, y0 - eps, x0 + step + eps, y0 + step + eps)
        kinds[np.unique(shore.query(boxes, predicate="intersects")[0])] = SUB_SHORE
    at_edge = (x0 - eps <= west) | (y0 - eps <= south)
    at_edge |= (x0 + step + eps >= east) | (y0 + step + eps >= north)
    kinds[at_edge] = SUB_SHORE
    per_cell = kinds.astype(np.uint8).reshape(len(mixed), SUB_CELLS * SUB_CELLS)
    return {int(cell): row.tobytes() for cell, row in zip(mixed.tolist(), per_cell, strict=True)}
