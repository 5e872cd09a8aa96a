"""Area cells: a plain latitude/longitude grid; points near an edge go to the neighbours too
(the sea stage's cells `c:`, the integrity checks' jam cells `j:`)."""

from __future__ import annotations

import math

from geofences.earth import METRES_PER_DEGREE


def cell_of(lat: float, lon: float, cell_deg: float, prefix: str = "c") -> str:
    """The cell key of a point: `<prefix>:<column>:<row>`."""
    return f"{prefix}:{math.floor(lon / cell_deg)}:{math.floor(lat / cell_deg)}"


def cells_near(
    lat: float, lon: float, cell_deg: float, margin_m: float, prefix: str = "c"
) -> list[str]:
    """The point's own cell first, then every neighbour cell within `margin_m` of it.

    Two points within `margin_m` of each other then always share at least the cell of one of
    them: the pair is found there, wherever the cell edges fall."""
    col, row = math.floor(lon / cell_deg), math.floor(lat / cell_deg)
    # A hair wide, so that rounding never makes the margin in degrees come out short.
    dlat = margin_m / METRES_PER_DEGREE * (1 + 1e-9)
    dlon = margin_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)) * (1 + 1e-9)
    cols = {math.floor((lon - dlon) / cell_deg), col, math.floor((lon + dlon) / cell_deg)}
    rows = {math.floor((lat - dlat) / cell_deg), row, math.floor((lat + dlat) / cell_deg)}
    near = [f"{prefix}:{c}:{r}" for c in sorted(cols) for r in sorted(rows) if (c, r) != (col, row)]
    return [f"{prefix}:{col}:{row}", *near]
