"""Event-time progress across partitions: low watermarks, as Flink and Beam define them. Pure.

A stage that joins many keys reads records from every partition of the stage before it. Each
partition is in event-time order, but the partitions are not in step: in a replay at full speed
or a catch-up after an outage one can be days ahead of another. So such a stage decides only up
to the slowest partition's progress (its low watermark), never on whichever arrived first.

Every frame a partition sends on carries its `Progress`: the newest event time it has applied.
The receiving stage keeps the newest progress heard from each source partition (`Marks`, JSON
so that it lives in the stage's table and moves with its partition on a rebalance) and takes
the minimum. A source that declared itself idle (nothing to read for a while: Flink's
`withIdleness`) stops holding the others back until it sends again. Until every source of a
level has been heard once, the level has no watermark and nothing is decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Levels of the graph. The raw topic's partitions are the sources (level 0): ingest tells every
# frames partition each raw partition's progress. Records from the track stage (samples,
# watched fixes, sightings) are level 1: each frames partition's progress is the slowest raw
# partition it has heard of. What the sea stage's partitions send on to other keys (pair
# observations, dark sightings) is level 2, and waits for the progress of every sea partition.
RAW_LEVEL = 0
TRACK_LEVEL = 1
SEA_LEVEL = 2

Marks = dict[str, Any]  # {"<level>": {"n": sources, "p": {"<source>": [t | None, idle]}}}


@dataclass(frozen=True, slots=True)
class Progress:
    """One source partition's event-time progress, as a frame carries it."""

    level: int
    source: int  # the partition it comes from
    sources: int  # how many partitions feed this level
    t: float | None  # the newest event time applied there (None: nothing yet)
    idle: bool = False  # nothing to read there for a while: do not wait for it

    def to_json(self) -> dict[str, Any]:
        """The form frames carry."""
        return {"l": self.level, "s": self.source, "n": self.sources, "t": self.t, "i": self.idle}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Progress:
        """From the form frames carry (KeyError or TypeError if it is not that)."""
        t = value["t"]
        return cls(int(value["l"]), int(value["s"]), int(value["n"]), t, bool(value["i"]))


def note(marks: Marks, progress: Progress) -> bool:
    """Keep a source's progress; a source's time never moves back. True if anything changed."""
    level = marks.setdefault(str(progress.level), {"n": progress.sources, "p": {}})
    changed = bool(level["n"] != progress.sources)
    level["n"] = progress.sources  # the topic's partition count: the newest word wins
    key = str(progress.source)
    old = level["p"].get(key)
    t = progress.t
    if old is not None and old[0] is not None and (t is None or t < old[0]):
        t = old[0]  # a new owner starts behind where the old one got: keep the furthest
    new = [t, progress.idle]
    if new != old:
        level["p"][key] = new
        changed = True
    return changed


def low_watermark(marks: Marks, level: int) -> float | None:
    """The minimum progress over the level's sources that are not idle (all idle: the
    maximum); None while a source has never been heard, or none has applied anything."""
    found = marks.get(str(level))
    if found is None:
        return None
    heard = found["p"]
    if any(str(source) not in heard for source in range(found["n"])):
        return None
    active = [t for t, idle in heard.values() if not idle]
    if any(t is None for t in active):
        return None
    times = active or [t for t, _ in heard.values() if t is not None]
    return min(active) if active else (max(times) if times else None)
