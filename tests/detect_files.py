"""Files through a detector as `shipwatch detect` runs them (no --flush)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ais.reading import Decoded, Tally, decode_files
from pipeline.detector import Detector

Outputs = list[tuple[str, dict[str, Any]]]


def detect_file(detector: Detector, path: Path) -> Outputs:
    """Every (stream, record) the file's records lead to, in order; no line may be rejected."""
    tally = Tally()
    out: Outputs = []
    for item in decode_files([path], "auto", tally):
        assert isinstance(item, Decoded), item
        for record in item.records:
            out.extend((o.stream, o.record) for o in detector.process(record))
    assert not tally.rejected
    return out
