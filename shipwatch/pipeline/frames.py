"""Frames: a vessel partition's records in one Kafka message, with the sender's progress.

Ingest sends the track stage frames, and the track stage sends the sea stage frames: a frame is
`{"records": [...], "progress": {...}}`, the records' JSON joined as they are (no second
serialization), then the event-time progress (`shipwatch.watermarks.Progress`) that covers them.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from shipwatch.ais.json_form import JsonRecord
from shipwatch.watermarks import Progress

FRAME_MAX_RECORDS = 1000  # a frame stays far below Kafka's 1 MB message limit (~150 B a record)


def frame_of(records: Sequence[bytes], progress: bytes = b"") -> bytes:
    """A frame: the records' JSON joined, as `{"records": [...]}` (no second serialization),
    then the sender's event-time progress (`shipwatch.watermarks.Progress`), which covers them,
    if it has one."""
    if not progress:
        return b'{"records":[' + b",".join(records) + b"]}"
    return b'{"records":[' + b",".join(records) + b'],"progress":' + progress + b"}"


def frames_of(blobs: Sequence[bytes], progress: bytes = b"") -> list[bytes]:
    """Records in frames of at most FRAME_MAX_RECORDS; the progress, which covers every record
    before it, on the last frame only (with no record, a frame of the progress alone)."""
    starts = range(0, max(len(blobs), 1), FRAME_MAX_RECORDS)
    last = starts[-1]
    return [
        frame_of(blobs[start : start + FRAME_MAX_RECORDS], progress if start == last else b"")
        for start in starts
    ]


def records_of_frame(frame: bytes) -> list[JsonRecord]:
    """The records a frame carries, in order."""
    records: list[JsonRecord] = orjson.loads(frame)["records"]
    return records


def parse_frame(frame: bytes) -> tuple[list[JsonRecord], Progress | None]:
    """A frame's records and its sender's progress (ValueError, KeyError or TypeError if it is
    not a frame)."""
    value = orjson.loads(frame)
    records: list[JsonRecord] = value["records"]
    found = value.get("progress")
    return records, (None if found is None else Progress.from_json(found))
