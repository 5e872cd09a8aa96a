"""The watched vessels' fixes and silences: what is kept, against a plain model of the rules."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.json_form import json_bytes
from shipwatch.sea import watched
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.thresholds import SeaRules

RULES = SeaRules()
SMALL = 3  # bounds small enough for the examples to reach


def model(calls: list[dict[str, Any]], max_silences: int, max_fixes: int) -> dict[str, Any]:
    """What `note_fix` keeps, written plainly: every list filtered whole after each fix."""
    state: dict[str, Any] = {}
    for call in calls:
        rec, w1, w2 = call["rec"], call["w1"], call["w2"]
        vessel = state.setdefault(str(rec["mmsi"]), {"last": None, "silences": []})
        if vessel["last"] is not None and rec["t"] <= vessel["last"][0]:
            continue
        silences = list(vessel["silences"])
        if rec["silent_from"] is not None:
            silences.append([*rec["silent_from"], rec["t"], rec["lat"], rec["lon"]])
        if w1 is not None:
            horizon = w1 - RULES.candidate_lookback_s - RULES.sighting_wait_s
            silences = [s for s in silences if s[3] >= horizon]
        vessel["silences"] = silences[-max_silences:]
        vessel["last"] = [rec["t"], rec["lat"], rec["lon"]]
        fixes = [*vessel.get("fixes", []), vessel["last"]]
        if w2 is not None:
            fixes = [f for f in fixes if f[0] >= w2 - RULES.retention_s]
        vessel["fixes"] = fixes[-max_fixes:]
    return state


HOUR = 3600.0
TICK = 600.0
calls_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "mmsi": st.sampled_from([1, 2]),
            # In ticks, so that times meet the horizons exactly: mostly forward in time (now
            # and then a fix older than the last), the watermarks from the fix's time to days
            # behind it.
            "dt": st.integers(-6, 120).map(lambda k: k * TICK),
            "silent": st.booleans(),
            "w1": st.none() | st.integers(0, 480).map(lambda k: k * TICK),
            "w2": st.none() | st.integers(0, 120).map(lambda k: k * TICK),
        }
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(calls_strategy)
def test_note_fix_keeps_what_the_plain_rules_keep(raw: list[dict[str, Any]]) -> None:
    calls, t = [], 0.0
    for c in raw:
        t += c["dt"]
        rec = {
            "mmsi": c["mmsi"],
            "t": t,
            "lat": 42.0,
            "lon": 131.0,
            "silent_from": [t - 5 * HOUR, 41.0, 130.0] if c["silent"] else None,
        }
        w1 = None if c["w1"] is None else t - c["w1"]
        w2 = None if c["w2"] is None else t - c["w2"]
        calls.append({"rec": rec, "w1": w1, "w2": w2})
    store = MemoryStore()
    bounds = watched.MAX_SILENCES, watched.MAX_FIXES
    watched.MAX_SILENCES, watched.MAX_FIXES = SMALL, SMALL
    try:
        for call in calls:
            watched.note_fix(store, call["rec"], RULES, call["w1"], call["w2"])
    finally:
        watched.MAX_SILENCES, watched.MAX_FIXES = bounds
    kept, expected = watched.vessels(store), model(calls, SMALL, SMALL)
    assert kept == expected
    assert list(kept) == list(expected)  # the order first seen: candidates' ties, scenes' input


def _fix(mmsi: int, t: float, silent_from: float | None = None) -> dict[str, Any]:
    return {
        "mmsi": mmsi,
        "t": t,
        "lat": 42.0,
        "lon": 131.0,
        "silent_from": None if silent_from is None else [silent_from, 41.9, 131.1],
    }


def test_a_fix_on_the_horizon_is_kept_and_one_before_it_forgotten() -> None:
    store = MemoryStore()
    watched.note_fix(store, _fix(1, 1_000.0), RULES, None, None)
    watched.note_fix(store, _fix(1, 2_000.0), RULES, None, None)
    # The level-2 watermark puts the horizon exactly on the second fix.
    watched.note_fix(store, _fix(1, 3_000.0), RULES, None, 2_000.0 + RULES.retention_s)
    assert [f[0] for f in watched.vessels(store)["1"]["fixes"]] == [2_000.0, 3_000.0]


class WritesStore(MemoryStore):
    """A MemoryStore that remembers the keys written: what the stream's flush would write."""

    def __init__(self) -> None:
        super().__init__()
        self.written: set[str] = set()

    def put(self, key: str, value: Any) -> None:
        self.written.add(key)
        super().put(key, value)


def test_each_vessel_is_a_value_of_its_own_and_a_flush_writes_only_who_reported() -> None:
    store = WritesStore()
    for mmsi in (445_000_002, 445_000_001):
        watched.note_fix(store, _fix(mmsi, 1_000.0), RULES, None, None)
    assert store.get(watched.VESSELS_KEY) == ["445000002", "445000001"]
    assert store.get(watched.KEY) is None
    store.written.clear()
    watched.note_fix(store, _fix(445_000_001, 2_000.0), RULES, None, None)
    assert store.written == {watched.VESSEL_PREFIX + "445000001"}


def test_a_release_0_1_0_value_is_split_on_first_use_and_read_the_same() -> None:
    calls = [
        _fix(445_000_009, 1_000.0),
        _fix(445_000_003, 1_200.0),
        _fix(445_000_009, 40_000.0, silent_from=1_000.0),
    ]
    new = MemoryStore()
    for rec in calls:
        watched.note_fix(new, rec, RULES, None, None)
    # As release 0.1.0 kept it: every vessel in one value under `watched`.
    old = MemoryStore()
    old.put(watched.KEY, watched.vessels(new))
    sighting = {"t": 20_000.0, "lat": 42.05, "lon": 131.05}
    assert watched.candidates(watched.vessels(old), sighting, RULES) == watched.candidates(
        watched.vessels(new), sighting, RULES
    )
    assert old.data == new.data  # split: the single value is gone, each vessel has its key
    # And it takes the next fix as a store that never had the old value does.
    for store in (old, new):
        watched.note_fix(store, _fix(445_000_003, 50_000.0, silent_from=1_200.0), RULES, None, None)
    assert old.data == new.data
    assert list(watched.vessels(old)) == ["445000009", "445000003"]


def test_no_value_grows_with_the_number_of_watched_vessels() -> None:
    # Before the level-2 watermark is known (w2 None) each vessel keeps up to MAX_FIXES fixes:
    # in one value, 50 vessels were already past the producer's 1 MiB request limit.
    store = MemoryStore()
    for tick in range(watched.MAX_FIXES):
        for mmsi in range(445_000_000, 445_000_050):
            watched.note_fix(store, _fix(mmsi, 1_000.0 + tick * TICK), RULES, None, None)
    sizes = {key: len(json_bytes(value)) for key, value in store.data.items()}
    assert sum(sizes.values()) > 1024 * 1024
    assert max(sizes.values()) < 64 * 1024
    assert len(watched.vessels(store)["445000049"]["fixes"]) == watched.MAX_FIXES
