"""One vessel's integrity checks, run as `detect` runs them: the track stage, then the rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.context import RuleContext
from alerts.watchlist import Watchlist
from shipwatch.ais.records import Position, Static
from shipwatch.integrity import vessel_checks
from shipwatch.integrity.status_files import IdentityStatus
from shipwatch.integrity.vessel_checks import IntegrityContext
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.pipeline.watched import sea_context
from shipwatch.sea.sampler import SeaOut
from shipwatch.settings import BUNDLED_GEOFENCES

T0 = datetime(2024, 3, 10, tzinfo=UTC)
AT_SEA = (40.5, 134.5)  # the Sea of Japan, far from every port
NEAR_VOSTOCHNY = (42.60, 133.10)  # about 17 km off the port, at sea
INLAND = (43.5, 132.5)  # 25 km inland of Primorye's coast
WATCHED = 445100001  # MID 445: watched by its flag
PLAIN = 273100001


def _detector(**ctx_changes: Any) -> Detector:
    index, ctx = build_core(BUNDLED_GEOFENCES)
    return Detector(index, replace(ctx, **ctx_changes))


def _pos(mmsi: int, minutes: float, lat: float, lon: float, sog: float = 10.0) -> Position:
    return Position(
        mmsi=mmsi, ts=T0 + timedelta(minutes=minutes), lat=lat, lon=lon, sog=sog, cog=90.0
    )


def _static(mmsi: int, minutes: float, **fields: Any) -> Static:
    return Static(mmsi=mmsi, ts=T0 + timedelta(minutes=minutes), **fields)


def _run(records: list[Position | Static], detector: Detector | None = None) -> list[dict]:
    detector = detector or _detector()
    out = [o for r in records for o in detector.process(r)]
    out += list(detector.flush())
    return [o.record | {"stream": o.stream} for o in out]


def _findings(outputs: list[dict], stream: str = "voyage-events") -> list[tuple]:
    kinds = ("invalid_identity", "identity_conflict", "identity_swap", "position_tampering")
    return [
        (o["kind"], o["mmsi"], o.get("reason") or o.get("evidence", {}).get("reason"))
        for o in outputs
        if o["stream"] == stream and o["kind"] in kinds
    ]


def _track(mmsi: int, start: tuple[float, float], n: int, minutes: float = 0.0) -> list[Position]:
    """A vessel steaming east at 10 kn, a fix every 5 minutes."""
    step = 10 * 1852 / 12 / 111_195 / 0.75  # degrees of longitude in 5 min at ~41 N
    return [_pos(mmsi, minutes + 5 * i, start[0], start[1] + step * i) for i in range(n)]


def test_an_mmsi_of_no_country_is_an_event_at_sea_and_an_alert_near_a_port() -> None:
    bad = 200000001  # MID 200: no country's
    far = _run(_track(bad, AT_SEA, 3))
    assert _findings(far) == [("invalid_identity", bad, "mid")]
    assert _findings(far, "alerts") == []
    near = _run(_track(bad, NEAR_VOSTOCHNY, 3))
    assert _findings(near, "alerts") == [("invalid_identity", bad, "mid")]


def test_coming_into_scope_alerts_a_finding_made_out_of_it_once() -> None:
    bad = 200000002
    records = _track(bad, AT_SEA, 2) + _track(bad, NEAR_VOSTOCHNY, 4, minutes=30 * 60)
    out = _run(records)
    assert _findings(out, "alerts") == [("invalid_identity", bad, "mid")]
    assert [o.get("told_before") for o in out if o["kind"] == "invalid_identity"][:2] == [
        None,
        True,
    ]


def test_an_imo_failing_its_check_digit_near_a_port() -> None:
    records = [*_track(PLAIN, NEAR_VOSTOCHNY, 2), _static(PLAIN, 11, imo=9074728, name="X")]
    assert _findings(_run(records), "alerts") == [("invalid_identity", PLAIN, "imo_check_digit")]
    good = [*_track(PLAIN, NEAR_VOSTOCHNY, 2), _static(PLAIN, 11, imo=9074729, name="X")]
    assert _findings(_run(good)) == []


def test_a_scrapped_ships_imo_after_its_date_is_a_zombie() -> None:
    status = IdentityStatus("scrapped", "2019-05-01", 1_556_668_800.0, "test list")
    detector = _detector(identity_statuses={9074729: status})
    records = [*_track(PLAIN, NEAR_VOSTOCHNY, 2), _static(PLAIN, 11, imo=9074729, name="X")]
    out = _run(records, detector)
    assert _findings(out, "alerts") == [("invalid_identity", PLAIN, "zombie")]
    [alert] = [o for o in out if o["stream"] == "alerts"]
    assert alert["severity"] == "critical"
    assert alert["evidence"]["status"]["status"] == "scrapped"


def test_three_fixes_far_inland_are_on_land_two_are_not() -> None:
    fixes = [_pos(WATCHED, 5 * i, INLAND[0], INLAND[1] + 0.01 * i) for i in range(3)]
    assert _findings(_run(fixes), "alerts") == [("position_tampering", WATCHED, "on_land")]
    assert _findings(_run(fixes[:2])) == []


def test_a_moored_ship_at_the_vostochny_berth_is_not_on_land() -> None:
    berth = (42.744, 133.05)  # 515 m inside the drawn shore, and inside the port's fence
    fixes = [_pos(WATCHED, 10 * i, *berth, sog=0.0) for i in range(12)]
    assert _findings(_run(fixes)) == []


def _jumping(mmsi: int, jumps: int, every_min: float = 60) -> list[Position]:
    """A steady track with single fixes 300 km off, each followed by the track again."""
    track = _track(mmsi, AT_SEA, int(jumps * every_min / 5) + 6)
    out: list[Position] = []
    for i, fix in enumerate(track):
        out.append(fix)
        if i % int(every_min / 5) == 3 and len([p for p in out if p.lat > 42]) < jumps:
            out.append(_pos(mmsi, 5 * i + 1, AT_SEA[0] + 2.7, AT_SEA[1]))
    return out


def test_repeated_jumps_that_come_back_are_tampering_a_single_one_is_not() -> None:
    assert _findings(_run(_jumping(WATCHED, 3)), "alerts") == [
        ("position_tampering", WATCHED, "jumps")
    ]
    assert _findings(_run(_jumping(WATCHED, 1))) == []


def test_two_ships_on_one_mmsi_are_two_transmitters_not_jumps() -> None:
    """Two ships reporting on one MMSI, 140 km apart, in turn every 5 min: the tracker holds
    the second out as a second transmitter (`identity_change`); it is not one ship lying."""
    other = (AT_SEA[0] + 1.26, AT_SEA[1])  # about 140 km north
    fixes = [_pos(WATCHED, 5 * i, *(AT_SEA if i % 2 == 0 else other), sog=0.5) for i in range(24)]
    out = _run(fixes)
    kinds = [o["kind"] for o in out if o["stream"] == "alerts"]
    assert "identity_change" in kinds
    assert _findings(out, "alerts") == []  # no position_tampering (jumps)


def test_jumps_spread_beyond_the_window_are_not_a_pattern() -> None:
    assert _findings(_run(_jumping(WATCHED, 3, every_min=4 * 60))) == []


def test_vessels_jumping_together_are_interference_not_tampering() -> None:
    records = sorted(
        [p for mmsi in (WATCHED, PLAIN, PLAIN + 1) for p in _jumping(mmsi, 3)],
        key=lambda p: p.ts,
    )
    out = _run(records)
    assert _findings(out) == []
    assert {o["mmsi"] for o in out if o["kind"] == "gnss_interference"} == {
        WATCHED,
        PLAIN,
        PLAIN + 1,
    }


def test_integrity_off_finds_nothing() -> None:
    detector = _detector(integrity=False, watchlist=Watchlist())
    assert _findings(_run(_track(200000001, NEAR_VOSTOCHNY, 3), detector)) == []


def test_rule_context_default_is_on() -> None:
    assert RuleContext().integrity is True


def _hourly(mmsi: int, at: tuple[float, float], hours: int, start_h: float = 0.0) -> list:
    return [_pos(mmsi, 60 * (start_h + h) + 7, at[0], at[1] + 0.001 * h, 0.5) for h in range(hours)]


def test_one_imo_on_two_ships_far_apart_is_a_conflict() -> None:
    imo = 9074729
    records = sorted(
        [
            _static(WATCHED, 0, imo=imo, name="ONE"),
            _static(PLAIN, 0, imo=imo, name="ONE"),
            *_hourly(WATCHED, NEAR_VOSTOCHNY, 6),
            *_hourly(PLAIN, AT_SEA, 6),
        ],
        key=lambda r: r.ts,
    )
    out = _run(records)
    [event] = [
        o for o in out if o["kind"] == "identity_conflict" and o["stream"] == "voyage-events"
    ]
    assert (event["mmsi"], event["other_mmsi"], event["by"]) == (PLAIN, WATCHED, "imo")
    alerts = [o for o in out if o["stream"] == "alerts" and o["kind"] == "identity_conflict"]
    # Both sides are in scope: the watched one by its flag, the other... only if near a port.
    assert [(a["mmsi"], a["evidence"]["other_mmsi"]) for a in alerts] == [(WATCHED, PLAIN)]


def test_a_sequential_reflag_is_not_a_conflict() -> None:
    imo = 9074729
    records = [
        _static(WATCHED, 0, imo=imo, name="ONE"),
        *_hourly(WATCHED, NEAR_VOSTOCHNY, 4),
        _static(PLAIN, 3 * 24 * 60, imo=imo, name="ONE"),
        *_hourly(PLAIN, AT_SEA, 4, start_h=3 * 24 + 1),
    ]
    assert _findings(_run(records)) == []


def test_two_ships_without_an_imo_or_a_name_are_not_one() -> None:
    records = sorted(
        [
            _static(WATCHED, 0, name="", length=100, beam=15),
            _static(PLAIN, 0, name="", length=100, beam=15),
            *_hourly(WATCHED, NEAR_VOSTOCHNY, 4),
            *_hourly(PLAIN, AT_SEA, 4),
        ],
        key=lambda r: r.ts,
    )
    assert _findings(_run(records)) == []


def test_the_same_name_and_size_far_apart_is_a_conflict() -> None:
    records = sorted(
        [
            _static(WATCHED, 0, name="SAEBYOL", length=100, beam=15),
            _static(PLAIN, 0, name="Saebyol ", length=100, beam=15),
            *_hourly(WATCHED, NEAR_VOSTOCHNY, 4),
            *_hourly(PLAIN, AT_SEA, 4),
        ],
        key=lambda r: r.ts,
    )
    [event] = [o for o in _run(records) if o["kind"] == "identity_conflict" and "by" in o]
    assert event["by"] == "name"


def test_a_watched_tanker_silent_at_sea_and_a_new_one_of_its_size_is_a_swap() -> None:
    tanker = {"ship_type": 80, "length": 110, "beam": 16}
    new = 352100001
    already = 352100002  # the same size, transmitting before the silence: not new
    out_at = (41.8, 132.6)
    records = sorted(
        [
            _static(WATCHED, 0, name="OLD", **tanker),
            _static(already, 0, name="OTHER", length=112, beam=16, ship_type=80),
            *_track(WATCHED, (41.8, 132.2), 12),  # falls silent after an hour
            *_track(already, (41.6, 132.6), 150),
            *_track(new, out_at, 100, minutes=4 * 60),
            _static(new, 4 * 60 + 3, name="NEW", length=108, beam=16.5, ship_type=80),
        ],
        key=lambda r: r.ts,
    )
    out = _run(records)
    swaps = [o for o in out if o["kind"] == "identity_swap" and o["stream"] == "alerts"]
    assert [(a["mmsi"], a["evidence"]["candidates"]) for a in swaps] == [(WATCHED, [new])]


def test_no_swap_when_the_silent_vessel_speaks_again() -> None:
    tanker = {"ship_type": 80, "length": 110, "beam": 16}
    new = 352100001
    records = sorted(
        [
            _static(WATCHED, 0, name="OLD", **tanker),
            *_track(WATCHED, (41.8, 132.2), 12),
            *_track(WATCHED, (41.8, 132.3), 20, minutes=6 * 60),  # back 2 h after the new one
            *_track(new, (41.8, 132.6), 100, minutes=4 * 60),
            _static(new, 4 * 60 + 3, name="NEW", **tanker),
        ],
        key=lambda r: r.ts,
    )
    assert [o for o in _run(records) if o["kind"] == "identity_swap"] == []


@cache
def _checks() -> IntegrityContext:
    index, ctx = build_core(BUNDLED_GEOFENCES)
    checks = sea_context(index, ctx).integrity
    assert checks is not None
    return checks


_POINTS = st.one_of(
    st.sampled_from([AT_SEA, AT_SEA, NEAR_VOSTOCHNY, INLAND, (43.12, 131.88), (41.0, 129.7)]),
    st.tuples(st.floats(38.0, 46.0), st.floats(128.0, 142.0)),
)
_EPOCH = T0.timestamp()
_STATES = st.one_of(
    st.none(),
    st.none(),
    st.builds(lambda dt: {"first": [_EPOCH + dt, 40.5, 134.5]}, st.floats(-600, 0)),
    st.builds(lambda dt: {"first": [_EPOCH + dt, 40.5, 134.5]}, st.floats(-7200, 0)),
    st.builds(
        lambda dt, n: {"first": [_EPOCH + dt, 40.5, 134.5], "land": [n, _EPOCH]},
        st.floats(-7200, 0),
        st.integers(1, 3),
    ),
    st.just({"jumps": [[_EPOCH - 60, 1.0, 2.0]]}),
)
_VESSELS = st.sampled_from(
    [{}, {"imo": 9301234}, {"name": "SOKOL", "length": 120, "beam": 20, "ship_type": 80}]
)


@settings(max_examples=300, deadline=None)
@given(
    state=_STATES,
    point=_POINTS,
    t_after=st.one_of(st.floats(300, 3000), st.floats(0, 7200)),
    # Mostly the common case (the last fix minutes ago), so that `routine` says yes often.
    last_before=st.one_of(st.floats(1, 300), st.floats(1, 300), st.none(), st.floats(1, 7200)),
    newest_before=st.one_of(
        st.floats(0, 300), st.floats(0, 300), st.none(), st.floats(0, 40 * 86_400)
    ),
    vessel=_VESSELS,
)
def test_a_fix_routine_says_leaves_alone_is_one_on_position_leaves_alone(
    state: dict[str, Any] | None,
    point: tuple[float, float],
    t_after: float,
    last_before: float | None,
    newest_before: float | None,
    vessel: dict[str, Any],
) -> None:
    # The track stage skips `on_position` for a fix at sea when `routine` says so: that must
    # be exactly a fix `on_position` would return the state for, finding nothing.
    checks = _checks()
    t = _EPOCH + t_after
    last_t = None if last_before is None else t - last_before
    newest_t = None if newest_before is None else t - newest_before
    lat, lon = point
    if not vessel_checks.routine(state, t, lat, lon, last_t, newest_t, checks):
        return
    out = SeaOut()
    given_state = None if state is None else dict(state)
    before = (last_t, 40.5, 134.5)
    found = vessel_checks.on_position(
        state, 273100001, t, lat, lon, before, newest_t, True, [], vessel, checks, out
    )
    assert found is state
    assert state == given_state
    assert out.events == [] and out.records == []


def test_routine_says_yes_only_for_the_common_fix_at_sea() -> None:
    checks = _checks()
    t = _EPOCH + 1800
    routine = vessel_checks.routine
    assert routine(None, t, *AT_SEA, t - 60, t - 60, checks)
    assert routine({"first": [t - 600, *AT_SEA]}, t, *AT_SEA, t - 60, t - 60, checks)
    assert not routine(None, t, *INLAND, t - 60, t - 60, checks)  # the land rule's question
    assert not routine(None, t, *AT_SEA, t - 1860, t - 60, checks)  # the hourly fix is due
    assert not routine(None, t, *AT_SEA, None, None, checks)  # first seen
    assert not routine(None, t, *AT_SEA, t - 60, t - 31 * 86_400, checks)  # back after a month
    assert not routine({"first": [t - 4000, *AT_SEA]}, t, *AT_SEA, t - 60, t - 60, checks)
    assert not routine({"jumps": [[t - 60, 1.0, 2.0]]}, t, *AT_SEA, t - 60, t - 60, checks)
