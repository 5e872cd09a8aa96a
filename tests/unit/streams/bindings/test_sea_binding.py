"""The sea binding's store and frames: watermarks kept between frames, progress after records."""

from __future__ import annotations

import orjson

from shipwatch.pipeline.frames import frame_of, parse_frame
from shipwatch.sea.stage import sea_batch
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.zones import SeaZones
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress
from streams.bindings.sea import TableStore


class Table(dict):  # type: ignore[type-arg]
    """A Faust table as the binding uses it: bytes keys and values, written on commit."""

    writes = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        Table.writes += 1
        super().__setitem__(key, value)


def frame(table: Table, clocks: dict, progress: Progress, core) -> None:
    store = TableStore(table, clocks)
    rules = core[1].sea_rules
    sea_batch(store, [], rules, SeaZones(core[0], rules), 0, progress)
    store.commit()


def test_a_partitions_watermarks_survive_frames_that_do_not_write_them(core) -> None:
    """A source's progress above the slowest is not written to the table (a changelog message
    each); the binding keeps it between frames, so the next frame's minimum sees it."""
    table, clocks = Table(), {}
    frame(table, clocks, Progress(TRACK_LEVEL, 0, 2, 1000.0), core)
    frame(table, clocks, Progress(TRACK_LEVEL, 1, 2, 5000.0), core)  # both heard: written
    written = Table.writes
    frame(table, clocks, Progress(TRACK_LEVEL, 1, 2, 9000.0), core)  # above the slowest
    assert Table.writes == written  # nothing moved: nothing written
    frame(table, clocks, Progress(TRACK_LEVEL, 0, 2, 8000.0), core)  # the slowest moves on
    stored = orjson.loads(table[b"wm:0"])
    assert stored["marks"]["1"]["p"] == {"0": [8000.0, False], "1": [9000.0, False]}


def test_a_new_owner_reads_the_watermarks_from_the_table(core) -> None:
    table = Table()
    frame(table, {}, Progress(TRACK_LEVEL, 0, 1, 4000.0), core)
    recovered = TableStore(table, {}).get("wm:0")
    assert recovered["marks"]["1"]["p"] == {"0": [4000.0, False]}
    assert MemoryStore().get("wm:0") is None  # (a MemoryStore starts empty, as detect does)


def test_a_sea_frame_carries_its_records_then_the_progress_that_covers_them() -> None:
    progress = Progress(SEA_LEVEL, 3, 6, 1234.5)
    value = frame_of([b'{"kind":"pair"}'], orjson.dumps(progress.to_json()))
    assert value.index(b'"records"') < value.index(b'"progress"')
    assert parse_frame(value) == ([{"kind": "pair"}], progress)
    assert parse_frame(frame_of([], b"")) == ([], None)
