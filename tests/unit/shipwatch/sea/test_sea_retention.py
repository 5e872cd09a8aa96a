"""What the sea stage keeps of a pair, and for how long: a run nobody sees again is ended by
the watermark, and an ended pair's marker is deleted `retention_s` after its end."""

from __future__ import annotations

from typing import Any

from shipwatch.ais.timefmt import iso_of
from shipwatch.sea.encounters import due_at, observe_pair, pair_key, release, stale_at
from shipwatch.sea.stage import clock_key, sea_batch
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones
from shipwatch.watermarks import SEA_LEVEL, Progress

RULES = SeaRules()
TICK = RULES.tick_s
T0 = 1_709_769_600  # 2024-03-07T00:00:00Z, on the tick grid
KEY = pair_key(1, 2)


def obs(t: float, close: bool = True) -> dict[str, Any]:
    return {
        "kind": "pair",
        "key": KEY,
        "lo": 1,
        "hi": 2,
        "t": t,
        "close": close,
        "d": 100.0 if close else 1500.0,
        "lat": 40.0,
        "lon": 132.0,
        "lo_sog": 0.5,
        "hi_sog": 0.5,
        "lo_draught": 9.0,
        "hi_draught": 6.0,
        "lo_name": None,
        "hi_name": None,
        "lo_imo": None,
        "hi_imo": None,
    }


def test_a_run_nobody_sees_again_is_ended_by_the_watermark_then_forgotten() -> None:
    # Two vessels close for 2 h 20 min, then nothing more of the pair (one fell silent for
    # good, or they drifted apart beyond the distance that says "apart" while still slow):
    # before, the run stayed in the store for ever and its encounter never ended.
    store = MemoryStore()
    made = []
    last = T0 + 14 * TICK
    for n in range(15):
        events, _ = observe_pair(store, obs(T0 + n * TICK), RULES, T0 + n * TICK)
        made += events
    assert [(e["mmsi"], e["ended_at"]) for e in made] == [(1, None), (2, None)]
    assert due_at(store, KEY, RULES) == stale_at(store.get(KEY)["run"], RULES)
    assert stale_at(store.get(KEY)["run"], RULES) == last + 2 * TICK  # max_gap_ticks = 1
    assert release(store, KEY, last + 2 * TICK, RULES) == []  # a close tick could still come
    ended = release(store, KEY, last + 2 * TICK + 1, RULES)
    assert [(e["mmsi"], e["ended_at"]) for e in ended] == [(1, iso_of(last)), (2, iso_of(last))]
    assert store.get(KEY) == {"ended": last}
    # The end marker: a repeat of the run's past changes nothing while it is kept ...
    assert observe_pair(store, obs(last), RULES, last + 3 * TICK) == ([], None)
    assert due_at(store, KEY, RULES) == last + RULES.retention_s
    assert release(store, KEY, last + RULES.retention_s, RULES) == []
    assert store.get(KEY) is not None
    # ... and is deleted once no repeat can be that old.
    assert release(store, KEY, last + RULES.retention_s + 1, RULES) == []
    assert store.get(KEY) is None and due_at(store, KEY, RULES) is None


def test_ending_by_the_watermark_says_what_a_later_close_tick_would_have_said() -> None:
    # The same run ended by a close tick after the gap: the same ended events.
    def run(then: list[dict[str, Any]], w2_after: float) -> list[tuple[int, str | None]]:
        store, out = MemoryStore(), []
        for n in range(15):
            out += observe_pair(store, obs(T0 + n * TICK), RULES, T0 + n * TICK)[0]
        for o in then:
            out += observe_pair(store, o, RULES, o["t"])[0]
        out += release(store, KEY, w2_after, RULES)
        return [(e["mmsi"], e["ended_at"]) for e in out if e["ended_at"] is not None]

    by_tick = run([obs(T0 + 17 * TICK)], T0 + 17 * TICK)
    by_watermark = run([], T0 + 17 * TICK)
    assert by_tick == by_watermark == [(1, iso_of(T0 + 14 * TICK)), (2, iso_of(T0 + 14 * TICK))]


def test_the_stage_keeps_no_pair_longer_than_its_retention_after_it_ended(core: Any) -> None:
    # Through the stage: observations held for the level-2 watermark, then the watermark runs
    # on a day with nothing more of the pair. Nothing of it is left, nor waits on the clock.
    rules = core[1].sea_rules
    zones = SeaZones(core[0], rules)
    store = MemoryStore()

    def progress(t: float) -> Progress:
        return Progress(SEA_LEVEL, 0, 1, t)

    held = [obs(T0 + n * TICK) for n in range(15)]
    sea_batch(store, held, rules, zones, 0, progress(T0))
    events = []
    for hour in range(0, 26):
        step = sea_batch(store, [], rules, zones, 0, progress(T0 + hour * 3600))
        events += [(e["mmsi"], e["ended_at"]) for e in step.events]
    end = iso_of(T0 + 14 * TICK)
    assert events == [(1, None), (2, None), (1, end), (2, end)]
    assert store.get(KEY) is None
    assert not any(k.startswith("p:") for k in store.get(clock_key(0))["due"])


def test_a_pair_whose_observations_all_come_late_still_makes_its_encounter(core: Any) -> None:
    """One vessel's AIS comes 30 min behind everyone else's (a slow receiver, satellite AIS):
    every observation of the pair is behind the watermark. Ended by the watermark after each,
    the run never lasted long enough to count."""
    rules = core[1].sea_rules
    zones = SeaZones(core[0], rules)
    seen = [obs(T0 + n * TICK) for n in range(15)] + [obs(T0 + 16 * TICK, close=False)]

    def encounters(late_s: float, per_frame: int) -> list[tuple[int, str, str | None]]:
        store, events = MemoryStore(), []
        for i in range(0, len(seen), per_frame):
            chunk = seen[i : i + per_frame]
            ahead = Progress(SEA_LEVEL, 0, 1, chunk[-1]["t"] + late_s)
            events += sea_batch(store, chunk, rules, zones, 0, ahead).events
        day = Progress(SEA_LEVEL, 0, 1, T0 + 86_400)
        events += sea_batch(store, [], rules, zones, 0, day).events
        return [(e["mmsi"], e["started_at"], e["ended_at"]) for e in events]

    on_time = encounters(0, 1)
    assert on_time == [
        (1, iso_of(T0), None),
        (2, iso_of(T0), None),
        (1, iso_of(T0), iso_of(T0 + 14 * TICK)),
        (2, iso_of(T0), iso_of(T0 + 14 * TICK)),
    ]
    for per_frame in (1, 4, 16):
        assert encounters(1800, per_frame) == on_time, per_frame


def test_a_repeat_long_after_does_not_keep_a_run_open() -> None:
    """Only an observation that carries the run on says how late the pair's data comes."""
    store = MemoryStore()
    for n in range(15):
        observe_pair(store, obs(T0 + n * TICK), RULES, T0 + n * TICK)
    last = T0 + 14 * TICK
    assert observe_pair(store, obs(last), RULES, last + 86_400) == ([], None)  # a repeat
    assert stale_at(store.get(KEY)["run"], RULES) == last + 2 * TICK
    assert [e["ended_at"] for e in release(store, KEY, last + 3 * TICK, RULES)] == [
        iso_of(last),
        iso_of(last),
    ]
