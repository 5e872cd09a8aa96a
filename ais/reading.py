"""Files to decoded records, line by line: what `decode` and `detect` share with ingest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ais.errors import Rejected
from ais.files import RawUnit, UnreadableUnit, read_units
from ais.raw_message import decode_message
from ais.records import Record


@dataclass(frozen=True, slots=True)
class Decoded:
    """A line that became records."""

    unit: RawUnit
    records: list[Record]


@dataclass(frozen=True, slots=True)
class Failed:
    """A line that was rejected, with where it came from."""

    source: str
    line: int
    raw: bytes
    error: Rejected


@dataclass
class Tally:
    """Counts for the closing summary."""

    kinds: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line a person reads at the end of a run."""
        parts = [f"{n} {k}" for k, n in sorted(self.kinds.items())] or ["0 records"]
        bad = sum(self.rejected.values())
        detail = ", ".join(f"{r}={n}" for r, n in sorted(self.rejected.items()))
        return f"{', '.join(parts)}; {bad} rejected" + (f" ({detail})" if detail else "")


def decode_files(paths: Iterable[Path], fmt: str, tally: Tally) -> Iterator[Decoded | Failed]:
    """Decode every line of every file in order, counting as it goes."""
    for path in paths:
        for unit in read_units(path, fmt):
            if isinstance(unit, UnreadableUnit):
                tally.rejected[unit.error.reason] += 1
                yield Failed(unit.source, unit.line, unit.raw, unit.error)
                continue
            try:
                records = decode_message(unit.payload)
            except Rejected as exc:
                tally.rejected[exc.reason] += 1
                yield Failed(unit.source, unit.line, unit.raw, exc)
                continue
            for record in records:
                tally.kinds[record.kind] += 1
            yield Decoded(unit, records)
