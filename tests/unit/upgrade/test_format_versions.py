"""The format versions of stored state: written on every value, absent read as 1, newer refused.

The tracks, voyages and caps table values carry `"v"`; the history database SQLite's
`user_version` (docs/guarantees.md, "Upgrades keep state"). A value without one was written
before versions (version 1); one from a newer release is refused with a StateFormatError (a
ShipwatchError: one clear line) rather than misread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerts.cap import FORMAT as CAPS_FORMAT
from alerts.cap import add_delivery
from alerts.context import RuleContext
from geofences.index import FenceIndex
from geofences.track_state import OUTSIDE_EVERY_FENCE, Visit, fences_of
from shipwatch.errors import ShipwatchError, StateFormatError, readable_format
from shipwatch.history.store import FORMAT as HISTORY_FORMAT
from shipwatch.history.store import HistoryStore
from shipwatch.pipeline.track_stage import track_batch
from shipwatch.pipeline.vessel_state import FORMAT as TRACKS_FORMAT
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea.vessel_track import SeaTrack
from shipwatch.voyages.machine import FORMAT as VOYAGES_FORMAT
from shipwatch.voyages.machine import Call, VoyageState

MMSI = 445990101


def test_a_missing_version_is_1_and_a_newer_one_is_refused() -> None:
    assert issubclass(StateFormatError, ShipwatchError)
    assert readable_format(None, 1, "x") == 1
    assert readable_format(2, 3, "x") == 2
    for bad in (2, 0, -1, "1", 1.0, True):
        with pytest.raises(StateFormatError, match=r"a thing has format version .*1 to 1"):
            readable_format(bad, 1, "a thing")


def _vessel() -> VesselState:
    state = VesselState(last_t=1_710_000_000.0, last_lat=42.7, last_lon=133.0, seq=3)
    state.sea = SeaTrack(1_710_000_000.0, 42.7, 133.0, 0.2, True, True)
    return state


def test_a_tracks_value_carries_its_format_last() -> None:
    state = _vessel()
    value = state.to_json()
    assert orjson.loads(value)["v"] == TRACKS_FORMAT == 1
    assert value.endswith(b',"v":1}')  # after "sea": "visits" stays first
    assert value.startswith(OUTSIDE_EVERY_FENCE) and fences_of(value) == []
    state.visits["vostochny"] = Visit(1_710_000_000.0, True)
    assert fences_of(state.to_json()) == ["vostochny"]
    assert VesselState.from_json(state.to_json()) == state


def test_a_tracks_value_without_a_version_is_read_and_a_newer_one_refused() -> None:
    data = _vessel().to_dict()
    del data["v"]
    assert VesselState.from_dict(data) == _vessel()
    with pytest.raises(StateFormatError, match="a tracks table value has format version 2"):
        VesselState.from_json(orjson.dumps({**data, "v": 2}))


def test_the_track_stage_refuses_a_newer_state_for_that_vessel_only(
    core: tuple[FenceIndex, RuleContext],
) -> None:
    """Only that vessel's record fails (the stream dead-letters it with the reason)."""
    index, _ = core
    newer = orjson.dumps({**_vessel().to_dict(), "v": TRACKS_FORMAT + 1})
    stored = {MMSI: newer}
    states: WriteBack[VesselState] = WriteBack(
        lambda m: VesselState.from_json(stored[m]) if m in stored else None, VesselState
    )
    records: list[Any] = [
        {"kind": "position", "mmsi": mmsi, "ts": "2024-03-10T00:00:00Z", "lat": 40.0,
         "lon": 131.0, "sog": 10.0, "cog": 90.0, "heading": 90, "nav_status": 0}
        for mmsi in (MMSI, MMSI + 1)
    ]  # fmt: skip
    batch = track_batch(states, records, index)
    [(i, _, detail)] = batch.failed
    assert i == 0 and "StateFormatError" in detail and "format version 2" in detail
    assert batch.positions == 1


def test_a_voyages_value_carries_its_format() -> None:
    state = VoyageState(calls=[Call("vostochny", "2024-03-07T07:45:27Z")], last_seq=4)
    data = state.to_dict()
    assert data["v"] == VOYAGES_FORMAT == 1
    assert VoyageState.from_dict(data) == state
    del data["v"]
    assert VoyageState.from_dict(data) == state
    with pytest.raises(StateFormatError, match="a voyages table value has format version 2"):
        VoyageState.from_dict({**data, "v": 2})


def _delivery(mmsi: int) -> dict[str, Any]:
    return {
        "kind": "delivery", "mmsi": mmsi, "origin": "vostochny", "port": "chongjin",
        "arrived_at": "2024-03-10T08:45:37Z", "departed_at": "2024-03-11T03:00:48Z",
        "length": 108.0, "beam": 16.0, "discharged_m": 2.2, "name": "KALMAEGI 4",
        "imo": 9123458,
    }  # fmt: skip


def test_a_caps_entry_carries_its_format(core: tuple[FenceIndex, RuleContext]) -> None:
    _, ctx = core
    totals, barrels, _ = add_delivery({}, _delivery(MMSI), ctx)
    assert barrels is not None
    [(key, entry)] = totals.items()
    assert entry["v"] == CAPS_FORMAT == 1
    older = {k: v for k, v in entry.items() if k != "v"}  # written before versions
    again, more, _ = add_delivery({key: older}, _delivery(MMSI + 1), ctx)
    assert more is not None and again[key]["total"] == entry["total"] + more
    assert again[key]["v"] == CAPS_FORMAT
    with pytest.raises(StateFormatError, match=r"the caps table value .* format version 2"):
        add_delivery({key: {**entry, "v": 2}}, _delivery(MMSI + 2), ctx)


def _user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        found: int = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()
    return found


def test_the_history_database_carries_its_format(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    assert _user_version(path) == HISTORY_FORMAT == 1


def test_a_history_database_made_before_versions_is_version_1(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.db.execute("PRAGMA user_version = 0")  # as every database made before
    store.close()
    HistoryStore(path).close()
    assert _user_version(path) == HISTORY_FORMAT


def test_a_newer_history_database_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.db.execute(f"PRAGMA user_version = {HISTORY_FORMAT + 1}")
    store.close()
    with pytest.raises(StateFormatError, match=r"database .*h\.sqlite3 has format version 2"):
        HistoryStore(path)
    assert _user_version(path) == HISTORY_FORMAT + 1
