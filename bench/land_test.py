"""The cost of the on-land test: microseconds per `LandIndex.inland_m` lookup, by kind of point.

Run: `python -m bench.land_test [--points N] [--seed S]`. Builds the bundled coastline's index
(timed), then times seeded random points of each kind, in a loop as the track stage calls it:
- open sea: points in the coverage whose grid cell holds no land (a byte lookup);
- outside the coverage: anywhere else in the world (a box test);
- near the shore: points in the cells the shore crosses, at sea (a point in polygon test) and
  on land within 1 km (a moored ship on a badly drawn shore: the test, then the distance to the
  few shore segments within 1.5 km) or 1 to 3 km inland (what the on-land rule finds);
- deep inland: points in cells with no shore within 2 km (the distance only, searched wider).
The worker's whole budget is about 50 us per position; most positions are of the first two kinds.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence

from geofences.coast import LandIndex, coast_bytes

Point = tuple[float, float]  # (lat, lon)


def _sample(
    rng: random.Random, count: int, draw: Callable[[], Point], keep: Callable[[Point], bool]
) -> list[Point]:
    found: list[Point] = []
    for _ in range(count * 1000):
        if len(found) == count:
            break
        point = draw()
        if keep(point):
            found.append(point)
    return found


def samples(index: LandIndex, count: int, seed: int) -> dict[str, list[Point]]:
    """`count` seeded points of each kind (fewer if a kind is rare in the coverage)."""
    rng = random.Random(seed)
    west, south, east, north = index.coverage

    def inside() -> Point:
        return (rng.uniform(south, north), rng.uniform(west, east))

    def world() -> Point:
        return (rng.uniform(-90.0, 90.0), rng.uniform(-180.0, 180.0))

    def shore() -> Point:  # a cell the shore crosses, then a point in it
        while True:
            lat, lon = inside()
            if index.cell_kind(lat, lon) == "mixed":
                return lat, lon

    def inland(low: float, high: float) -> Callable[[Point], bool]:
        return lambda p: low < (index.inland_m(*p) or 0.0) <= high

    return {
        "open sea": _sample(rng, count, inside, lambda p: index.cell_kind(*p) == "sea"),
        "outside the coverage": _sample(rng, count, world, lambda p: not index.covers(*p)),
        "near the shore, at sea": _sample(rng, count, shore, lambda p: index.inland_m(*p) == 0),
        "on land, within 1 km": _sample(rng, count, shore, inland(0.0, 1000.0)),
        "on land, 1 to 3 km in": _sample(rng, count, shore, inland(1000.0, 3000.0)),
        "deep inland": _sample(rng, count, inside, lambda p: index.cell_kind(*p) == "deep"),
    }


def time_lookups(index: LandIndex, points: Sequence[Point], repeat: int = 3) -> float:
    """The best of `repeat` passes over the points: microseconds per lookup."""
    inland_m = index.inland_m
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for lat, lon in points:
            inland_m(lat, lon)
        best = min(best, time.perf_counter() - start)
    return best / max(len(points), 1) * 1e6


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="points of each kind")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = LandIndex(json.loads(coast_bytes()))
    built = time.perf_counter() - start
    counts = ", ".join(f"{n} {k}" for k, n in index.cell_counts().items())
    print(f"index built in {built:.2f} s; {index.cell_deg} degree cells: {counts}")
    for kind, points in samples(index, args.points, args.seed).items():
        print(f"{kind:<26} {time_lookups(index, points):7.2f} us per lookup ({len(points)} points)")


if __name__ == "__main__":
    main()
