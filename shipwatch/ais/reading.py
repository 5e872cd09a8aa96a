"""Files to decoded records, line by line: what `decode` and `detect` share with ingest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipwatch.ais.decoder import Accepted, Output, Refused, StreamDecoder
from shipwatch.ais.errors import Rejected
from shipwatch.ais.files import RawUnit, UnreadableUnit, read_units
from shipwatch.ais.records import AnyRecord


@dataclass(frozen=True, slots=True)
class Decoded:
    """A line that became records (for a multi-sentence message, its last line); a sighting
    has no `.mmsi`."""

    unit: RawUnit
    records: Sequence[AnyRecord]


@dataclass(frozen=True, slots=True)
class Failed:
    """A rejected line (for a multi-sentence message, its first line and all its bytes)."""

    source: str
    line: int
    raw: bytes
    error: Rejected


@dataclass
class Tally:
    """Counts for the closing summary."""

    kinds: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    nulled: Counter[str] = field(default_factory=Counter)  # invalid optional fields, by field

    def summary(self) -> str:
        """One line a person reads at the end of a run."""
        parts = [f"{n} {k}" for k, n in sorted(self.kinds.items())] or ["0 records"]
        text = f"{', '.join(parts)}; {_counts(self.rejected, 'rejected')}"
        text += f"; {_counts(self.skipped, 'skipped')}" if self.skipped else ""
        if self.nulled:
            fields = ", ".join(f"{k} {n}" for k, n in sorted(self.nulled.items()))
            text += f"; invalid optional fields set to null: {fields}"
        return text


def _counts(counter: Counter[str], label: str) -> str:
    detail = ", ".join(f"{k}={n}" for k, n in sorted(counter.items()))
    return f"{sum(counter.values())} {label}" + (f" ({detail})" if detail else "")


def _items(unit: RawUnit, outputs: list[Output], tally: Tally) -> Iterator[Decoded | Failed]:
    for out in outputs:
        if isinstance(out, Accepted):
            tally.kinds.update(r.kind for r in out.records)
            tally.nulled.update(out.nulled)
            yield Decoded(unit, out.records)
        elif isinstance(out, Refused):
            tally.rejected[out.error.reason] += 1
            where = out.inputs[0].source
            yield Failed(str(where.get("file")), int(where.get("line", 0)), out.raw, out.error)
        else:
            tally.skipped[out.what] += 1


def decode_files(
    paths: Iterable[Path], fmt: str, tally: Tally, columns: Mapping[str, str] | None = None
) -> Iterator[Decoded | Failed]:
    """Decode every line of every file in order (one decoder per file), counting as it goes."""
    for path in paths:
        decoder = StreamDecoder()
        unit: RawUnit | None = None
        for item in read_units(path, fmt, columns):
            if isinstance(item, UnreadableUnit):
                tally.rejected[item.error.reason] += 1
                yield Failed(item.source, item.line, item.raw, item.error)
                continue
            unit = item
            source = {"file": unit.source, "line": unit.line}
            yield from _items(unit, decoder.feed(unit.payload, None, source), tally)
        if unit is not None:
            yield from _items(unit, decoder.finish(), tally)
