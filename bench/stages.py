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

import orjson

from ais.raw_message import decode_message
from ais.reading import Decoded, Tally, decode_files
from ais.records import Record
from alerts.rules import evaluate
from geofences import tracker
from pipeline.detector import Detector, track
from scenarios.reference import SCENARIO_PATH
from streams.agents import parse_record
from streams.core_setup import build_core
from streams.settings import BUNDLED_GEOFENCES
from voyages import machine

TABLE_JSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z  # Faust's JSON codec options


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
    """Time every stage over the sample of (key, raw JSON line) positions."""
    index, ctx = build_core(BUNDLED_GEOFENCES)
    raws = [value for _, value in sample]
    n = len(raws)
    results: list[StageResult] = []

    def add(name: str, items: int, seconds: float) -> None:
        results.append(StageResult(name, items, seconds, n))

    seconds, records = _timed(lambda: [r for raw in raws for r in decode_message(raw)])
    add("ingest: decode_message (orjson + pydantic)", n, seconds)
    recs: list[Record] = records

    seconds, bodies = _timed(lambda: [orjson.dumps(r.model_dump(mode="json")) for r in recs])
    add("ingest: model_dump + orjson.dumps for positions", n, seconds)

    seconds, _ = _timed(lambda: [parse_record(b) for b in bodies])
    add("track: parse_record (orjson + pydantic again)", n, seconds)

    fence_events: list[dict[str, Any]] = []

    def tracker_only() -> dict[int, tracker.TrackState]:
        states: dict[int, tracker.TrackState] = {}
        for record in recs:
            new_state, events = track(
                states.get(record.mmsi) or tracker.TrackState(), record, index
            )
            states[record.mmsi] = new_state
            fence_events.extend(events)
        return states

    seconds, _ = _timed(tracker_only)
    add("track: tracker.step (state kept as objects)", n, seconds)

    def final_states() -> list[dict[str, Any]]:
        states: dict[int, tracker.TrackState] = {}
        for record in recs:
            states[record.mmsi], _ = track(
                states.get(record.mmsi) or tracker.TrackState(), record, index
            )
        return [state.to_dict() for state in states.values()]

    values = final_states()
    rounds = max(1, n // len(values))  # each position reads and writes its vessel's value once
    seconds, _ = _timed(
        lambda: [tracker.TrackState.from_dict(v).to_dict() for _ in range(rounds) for v in values]
    )
    add(
        "track: state from_dict + to_dict (the table round trip)",
        n,
        seconds / rounds * n / len(values),
    )

    seconds, _ = _timed(
        lambda: [orjson.dumps(v, option=TABLE_JSON) for _ in range(rounds) for v in values]
    )
    add("track: table value to changelog JSON", n, seconds / rounds * n / len(values))

    # The traffic's first positions hold few port calls: time the voyage machine and the rules
    # on the reference scenario's events (every kind), repeated, and charge them per position
    # at the rate the traffic makes fence events.
    ref_fence, ref_voyage = reference_events()
    rounds = max(1, 20_000 // max(1, len(ref_fence)))

    def voyages() -> None:
        for _ in range(rounds):
            states: dict[int, machine.VoyageState] = {}
            for ev in ref_fence:
                state = states.get(ev["mmsi"]) or machine.VoyageState()
                states[ev["mmsi"]], _ = machine.step(state, ev)

    per_event_share = len(fence_events) / n  # fence events per position in this traffic
    seconds, _ = _timed(voyages)
    events = rounds * len(ref_fence)
    results.append(
        StageResult(
            f"voyage: machine.step per fence event ({per_event_share:.4f}/position)",
            events,
            seconds,
            max(1, round(events / per_event_share)) if per_event_share else events * 10**6,
        )
    )
    seconds, _ = _timed(lambda: [evaluate(ev, ctx) for _ in range(rounds) for ev in ref_voyage])
    events = rounds * len(ref_voyage)
    voyage_share = per_event_share * len(ref_voyage) / max(1, len(ref_fence))
    results.append(
        StageResult(
            f"alert: rules per voyage event ({voyage_share:.4f}/position)",
            events,
            seconds,
            max(1, round(events / voyage_share)) if voyage_share else events * 10**6,
        )
    )

    def whole() -> None:
        detector = Detector(index, ctx)
        for record in recs:
            for _ in detector.process(record):
                pass

    seconds, _ = _timed(whole)
    add("detect: tracker, voyages, rules chained (Detector.process)", n, seconds)
    return results
