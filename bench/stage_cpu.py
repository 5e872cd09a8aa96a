"""CPU per position per stage, from the worker's own /metrics at the end of a drain.

The worker times each stage's work on one batch or message (`shipwatch_stage_seconds{stage}`,
a histogram: CPU-bound code, no awaits inside, in the batched worker) and counts the messages
(`shipwatch_stage_messages_total{stage}`) and the positions or records they held
(`shipwatch_stage_records_total{stage}`). Divided by the positions drained, the seconds say
where a position's CPU goes; what the stages do not account for of the worker's whole CPU per
position is the rest: Kafka clients, the event loop, the framework. A series the worker does
not export is reported as null (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.harness import Series, by_label

STAGES = ("ingest", "track", "flush", "voyage", "alert", "cap")  # in the order a position meets
SECONDS = "shipwatch_stage_seconds_sum"
MESSAGES = "shipwatch_stage_messages_total"
RECORDS = "shipwatch_stage_records_total"


@dataclass(frozen=True)
class StageCpu:
    """One stage's share of a drain."""

    stage: str
    seconds: float | None  # the stage's time in all, None when not exported
    messages: float | None
    records: float | None
    us_per_position: float | None  # seconds / positions drained

    @property
    def us_per_message(self) -> float | None:
        """The stage's time per message (a frame, for the batched stages)."""
        if self.seconds is None or not self.messages:
            return None
        return self.seconds / self.messages * 1e6

    @property
    def records_per_message(self) -> float | None:
        """Positions or records per message (a frame's size, for the track stage)."""
        if self.records is None or not self.messages:
            return None
        return self.records / self.messages


def stage_cpu(samples: Iterable[Series], positions: int) -> list[StageCpu]:
    """Every known stage (and any other the worker reports), in pipeline order."""
    samples = list(samples)
    seconds = by_label(samples, SECONDS, "stage")
    messages = by_label(samples, MESSAGES, "stage")
    records = by_label(samples, RECORDS, "stage")
    names = list(STAGES) + sorted((seconds.keys() | messages.keys()) - set(STAGES))
    return [
        StageCpu(
            stage=name,
            seconds=seconds.get(name),
            messages=messages.get(name),
            records=records.get(name),
            us_per_position=(
                seconds[name] / positions * 1e6 if name in seconds and positions else None
            ),
        )
        for name in names
    ]


def as_dicts(stages: list[StageCpu]) -> list[dict[str, float | str | None]]:
    """The stages with their derived figures, for the results file."""
    return [
        vars(s) | {"us_per_message": s.us_per_message, "records_per_message": s.records_per_message}
        for s in stages
    ]


def accounted_us(stages: list[StageCpu]) -> float | None:
    """The stages' time per position together; None when the worker exports none."""
    known = [s.us_per_position for s in stages if s.us_per_position is not None]
    return sum(known) if known else None
