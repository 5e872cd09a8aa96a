"""Jam cells: a vessel's jumps are tampering alone, interference with others around it."""

from __future__ import annotations

import itertools

from geofences.grid import cell_of, cells_near
from shipwatch.integrity import interference
from shipwatch.integrity.thresholds import IntegrityRules
from shipwatch.sea.store import MemoryStore

RULES = IntegrityRules()
T0 = 1_710_000_000.0
HOME = (42.6, 133.2)


def _jump(mmsi: int, t: float, lat: float, lon: float) -> list[dict]:
    rec = {"kind": "jump", "mmsi": mmsi, "t": t, "lat": lat, "lon": lon}
    keys = cells_near(lat, lon, 1.0, RULES.interference_radius_m, prefix="j")
    return [{**rec, "key": key} for key in keys]


def _finding(mmsi: int, t: float, lat: float, lon: float) -> dict:
    return {
        "kind": "jumps",
        "key": cell_of(lat, lon, 1.0, prefix="j"),
        "mmsi": mmsi,
        "t": t,
        "at": "2024-03-09T16:00:00Z",
        "lat": lat,
        "lon": lon,
        "name": None,
        "imo": None,
        "port": None,
        "jumps": [{"at": "2024-03-09T16:00:00Z", "lat": 0.0, "lon": 0.0, "jump_km": 900.0}],
        "window_h": 6.0,
    }


def _run(records: list[dict], w: float) -> list[dict]:
    store = MemoryStore()
    for rec in records:
        assert interference.add(store, rec, RULES, None) in (None, "repeat")
    events = []
    for key in sorted({r["key"] for r in records}):
        events += interference.release(store, key, w, RULES)
    return events


def test_one_vessel_jumping_alone_is_tampering() -> None:
    records = [*_jump(1, T0, *HOME), _finding(1, T0, *HOME)]
    events = _run(records, T0 + RULES.interference_window_s)
    assert [(e["kind"], e.get("reason")) for e in events] == [("position_tampering", "jumps")]


def test_vessels_jumping_together_are_interference_whatever_the_order() -> None:
    jumps = [
        *_jump(1, T0, *HOME),
        *_jump(2, T0 + 600, HOME[0] + 0.1, HOME[1]),
        *_jump(3, T0 - 900, HOME[0], HOME[1] + 0.2),
    ]
    finding = _finding(1, T0, *HOME)
    seen = set()
    for order in itertools.permutations([*jumps[:1], *jumps[-2:], finding]):
        events = _run([*order, *jumps], T0 + RULES.interference_window_s)
        kinds = [e["kind"] for e in events]
        assert kinds == ["gnss_interference"]
        seen.add(tuple(events[0]["vessels"]))
    assert seen == {(1, 2, 3)}


def test_a_finding_waits_for_its_window() -> None:
    store = MemoryStore()
    finding = _finding(1, T0, *HOME)
    interference.add(store, finding, RULES, None)
    assert interference.due_at(store, finding["key"], RULES) == T0 + RULES.interference_window_s
    assert interference.release(store, finding["key"], T0 + 60, RULES) == []
    # Jumps that arrive within the window still count.
    for rec in _jump(2, T0 + 30, *HOME) + _jump(3, T0 + 90, *HOME):
        interference.add(store, rec, RULES, T0 + 60)
    events = interference.release(store, finding["key"], T0 + 3600, RULES)
    assert [e["kind"] for e in events] == ["gnss_interference"]


def test_far_or_long_ago_jumps_do_not_count() -> None:
    far = (HOME[0] + 1.0, HOME[1])  # 111 km away
    records = [
        *_jump(2, T0, *far),
        *_jump(3, T0 - 3 * 3600, *HOME),
        *_jump(4, T0, *far),
        _finding(1, T0, *HOME),
    ]
    events = _run(records, T0 + 3600)
    assert [e["kind"] for e in events] == ["position_tampering"]


def test_old_state_is_forgotten() -> None:
    store = MemoryStore()
    for rec in _jump(2, T0, *HOME):
        interference.add(store, rec, RULES, None)
    key = cell_of(*HOME, 1.0, prefix="j")
    assert interference.due_at(store, key, RULES) == T0 + 2 * RULES.interference_window_s
    interference.release(store, key, T0 + 2 * RULES.interference_window_s, RULES)
    assert store.get(key) is None
    assert interference.add(store, _jump(2, T0, *HOME)[0], RULES, T0 + 3 * 3600) == "too_late"
