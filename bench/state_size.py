"""Bytes of per-vessel state after the reference scenario: what the tables hold per MMSI.

Run: `python -m bench.state_size`. Reports the JSON size (what each changelog record carries)
and the in-memory size of the table values (what a worker keeps per vessel), mean and max.
"""

from __future__ import annotations

import statistics
import tracemalloc

import orjson

from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import BUNDLED_GEOFENCES


def main() -> None:
    """Run the scenario, then measure every vessel's stored state."""
    detector = Detector(*build_core(BUNDLED_GEOFENCES))
    for item in decode_files([SCENARIO_PATH], "auto", Tally()):
        if isinstance(item, Decoded):
            for record in item.records:
                list(detector.process(record))
    json_sizes = []
    for mmsi, track in detector.tracks.items():
        voyage = detector.voyages.get(mmsi)
        size = len(orjson.dumps(track.to_dict()))
        size += len(orjson.dumps(voyage.to_dict())) if voyage else 0
        json_sizes.append(size)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    values = {
        m: (t.to_dict(), detector.voyages[m].to_dict() if m in detector.voyages else None)
        for m, t in detector.tracks.items()
    }
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n = len(values)
    print(f"vessels tracked:              {n}")
    print(f"state as JSON, mean / max:    {statistics.mean(json_sizes):.0f} / {max(json_sizes)} B")
    print(f"table values in memory, mean: {held / n:.0f} B")


if __name__ == "__main__":
    main()
