"""However the stream's partitions interleave, they raise the alerts one ordered file raises.

`PartitionedRunner` runs the track stage on 1-6 frames partitions and the sea stage on 1-6 sea
partitions, in an order a seeded scheduler picks: at random, with one frames partition read
to its end first (days ahead of the others), or with one read only after all the others. Its
alerts must be `Detector`'s on the same records in file order (flushed at the end), alert for
alert and field for field, as a reader keeping the latest issue of each alert id sees them: the
cap stage re-issues a share's alert when a delivery that left earlier arrives after a later
one crossed the share (a correction of late data), and only the cap stage may.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alerts.context import RuleContext
from geofences.index import FenceIndex
from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.ais.records import AnyRecord
from shipwatch.integrity.status_files import load_statuses
from shipwatch.pipeline.detector import Detector, Output
from shipwatch.pipeline.partitioned import POLICIES, PartitionedRunner, Policy
from shipwatch.pipeline.partitioner import KeyPartitioner, MmsiPartitioner
from shipwatch.scenarios import at_sea, integrity, reference, sea_days
from shipwatch.scenarios.sea_days import DARK_AT_CHONGJIN, DARK_AT_VOSTOCHNY
from shipwatch.sea.stage import end_of_input

Core = tuple[FenceIndex, RuleContext]
Alerts = dict[str, dict[str, Any]]  # by alert_id

# The reference scenario delivers about 126,000 bbl to Chongjin: a 50,000 bbl cap (as in the
# Kafka pipeline test) makes the cap stage cross three shares, so that its alerts are compared.
SMALL_CAP_BBL = 50_000.0
SCENARIOS: dict[str, tuple[Path, float | None]] = {
    "sea_days": (sea_days.SCENARIO_PATH, None),
    "at_sea": (at_sea.SCENARIO_PATH, None),
    "integrity": (integrity.SCENARIO_PATH, None),
    "reference": (reference.SCENARIO_PATH, SMALL_CAP_BBL),
}
REISSUED = {"cap_threshold"}  # the only kind whose alerts may be issued again (corrected)


@dataclass(frozen=True)
class Schedule:
    """How a run interleaves: the partitions, the policy and the scheduler's seed."""

    policy: Policy
    frames: int
    sea: int
    chosen: int  # the frames partition ahead or stalled
    seed: int
    max_chunk: int = 64  # records per frame, at most (each frame's size is drawn up to it)


# Two frames partitions, the second (KALMAEGI 4's) read to its end first: in the reference,
# its second delivery reaches the cap stage before HANURI 7's, which left earlier.
SECOND_AHEAD = Schedule("ahead", frames=2, sea=1, chosen=1, seed=0)


def schedules(max_chunks: tuple[int, ...] = (8, 64, 512)) -> st.SearchStrategy[Schedule]:
    """Any policy over 1-6 frames and 1-6 sea partitions, any seed."""
    return st.integers(1, 6).flatmap(
        lambda frames: st.builds(
            Schedule,
            policy=st.sampled_from(POLICIES),
            frames=st.just(frames),
            sea=st.integers(1, 6),
            chosen=st.integers(0, frames - 1),
            seed=st.integers(0, 2**32 - 1),
            max_chunk=st.sampled_from(max_chunks),
        )
    )


class Scenarios:
    """Each scenario decoded once, and `detect`'s alerts on it, for the whole module."""

    def __init__(self, core: Core) -> None:
        self.index, self.ctx = core
        self._records: dict[str, list[AnyRecord]] = {}
        self._detected: dict[tuple[str, bool], Alerts] = {}

    def core(self, name: str) -> Core:
        """The bundled fences, and the rules with the scenario's cap."""
        cap_bbl = SCENARIOS[name][1]
        ctx = self.ctx if cap_bbl is None else dataclasses.replace(self.ctx, cap_bbl=cap_bbl)
        if name == "integrity":  # its zombie's IMO is on the story's status list
            statuses = load_statuses([integrity.STATUS_PATH])
            ctx = dataclasses.replace(ctx, identity_statuses=statuses)
        return self.index, ctx

    def records(self, name: str) -> list[AnyRecord]:
        """The scenario's records in file order; no line may be rejected."""
        if name not in self._records:
            tally = Tally()
            decoded = decode_files([SCENARIOS[name][0]], "auto", tally)
            self._records[name] = [
                r for item in decoded if isinstance(item, Decoded) for r in item.records
            ]
            assert not tally.rejected
        return self._records[name]

    def detected(self, name: str, flush: bool = True) -> Alerts:
        """`Detector`'s alerts, records in file order (then flushed, with `flush`)."""
        if (name, flush) not in self._detected:
            detector = Detector(*self.core(name))
            outputs = [o for r in self.records(name) for o in detector.process(r)]
            if flush:
                outputs += detector.flush()
            issued = issues_of(outputs)
            assert all(len(i) == 1 for i in issued.values())  # in file order: nothing corrected
            self._detected[name, flush] = latest(issued)
        return self._detected[name, flush]

    def runner(self, name: str, schedule: Schedule, idleness: bool = True) -> PartitionedRunner:
        """A runner for the scenario under the schedule, partitioned as Kafka's clients do."""
        return PartitionedRunner(
            *self.core(name),
            frames=schedule.frames,
            sea=schedule.sea,
            seed=schedule.seed,
            policy=schedule.policy,
            chosen=schedule.chosen,
            max_chunk=schedule.max_chunk,
            idleness=idleness,
            vessel_partitioner=MmsiPartitioner,
            key_partitioner=KeyPartitioner,
        )


@pytest.fixture(scope="module")
def scenarios(core: Core) -> Scenarios:
    return Scenarios(core)


def issues_of(outputs: Iterable[Output]) -> dict[str, list[dict[str, Any]]]:
    """Every issue of each alert, by id, in order."""
    issued: dict[str, list[dict[str, Any]]] = {}
    for output in outputs:
        if output.stream == "alerts":
            issued.setdefault(output.record["alert_id"], []).append(output.record)
    return issued


def latest(issued: dict[str, list[dict[str, Any]]]) -> Alerts:
    """Each alert as its latest issue says, as readers keyed by alert id keep it."""
    return {alert_id: issues[-1] for alert_id, issues in issued.items()}


def alerts_of(outputs: Iterable[Output]) -> Alerts:
    """The alerts by id, as last issued; only the cap stage may issue one again."""
    issued = issues_of(outputs)
    again = {i[0]["kind"] for i in issued.values() if len(i) > 1}
    assert again <= REISSUED, f"issued more than once: {again - REISSUED}"
    return latest(issued)


def differences(want: Alerts, got: Alerts) -> list[str]:
    """Every alert missing, extra, or different (by field path), for the failure's message."""
    lines = []
    for alert_id in sorted(want.keys() | got.keys()):
        expected, found = want.get(alert_id), got.get(alert_id)
        if found is None:
            lines.append(f"missing {expected}")
        elif expected is None:
            lines.append(f"extra {found}")
        else:
            for path, a, b in _fields(expected, found):
                lines.append(f"{expected['kind']} {alert_id} {path}: {a!r} -> {b!r}")
    return lines


def _fields(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            yield from _fields(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    elif a != b:
        yield path, a, b


def assert_nothing_waits(runner: PartitionedRunner, sea: int) -> None:
    """The end of input went through the queues: no sea partition has anything left to decide."""
    rules, zones = runner.sea.rules, runner.sea.zones
    for q in range(sea):
        left = end_of_input(runner.sea_store, q, rules, zones, sources=sea)
        assert not (left.events or left.forward or left.refused), q


def check(scenarios: Scenarios, name: str, schedule: Schedule) -> None:
    """The scenario under the schedule raises `detect`'s alerts, and leaves nothing waiting."""
    runner = scenarios.runner(name, schedule)
    got = alerts_of(runner.run(scenarios.records(name)))
    want = scenarios.detected(name)
    assert got == want, "\n".join(differences(want, got))
    assert_nothing_waits(runner, schedule.sea)


@pytest.mark.parametrize("name", ["sea_days", "at_sea", "integrity"])
@settings(max_examples=10, deadline=None)
@example(schedule=SECOND_AHEAD)
@given(schedule=schedules())
def test_every_interleaving_at_sea_raises_the_alerts_detect_raises(
    scenarios: Scenarios, name: str, schedule: Schedule
) -> None:
    check(scenarios, name, schedule)


# Five times bigger than the others: fewer examples, and frames of 64 records at most.
@settings(max_examples=4, deadline=None)
@example(schedule=SECOND_AHEAD)
@given(schedule=schedules(max_chunks=(64,)))
def test_every_interleaving_of_the_reference_raises_the_alerts_detect_raises(
    scenarios: Scenarios, schedule: Schedule
) -> None:
    capped = [a for a in scenarios.detected("reference").values() if a["kind"] == "cap_threshold"]
    assert len(capped) == 3  # 50, 80 and 100 % of the small cap: the cap stage is compared too
    check(scenarios, "reference", schedule)


def test_a_delivery_counted_late_corrects_the_cap_alert_it_takes_over(
    scenarios: Scenarios,
) -> None:
    """KALMAEGI 4's partition runs ahead: its second delivery crosses 80 % of the cap first;
    HANURI 7's, which left a day earlier, comes after and re-issues that alert as `detect`
    raises it (same id). The alerts that are not the cap's are issued once each."""
    runner = scenarios.runner("reference", SECOND_AHEAD)
    issued = issues_of(runner.run(scenarios.records("reference")))
    want = scenarios.detected("reference")
    corrected = {k: i for k, i in issued.items() if len(i) > 1}
    ((alert_id, (first, last)),) = corrected.items()
    assert last == want[alert_id] and last["evidence"]["share"] == 0.8
    assert (first["mmsi"], last["mmsi"]) == (445990101, 445990107)  # KALMAEGI 4, HANURI 7
    assert first["evidence"]["crossing_delivery"]["departed_at"] > last["at"]
    assert latest(issued) == want


def dark_vessels(alerts: Alerts) -> set[str]:
    """The sighting ids of the dark_vessel alerts."""
    return {a["evidence"]["sighting_id"] for a in alerts.values() if a["kind"] == "dark_vessel"}


@pytest.mark.parametrize("chosen", range(6))
def test_a_partition_days_ahead_finds_the_meeting_and_both_dark_vessels_without_a_flush(
    scenarios: Scenarios, chosen: int
) -> None:
    """Decided on the watermarks while the input runs, not by the end of input: `detect`
    without a flush raises them too, and the partitioned run raises exactly its alerts."""
    detected = scenarios.detected("sea_days", flush=False)
    assert dark_vessels(detected) == {DARK_AT_VOSTOCHNY, DARK_AT_CHONGJIN}
    schedule = Schedule("ahead", frames=6, sea=6, chosen=chosen, seed=chosen)
    runner = scenarios.runner("sea_days", schedule)
    got = alerts_of(runner.run(scenarios.records("sea_days"), flush=False))
    assert "sts_encounter" in {a["kind"] for a in got.values()}
    assert dark_vessels(got) == {DARK_AT_VOSTOCHNY, DARK_AT_CHONGJIN}
    assert got == detected, "\n".join(differences(detected, got))


def test_without_idleness_a_partition_that_ended_early_holds_the_sea_stage_back(
    scenarios: Scenarios,
) -> None:
    """Of six partitions, partition 0 carries only days 1-2: if it does not declare itself
    idle once it has nothing left to read, the watermark stays on day 2 and the Chongjin
    sighting (day 3) waits for the end of input."""
    schedule = Schedule("ahead", frames=6, sea=6, chosen=1, seed=1)
    runner = scenarios.runner("sea_days", schedule, idleness=False)
    running = alerts_of(runner.run(scenarios.records("sea_days"), flush=False))
    assert dark_vessels(running) == {DARK_AT_VOSTOCHNY}
    assert dark_vessels(alerts_of(runner.flush())) == {DARK_AT_CHONGJIN}
