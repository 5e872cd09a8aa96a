"""The sea binding's store and frames: watermarks kept between flushes, progress after records."""

from __future__ import annotations

import tracemalloc

import orjson

from shipwatch.pipeline.frames import frame_of, parse_frame
from shipwatch.sea import watched
from shipwatch.sea.stage import sea_batch
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress
from streams.bindings.sea import TableStore


class Data(dict):  # type: ignore[type-arg]
    """A Faust table's data as the binding uses it: bytes keys and values, written on flush."""

    writes = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        Data.writes += 1
        super().__setitem__(key, value)


class Table:
    def __init__(self) -> None:
        self.data = Data()

    def __getitem__(self, key: bytes) -> bytes:
        return self.data[key]


def frame(table: Table, clocks: dict, progress: Progress, core) -> None:
    """One frame, then a flush (as if a second had passed)."""
    store = TableStore(table, clocks)
    rules = core[1].sea_rules
    sea_batch(store, [], rules, SeaZones(core[0], rules), 0, progress)
    store.written(store.take())


def test_a_partitions_watermarks_survive_frames_that_do_not_write_them(core) -> None:
    """A source's progress above the slowest is not written to the table (a changelog message
    each); the binding keeps it between frames, so the next frame's minimum sees it."""
    table, clocks = Table(), {}
    frame(table, clocks, Progress(TRACK_LEVEL, 0, 2, 1000.0), core)
    frame(table, clocks, Progress(TRACK_LEVEL, 1, 2, 5000.0), core)  # both heard: written
    written = Data.writes
    frame(table, clocks, Progress(TRACK_LEVEL, 1, 2, 9000.0), core)  # above the slowest
    assert Data.writes == written  # nothing moved: nothing written
    frame(table, clocks, Progress(TRACK_LEVEL, 0, 2, 8000.0), core)  # the slowest moves on
    stored = orjson.loads(table[b"wm:0"])
    assert stored["marks"]["1"]["p"] == {"0": [8000.0, False], "1": [9000.0, False]}


def test_a_new_owner_reads_the_watermarks_from_the_table(core) -> None:
    table = Table()
    frame(table, {}, Progress(TRACK_LEVEL, 0, 1, 4000.0), core)
    recovered = TableStore(table, {}).get("wm:0")
    assert recovered["marks"]["1"]["p"] == {"0": [4000.0, False]}
    assert MemoryStore().get("wm:0") is None  # (a MemoryStore starts empty, as detect does)


def test_a_key_changed_by_many_frames_is_written_once_with_its_last_value() -> None:
    table = Table()
    store = TableStore(table, {})
    store.put("c:1", {"ticks": [1]})
    store.get("c:1")["ticks"].append(2)  # the stage changes values in place, then puts them
    store.put("c:1", store.get("c:1"))
    store.put("c:2", {"ticks": [3]})
    store.delete("c:2")
    changes = store.take()
    assert sorted(changes) == [(b"c:1", b'{"ticks":[1,2]}'), (b"c:2", None)]
    assert store.take() == []  # taken: nothing changed since
    store.written(changes)
    assert table.data == {b"c:1": b'{"ticks":[1,2]}'}
    assert TableStore(table, {}).get("c:1") == {"ticks": [1, 2]}  # read back from the table


def test_the_table_keeps_each_value_in_bytes_of_its_own_size() -> None:
    # orjson.dumps hands back its 4 KiB working buffer: kept as the table's value, 17,000 sea
    # keys held ~25 MB more than their JSON (the week soak, docs/performance-log.md).
    store = TableStore(Table(), {})
    for i in range(1000):
        store.put(f"c:{i}", {"ticks": [i], "pending": []})
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        changes = store.take()
        held = (tracemalloc.get_traced_memory()[0] - before) / len(changes)
    finally:
        tracemalloc.stop()
    assert held < 1000, f"{held:.0f} bytes a value of about 30"


def test_a_sea_frame_carries_its_records_then_the_progress_that_covers_them() -> None:
    progress = Progress(SEA_LEVEL, 3, 6, 1234.5)
    value = frame_of([b'{"kind":"pair"}'], orjson.dumps(progress.to_json()))
    assert value.index(b'"records"') < value.index(b'"progress"')
    assert parse_frame(value) == ([{"kind": "pair"}], progress)
    assert parse_frame(frame_of([], b"")) == ([], None)


def test_a_tables_release_0_1_0_watched_value_is_split_by_the_next_flush() -> None:
    # As release 0.1.0 left the table: every watched vessel in one value.
    vessel = {"last": [1_000.0, 42.0, 131.0], "silences": [], "fixes": [[1_000.0, 42.0, 131.0]]}
    table = Table()
    table.data[b"watched"] = orjson.dumps({"445000001": vessel, "445000002": vessel})
    store = TableStore(table, {})
    fix = {"mmsi": 445000002, "t": 2_000.0, "lat": 42.1, "lon": 131.1, "silent_from": None}
    watched.note_fix(store, fix, SeaRules(), None, None)
    taken = store.take()
    changes = dict(taken)
    assert changes.pop(b"watched") is None  # a tombstone: the old value leaves the table
    assert orjson.loads(changes.pop(b"watched~vessels")) == ["445000001", "445000002"]
    assert orjson.loads(changes.pop(b"watched~v:445000001")) == vessel
    assert orjson.loads(changes.pop(b"watched~v:445000002"))["last"] == [2_000.0, 42.1, 131.1]
    assert changes == {}
    store.written(taken)
    assert b"watched" not in table.data
    # The next flush writes the one vessel that reported, nothing else.
    later = TableStore(table, {})
    watched.note_fix(later, {**fix, "t": 3_000.0}, SeaRules(), None, None)
    assert [key for key, _ in later.take()] == [b"watched~v:445000002"]
