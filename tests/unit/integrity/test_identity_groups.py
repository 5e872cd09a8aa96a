"""Identity groups: one IMO (or name and size), two ships that one ship cannot be; the events
do not depend on arrival order nor on how often the watermark moved."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.timefmt import epoch_of
from shipwatch.integrity.identity_groups import add, due_at, release
from shipwatch.integrity.thresholds import IntegrityRules

Record = dict[str, Any]
RULES = IntegrityRules()
KEY = "i:9074729"
T0 = 1_710_000_000.0  # 2024-03-09T16:00:00Z
H = 3600.0
NAMPO = (38.72, 125.38)
VOSTOCHNY = (42.74, 133.07)  # about 750 km from Nampo
BESIDE_VOSTOCHNY = (42.749, 133.07)  # 1 km from the berth: within the fixes' error


class Store:
    """The group store's interface over JSON, as a stream's table keeps values: a change
    counts only once put, and what is put must be JSON-ready."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return json.loads(self.data[key]) if key in self.data else None

    def put(self, key: str, value: Any) -> None:
        self.data[key] = json.dumps(value, allow_nan=False)

    def value(self, key: str) -> Any:
        return json.loads(self.data[key])

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def ident(
    mmsi: int,
    t: float,
    where: tuple[float, float],
    key: str = KEY,
    name: str | None = "SAMPLE",
    port: str | None = None,
) -> Record:
    return {
        "kind": "ident",
        "key": key,
        "mmsi": mmsi,
        "t": t,
        "lat": where[0],
        "lon": where[1],
        "name": name,
        "imo": 9074729,
        "port": port,
    }


def run(store: Store, records: list[Record], w1: float) -> list[Record]:
    for rec in records:
        assert add(store, rec, RULES, None) is None
    return release(store, KEY, w1, RULES)


def test_two_ships_at_once_far_apart_conflict_once() -> None:
    store = Store()
    records = [
        ident(445000001, T0, NAMPO, name="SAMPLE", port="nampo"),
        ident(273000002, T0 + 600, VOSTOCHNY, name="SAMPLE 2"),
        ident(445000001, T0 + H, NAMPO, port="nampo"),
        ident(273000002, T0 + H + 600, VOSTOCHNY),
    ]
    events = run(store, records, T0 + 2 * H)
    assert len(events) == 1
    event = events[0]
    assert event == {
        "kind": "identity_conflict",
        "mmsi": 273000002,  # the lower MMSI, though its fix came second
        "other_mmsi": 445000001,
        "by": "imo",
        "key": "i:9074729",
        "imo": 9074729,
        "name": "SAMPLE 2",
        "other_name": "SAMPLE",
        "at": "2024-03-09T16:10:00Z",
        "fix": {"at": "2024-03-09T16:10:00Z", "lat": VOSTOCHNY[0], "lon": VOSTOCHNY[1]},
        "other_fix": {"at": "2024-03-09T16:00:00Z", "lat": NAMPO[0], "lon": NAMPO[1]},
        "distance_km": event["distance_km"],
        "hours_apart": 0.17,
        "implied_kn": event["implied_kn"],
        "port": None,
        "other_port": "nampo",
    }
    assert 700 < event["distance_km"] < 800
    assert event["implied_kn"] > 2000
    # Later fixes of the pair make no second event.
    more = [ident(445000001, T0 + 3 * H, NAMPO), ident(273000002, T0 + 3 * H, VOSTOCHNY)]
    assert run(store, more, T0 + 4 * H) == []


def test_a_sequential_reflag_is_no_conflict() -> None:
    # One MMSI stops at Vostochny; a day later another starts off Nampo, 750 km on: 30 kn
    # would be needed in 13.5 h, but a day at 25 kn reaches 1111 km.
    store = Store()
    records = [
        ident(273000002, T0, VOSTOCHNY),
        ident(273000002, T0 + H, VOSTOCHNY),
        ident(445000001, T0 + 25 * H, NAMPO),
        ident(445000001, T0 + 26 * H, NAMPO),
    ]
    assert run(store, records, T0 + 30 * H) == []


def test_two_transmitters_on_one_ship_are_no_conflict() -> None:
    # An old transponder left on beside the new one: one place, within the slack.
    store = Store()
    records = [ident(273000002, T0, VOSTOCHNY), ident(445000001, T0 + 60, BESIDE_VOSTOCHNY)]
    assert run(store, records, T0 + H) == []


def test_two_places_at_one_time_have_no_finite_speed() -> None:
    store = Store()
    events = run(store, [ident(445000001, T0, NAMPO), ident(273000002, T0, VOSTOCHNY)], T0)
    assert [(e["hours_apart"], e["implied_kn"]) for e in events] == [(0.0, None)]


def test_a_name_group_says_by_name_and_the_lower_mmsi_s_imo() -> None:
    store = Store()
    key = "n:SAMPLE|120|18"
    one = ident(445000001, T0, NAMPO, key=key)
    two = {**ident(273000002, T0 + 60, VOSTOCHNY, key=key), "imo": None}
    assert add(store, one, RULES, None) is None
    assert add(store, two, RULES, None) is None
    [event] = release(store, key, T0 + H, RULES)
    assert (event["by"], event["mmsi"], event["imo"]) == ("name", 273000002, None)


def test_fixes_after_the_watermark_are_held() -> None:
    store = Store()
    assert add(store, ident(445000001, T0, NAMPO), RULES, T0 - H) is None
    assert add(store, ident(273000002, T0 + H, VOSTOCHNY), RULES, T0 - H) is None
    assert due_at(store, KEY, RULES) == T0
    assert release(store, KEY, T0 + H - 1, RULES) == []
    assert due_at(store, KEY, RULES) == T0 + H
    assert len(release(store, KEY, T0 + H, RULES)) == 1
    assert store.value(KEY).get("held") is None


def test_repeats_and_too_late_fixes_are_dropped() -> None:
    store = Store()
    rec = ident(445000001, T0, NAMPO)
    assert add(store, rec, RULES, None) is None
    assert add(store, rec, RULES, None) == "repeat"
    release(store, KEY, T0, RULES)
    assert add(store, rec, RULES, T0) == "repeat"
    assert add(store, ident(445000001, T0 - 60, NAMPO), RULES, T0) == "repeat"
    late = ident(273000002, T0 - RULES.identity_keep_s, VOSTOCHNY)
    assert add(store, late, RULES, T0) == "too_late"


def test_a_late_fix_within_the_keep_is_still_compared() -> None:
    store = Store()
    run(store, [ident(445000001, T0, NAMPO)], T0 + H)
    assert add(store, ident(273000002, T0 + 60, VOSTOCHNY), RULES, T0 + H) is None
    assert due_at(store, KEY, RULES) == T0 + 60  # due at once: the watermark is past it
    assert [e["mmsi"] for e in release(store, KEY, T0 + H, RULES)] == [273000002]


def test_members_are_forgotten_and_the_group_with_them() -> None:
    store = Store()
    run(store, [ident(445000001, T0, NAMPO), ident(445000001, T0 + H, NAMPO)], T0 + H)
    assert list(store.value(KEY)["members"]) == ["445000001"]  # one last fix a member
    forget_at = T0 + H + RULES.identity_keep_s
    assert due_at(store, KEY, RULES) == forget_at
    assert release(store, KEY, forget_at - 1, RULES) == []
    assert KEY in store.data
    assert release(store, KEY, forget_at, RULES) == []
    assert KEY not in store.data
    assert due_at(store, KEY, RULES) is None
    assert release(store, KEY, forget_at + H, RULES) == []


def test_a_pair_is_reported_again_only_once_both_were_forgotten() -> None:
    store = Store()
    pair = [ident(445000001, T0, NAMPO), ident(273000002, T0, VOSTOCHNY)]
    assert len(run(store, pair, T0)) == 1
    assert store.value(KEY)["reported"] == ["273000002:445000001"]
    # One of them stays, the other comes back after being forgotten: still the same pair.
    later = T0 + RULES.identity_keep_s + H
    stays = [ident(273000002, T0 + k * H, VOSTOCHNY) for k in range(1, 50)]
    assert run(store, [*stays, ident(445000001, later, NAMPO)], later) == []
    # Both forgotten (the group with them): a new conflict is a new event.
    again = later + 2 * RULES.identity_keep_s
    assert release(store, KEY, again, RULES) == []
    assert KEY not in store.data
    assert (
        len(run(store, [ident(445000001, again, NAMPO), ident(273000002, again, VOSTOCHNY)], again))
        == 1
    )


# ---------------------------------------------------------------- order and watermarks

PLACES = [NAMPO, VOSTOCHNY, BESIDE_VOSTOCHNY, (39.0, 125.5), (41.0, 131.0)]
MMSIS = [445000001, 445000002, 273000003, 667000004]

fix_strategy = st.tuples(
    st.sampled_from(MMSIS),
    st.integers(0, 120).map(lambda k: T0 + k * 1800.0),  # 60 h, ties on purpose
    st.sampled_from(PLACES),
    st.sampled_from([None, "nampo", "vostochny"]),
)


def _records(fixes: list[tuple[int, float, tuple[float, float], str | None]]) -> list[Record]:
    return [ident(mmsi, t, where, port=port) for mmsi, t, where, port in fixes]


def _replay(records: list[Record], phases: list[int], marks: list[float]) -> list[Record]:
    """Records arrive in their order, each in its phase; after phase i the watermark is
    marks[i] and the group is released, as the stage does when it is due."""
    store = Store()
    events: list[Record] = []
    for phase, mark in enumerate(marks):
        w1 = marks[phase - 1] if phase else None
        for rec, arrives in zip(records, phases, strict=True):
            if arrives == phase:
                assert add(store, rec, RULES, w1) in (None, "repeat")
        due = due_at(store, KEY, RULES)
        if due is not None and due <= mark:
            events += release(store, KEY, mark, RULES)
    return events


@settings(max_examples=60, deadline=None)
@given(
    st.lists(fix_strategy, min_size=1, max_size=14),
    st.lists(st.integers(0, 140).map(lambda k: T0 + k * 1800.0 - 900), min_size=1, max_size=6),
    st.data(),
)
def test_arrival_order_changes_no_event(
    fixes: list[tuple[int, float, tuple[float, float], str | None]],
    cuts: list[float],
    data: st.DataObject,
) -> None:
    marks = [*sorted(set(cuts)), T0 + 200 * H]  # the last one passes every fix
    records = _records(fixes)
    reference = _replay(
        sorted(records, key=lambda r: (r["t"], r["mmsi"])), [0] * len(records), marks
    )
    shuffled = data.draw(st.permutations(records))
    # Each record arrives in some phase before the watermark passes it.
    phases = [
        data.draw(st.integers(0, next(i for i, m in enumerate(marks) if m >= rec["t"])))
        for rec in shuffled
    ]
    assert _replay(shuffled, phases, marks) == reference


@settings(max_examples=60, deadline=None)
@given(
    st.lists(fix_strategy, min_size=1, max_size=14),
    st.lists(st.integers(0, 140).map(lambda k: T0 + k * 1800.0 - 900), min_size=1, max_size=6),
)
def test_how_often_the_watermark_moved_changes_no_event(
    fixes: list[tuple[int, float, tuple[float, float], str | None]], cuts: list[float]
) -> None:
    records = _records(fixes)
    end = T0 + 200 * H
    once = _replay(records, [0] * len(records), [end])
    stepwise = _replay(records, [0] * len(records), [*sorted(set(cuts)), end])
    assert stepwise == once


@settings(max_examples=60, deadline=None)
@given(st.lists(fix_strategy, min_size=1, max_size=14))
def test_one_event_per_pair_and_only_for_unreachable_fixes(
    fixes: list[tuple[int, float, tuple[float, float], str | None]],
) -> None:
    events = _replay(_records(fixes), [0] * len(fixes), [T0 + 200 * H])
    # One event per pair while the group remembers either vessel: a pair is reported again
    # only after both fell silent for identity_keep_s between the two events (and were
    # forgotten, with the pair).
    last: dict[tuple[int, int], float] = {}
    for event in events:
        pair = (event["mmsi"], event["other_mmsi"])
        at = epoch_of(event["at"])
        if pair in last:
            times = sorted({t for mmsi, t, _, _ in fixes if mmsi in pair and last[pair] <= t <= at})
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert gaps and max(gaps) >= RULES.identity_keep_s, (pair, times)
        last[pair] = at
    for event in events:
        assert event["mmsi"] < event["other_mmsi"]
        assert event["distance_km"] * 1000 > RULES.feasible_slack_m
        if event["implied_kn"] is not None:
            assert event["implied_kn"] > RULES.feasible_kn - 0.1
