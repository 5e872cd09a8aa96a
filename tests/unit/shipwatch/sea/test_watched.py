"""The watched vessels' fixes and silences: what is kept, against a plain model of the rules."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert (store.get(watched.KEY) or {}) == model(calls, SMALL, SMALL)
