"""Micro-benchmarks of each pure stage, in-process, on the benchmark's own traffic.

Each stage runs over the same sample of positions on its own, timed with perf_counter; the
figures are what one core does per second with no Kafka, no Faust and no event loop: an upper
bound for each step of the worker, and their sum the pure cost of a position.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord

from geofences.map_areas import MapAreas
from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.history.thinning import Thinner
from shipwatch.pipeline.alert_stage import alert_batch
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.frames import records_of_frame
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.partitioner import MmsiPartitioner
from shipwatch.pipeline.setup import build_core
from shipwatch.pipeline.track_stage import track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.voyage_stage import voyage_batch
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import BUNDLED_GEOFENCES
from shipwatch.voyages import machine
from streams.bindings.ingest import MAX_RECORDS

PARTITIONS = 6
FLUSH_EVERY = 20_000  # positions between two flushes: about a second of the target rate


@dataclass(frozen=True)
class StageResult:
    """One stage: how many items in how long."""

    name: str
    items: int
    seconds: float
    positions: int  # positions the items stand for, for the cost per position

    @property
    def per_s(self) -> float:
        """Items per second."""
        return self.items / self.seconds if self.seconds else float("inf")

    @property
    def us_per_position(self) -> float:
        """Microseconds of this stage per position of the traffic."""
        return self.seconds / self.positions * 1e6


def reference_events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The fence and voyage events of the bundled reference scenario."""
    detector = Detector(*build_core(BUNDLED_GEOFENCES))
    fence: list[dict[str, Any]] = []
    voyage: list[dict[str, Any]] = []
    for item in decode_files([SCENARIO_PATH], "auto", Tally()):
        if isinstance(item, Decoded):
            for record in item.records:
                for out in detector.process(record):
                    if out.stream == "geofence-events":
                        fence.append(out.record)
                    elif out.stream == "voyage-events":
                        voyage.append(out.record)
    return fence, voyage


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def run(sample: list[tuple[bytes, bytes]]) -> list[StageResult]:
    """Time every stage over the sample of (key, raw JSON line) positions, as the worker
    batches them: raw batches of `streams.bindings.ingest.MAX_RECORDS`, frames, a flush per
    second."""
    index, ctx = build_core(BUNDLED_GEOFENCES)
    n = len(sample)
    raws = [
        ConsumerRecord("ais-raw", 0, i, 1_700_000_000_000, 0, key, value, None, 0, 0, [])
        for i, (key, value) in enumerate(sample)
    ]
    results: list[StageResult] = []

    def add(name: str, items: int, seconds: float) -> None:
        results.append(StageResult(name, items, seconds, n))

    areas = MapAreas(index)
    routing = Routing(
        MmsiPartitioner(PARTITIONS), lambda la, lo: areas.area_of(la, lo) is not None, Thinner()
    )
    ingest = IngestStage("ais-raw", routing)
    seconds, routed = _timed(
        lambda: [ingest.batch(0, raws[i : i + MAX_RECORDS]) for i in range(0, n, MAX_RECORDS)]
    )
    add("ingest: decode, route, frame (IngestStage.batch)", n, seconds)
    frames = [frame for out in routed for _, frame in out.frames]

    stored: dict[int, bytes] = {}
    states: WriteBack[VesselState] = WriteBack(
        lambda m: VesselState.from_json(stored[m]) if m in stored else None, VesselState
    )
    fence_events: list[dict[str, Any]] = []
    flush_seconds = 0.0

    def track_and_flush() -> None:
        nonlocal flush_seconds
        since_flush = 0
        for frame in frames:
            records = records_of_frame(frame)
            fence_events.extend(track_batch(states, records, index).events)
            since_flush += len(records)
            if since_flush >= FLUSH_EVERY:
                since_flush = 0
                started = time.perf_counter()
                values = {m: s.to_json() for m, s in states.take().items()}
                stored.update(values)
                flush_seconds += time.perf_counter() - started

    seconds, _ = _timed(track_and_flush)
    add("track: frames parsed and applied (track_batch)", n, seconds - flush_seconds)
    add(f"flush: changed states to JSON once per {FLUSH_EVERY:,} positions", n, flush_seconds)

    # The traffic's first positions hold few port calls: time the voyage machine and the rules
    # on the reference scenario's events (every kind), repeated, and charge them per position
    # at the rate the traffic makes fence events.
    ref_fence, ref_voyage = reference_events()
    rounds = max(1, 20_000 // max(1, len(ref_fence)))

    def voyages() -> None:
        for _ in range(rounds):
            vstates = WriteBack(lambda _m: None, machine.VoyageState)
            voyage_batch(vstates, ref_fence)

    per_event_share = len(fence_events) / n  # fence events per position in this traffic
    seconds, _ = _timed(voyages)
    events = rounds * len(ref_fence)
    results.append(
        StageResult(
            f"voyage: voyage_batch per fence event ({per_event_share:.4f}/position)",
            events,
            seconds,
            max(1, round(events / per_event_share)) if per_event_share else events * 10**6,
        )
    )
    seconds, _ = _timed(lambda: [alert_batch(ref_voyage, ctx) for _ in range(rounds)])
    events = rounds * len(ref_voyage)
    voyage_share = per_event_share * len(ref_voyage) / max(1, len(ref_fence))
    results.append(
        StageResult(
            f"alert: alert_batch per voyage event ({voyage_share:.4f}/position)",
            events,
            seconds,
            max(1, round(events / voyage_share)) if voyage_share else events * 10**6,
        )
    )

    def whole() -> None:
        detector = Detector(index, ctx)
        for raw in raws:
            for out in ingest.batch(1, [raw]).frames:
                for record in records_of_frame(out[1]):
                    for _ in detector.process_json(record):
                        pass

    seconds, _ = _timed(whole)
    add("detect: every stage chained, one record at a time (Detector)", n, seconds)
    return results
