"""The at-sea rules through the whole detector: encounters, loitering and satellite sightings.

Every scenario runs like `shipwatch detect`: records in event-time order through `Detector`,
then `Detector.flush()` at the end of the input. Fixes come every 10 minutes on the tick grid
unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from shipwatch.ais.records import Static
from shipwatch.pipeline.detector import Detector
from shipwatch.sea.thresholds import SKYLIGHT, SeaRules
from tests.fixtures.timeline import (
    DPRK_TANKER,
    FAR_SOUTH,
    OUTSIDE_VOSTOCHNY,
    RUSSIAN_TANKER,
    T0,
    VOSTOCHNY_BERTH,
    Timeline,
    merged,
    sighting,
)

SEA_KINDS = ("encounter", "loitering", "sighting")
ALONGSIDE = (FAR_SOUTH[0] + 0.0018, FAR_SOUTH[1])  # 200 m north of FAR_SOUTH
LIBERIAN_TANKER = 636_012_345  # not watched: neither the DPRK flag nor the (empty) watchlist
DPRK_CARGO = 445_987_654


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def iso(hours: float) -> str:
    return at(hours).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Outcome:
    events: list[dict[str, Any]]  # the at-sea events, in order
    alerts: list[dict[str, Any]]  # every alert, in order
    decided_before_flush: set[str]  # sighting ids decided while AIS was still coming

    def of(self, kind: str, mmsi: int | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == kind and (mmsi is None or e["mmsi"] == mmsi)]

    def alerts_of(self, kind: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts if a["kind"] == kind]


def detect(core: Any, records: Iterable[Any], rules: SeaRules | None = None) -> Outcome:
    index, ctx = core
    detector = Detector(index, ctx, sea_rules=rules)
    before: list[Any] = []
    for record in records:
        if isinstance(record, dict):
            before.extend(detector.process_json(record))
        else:
            before.extend(detector.process(record))
    outputs = before + list(detector.flush())
    assert [o.record for o in outputs if o.stream == "dead-letters"] == []
    events = [
        o.record for o in outputs if o.stream == "voyage-events" and o.record["kind"] in SEA_KINDS
    ]
    decided = {
        o.record["sighting_id"]
        for o in before
        if o.stream == "voyage-events" and o.record["kind"] == "sighting"
    }
    alerts = [o.record for o in outputs if o.stream == "alerts"]
    return Outcome(events, alerts, decided)


def identities() -> list[Static]:
    return [
        Static(mmsi=DPRK_TANKER, ts=T0, name="CHON MA SAN", imo=8912340, draught=5.0),
        Static(mmsi=RUSSIAN_TANKER, ts=T0, name="SOKOL", imo=9301237, draught=11.0),
    ]


def meeting(
    hours: float = 3.0,
    alongside: tuple[float, float] = ALONGSIDE,
    every_min: float = 10,
    mmsis: tuple[int, int] = (DPRK_TANKER, RUSSIAN_TANKER),
) -> tuple[Timeline, Timeline]:
    """Two tankers arrive at FAR_SOUTH at 01:00, stop `alongside` each other, sail off apart."""
    a = (
        Timeline(mmsis[0])
        .sail((39.9, 131.9), FAR_SOUTH, 1)
        .stay(FAR_SOUTH, hours, every_min, sog=0.3)
        .sail(FAR_SOUTH, (39.9, 132.1), 1, every_min)
    )
    b = (
        Timeline(mmsis[1])
        .sail((40.1, 132.1), alongside, 1)
        .stay(alongside, hours, every_min, sog=0.5)
        .sail(alongside, (40.1, 131.9), 1, every_min)
    )
    return a, b


# --- Encounters -----------------------------------------------------------------------------


def test_two_slow_tankers_200_m_apart_for_3_hours_make_one_encounter_each_then_its_end(core):
    out = detect(core, merged(identities(), *meeting()))

    for me, other, sog in ((DPRK_TANKER, RUSSIAN_TANKER, 0.3), (RUSSIAN_TANKER, DPRK_TANKER, 0.5)):
        going_on, ended = out.of("encounter", me)
        assert going_on["ended_at"] is None
        assert ended["ended_at"] == iso(4)  # the last close tick: the last slow fix, 04:00
        for event in (going_on, ended):
            assert event["other_mmsi"] == other
            assert event["started_at"] == iso(1 + 20 / 60)  # the first tick both were slow
            assert 190 <= event["min_distance_m"] < 500
            assert event["median_sog"] < 2 and event["other_median_sog"] < 2
            assert event["median_sog"] == pytest.approx(sog, abs=0.1)
            assert event["lat"] == pytest.approx(FAR_SOUTH[0] + 0.0009, abs=1e-4)
            assert event["lon"] == pytest.approx(FAR_SOUTH[1], abs=1e-4)
        assert going_on["duration_s"] == 2 * 3600  # reported as soon as it lasted 2 h
        assert ended["duration_s"] == 2 * 3600 + 40 * 60
    # Nothing else: exactly two events per vessel.
    assert len(out.of("encounter")) == 4


def test_the_watched_tanker_gets_a_warning_naming_its_counterpart(core):
    out = detect(core, merged(identities(), *meeting()))

    [alert] = out.alerts_of("sts_encounter")  # the Russian tanker is not watched
    assert alert["mmsi"] == DPRK_TANKER
    assert alert["severity"] == "warning"
    assert alert["at"] == iso(1 + 20 / 60)
    evidence = alert["evidence"]
    assert evidence["watched"] == "flag:KP"
    assert evidence["name"] == "CHON MA SAN" and evidence["imo"] == 8912340
    assert evidence["other"] == {
        "mmsi": RUSSIAN_TANKER,
        "name": "SOKOL",
        "imo": 9301237,
        "flag_mid": "273",
    }
    assert evidence["ended_at"] is None
    assert evidence["min_distance_m"] < 500
    assert evidence["duration_h"] == 2.0
    assert evidence["draught_before"] == evidence["draught_after"] == 5.0
    assert evidence["draught_change_m"] == 0.0


def test_a_draught_change_reported_before_they_part_makes_a_critical_alert_on_the_end(core):
    a, b = meeting()
    loaded = Static(mmsi=DPRK_TANKER, ts=at(3), draught=9.2)  # during the stay
    out = detect(core, merged(identities(), [loaded], a, b))

    ended = [e for e in out.of("encounter", DPRK_TANKER) if e["ended_at"] is not None]
    assert [(e["draught_before"], e["draught_after"]) for e in ended] == [(5.0, 9.2)]
    warning, critical = out.alerts_of("sts_encounter")
    assert warning["severity"] == "warning"
    assert critical["severity"] == "critical"
    assert critical["mmsi"] == DPRK_TANKER
    assert critical["at"] == iso(4)
    assert critical["alert_id"] != warning["alert_id"]
    assert critical["evidence"]["draught_change_m"] == pytest.approx(4.2)
    assert critical["evidence"]["other"]["name"] == "SOKOL"


def test_a_draught_change_below_half_a_metre_is_not_cargo(core):
    a, b = meeting()
    trimmed = Static(mmsi=DPRK_TANKER, ts=at(3), draught=5.3)
    out = detect(core, merged(identities(), [trimmed], a, b))

    assert [a["severity"] for a in out.alerts_of("sts_encounter")] == ["warning"]


def test_ships_passing_close_at_speed_make_no_encounter(core):
    # Head on, 200 m apart abeam, at 10 kn, both reporting every 2 minutes.
    north = Timeline(DPRK_TANKER).sail((39.9, 132.0), (40.1, 132.0), 1.5, every_min=2, sog=10)
    south = Timeline(RUSSIAN_TANKER).sail(
        (40.1, 132.0024), (39.9, 132.0024), 1.5, every_min=2, sog=10
    )
    out = detect(core, merged(north, south))

    assert out.events == []
    assert out.alerts == []


def test_a_short_stop_alongside_makes_no_encounter(core):
    out = detect(core, merged(identities(), *meeting(hours=1)))

    assert out.of("encounter") == []
    assert out.of("loitering") == []  # an hour is not loitering either
    assert out.alerts == []


def test_two_ships_loitering_1_5_km_apart_loiter_but_do_not_meet(core):
    apart = (FAR_SOUTH[0] + 0.0135, FAR_SOUTH[1])  # 1.5 km north
    out = detect(core, merged(identities(), *meeting(alongside=apart)))

    assert out.of("encounter") == []
    for mmsi in (DPRK_TANKER, RUSSIAN_TANKER):
        assert [e["ended_at"] for e in out.of("loitering", mmsi)] == [None, iso(4)]
    assert [a["kind"] for a in out.alerts] == ["loitering"]  # the watched one's


def test_two_ships_moored_side_by_side_in_vostochny_neither_meet_nor_loiter(core):
    beside = (VOSTOCHNY_BERTH[0] + 0.001, VOSTOCHNY_BERTH[1])  # 110 m
    a = (
        Timeline(DPRK_TANKER)
        .sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1)
        .stay(VOSTOCHNY_BERTH, 5, sog=0.0)
        .sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, 1)
    )
    b = (
        Timeline(RUSSIAN_TANKER)
        .sail(OUTSIDE_VOSTOCHNY, beside, 1)
        .stay(beside, 5, sog=0.1)
        .sail(beside, OUTSIDE_VOSTOCHNY, 1)
    )
    out = detect(core, merged(identities(), a, b))

    assert out.of("encounter") == []
    assert out.of("loitering") == []
    assert out.alerts_of("sts_encounter") == out.alerts_of("loitering") == []


def test_a_vessel_slowing_for_half_an_hour_does_not_loiter(core):
    slowing = (
        Timeline(DPRK_TANKER)
        .sail((39.8, 132.0), FAR_SOUTH, 1.5)
        .sail(FAR_SOUTH, (40.004, 132.0), 0.5, sog=1.0)
        .sail((40.004, 132.0), (40.2, 132.0), 1.5)
    )
    out = detect(core, slowing.positions)

    assert out.events == []
    assert out.alerts == []


def loiterer(mmsi: int) -> Timeline:
    return (
        Timeline(mmsi)
        .sail((39.9, 131.9), FAR_SOUTH, 1)
        .stay(FAR_SOUTH, 3, sog=0.8)
        .sail(FAR_SOUTH, (40.1, 132.1), 1)
    )


def test_a_dprk_vessel_loitering_3_hours_is_reported_and_alerted_then_ended(core):
    out = detect(core, merged(identities()[:1], loiterer(DPRK_TANKER)))

    going_on, ended = out.of("loitering", DPRK_TANKER)
    assert going_on["ended_at"] is None
    assert going_on["started_at"] == ended["started_at"] == iso(1 + 20 / 60)
    assert going_on["duration_s"] == 2 * 3600
    assert ended["ended_at"] == iso(4)
    assert ended["duration_s"] == 2 * 3600 + 40 * 60
    for event in (going_on, ended):
        assert event["lat"] == pytest.approx(FAR_SOUTH[0], abs=1e-4)
        assert event["lon"] == pytest.approx(FAR_SOUTH[1], abs=1e-4)
        assert event["median_sog"] == pytest.approx(0.8, abs=0.1)
        assert event["name"] == "CHON MA SAN"
    [alert] = out.alerts
    assert alert["kind"] == "loitering"
    assert alert["severity"] == "warning"
    assert alert["mmsi"] == DPRK_TANKER
    assert alert["at"] == going_on["started_at"]
    assert alert["evidence"]["watched"] == "flag:KP"
    assert alert["evidence"]["duration_h"] == 2.0


def test_a_non_watched_loiterer_makes_the_event_but_no_alert(core):
    out = detect(core, loiterer(LIBERIAN_TANKER).positions)

    assert [e["ended_at"] for e in out.of("loitering", LIBERIAN_TANKER)] == [None, iso(4)]
    assert out.alerts == []


# --- Skylight's stricter variant ------------------------------------------------------------


def brief_meeting() -> list[Any]:
    """45 minutes 200 m apart, fixes every 5 minutes."""
    return merged(*meeting(hours=0.75, every_min=5))


def test_skylight_rules_see_45_minutes_at_200_m_as_an_encounter(core):
    out = detect(core, brief_meeting(), rules=SKYLIGHT)

    ended = [e for e in out.of("encounter") if e["ended_at"] is not None]
    assert sorted(e["mmsi"] for e in ended) == [RUSSIAN_TANKER, DPRK_TANKER]
    assert all(e["duration_s"] >= SKYLIGHT.encounter_min_s for e in ended)
    assert all(e["min_distance_m"] < SKYLIGHT.encounter_distance_m for e in ended)
    assert [a["severity"] for a in out.alerts_of("sts_encounter")] == ["warning"]


def test_default_rules_see_no_encounter_in_45_minutes(core):
    out = detect(core, brief_meeting())

    assert out.of("encounter") == []
    assert out.alerts_of("sts_encounter") == []


def test_skylight_rules_ignore_a_pair_300_m_apart(core):
    farther = (FAR_SOUTH[0] + 0.0027, FAR_SOUTH[1])  # 300 m: close by default, not by Skylight
    records = merged(*meeting(hours=3, alongside=farther))

    assert detect(core, records, rules=SKYLIGHT).of("encounter") == []
    assert len(detect(core, records).of("encounter")) == 4


# --- Satellite sightings --------------------------------------------------------------------

# Runs north through one area cell (rows 42.6-42.7) 10 km south of Vostochny, at 9.6 kn, then
# anchors there for two hours: its AIS keeps coming, so the sighting is decided before the end.
PASSING = (
    Timeline(RUSSIAN_TANKER)
    .sail((42.61, 133.03), (42.69, 133.03), 0.5, every_min=1, sog=9.6)
    .stay((42.69, 133.03), 2, sog=0.0)
)


def test_a_sighting_at_an_ais_vessels_interpolated_position_is_matched(core):
    seen_at = 15.5 / 60  # between two fixes and two ticks
    where = (42.61 + (42.69 - 42.61) * seen_at / 0.5, 133.03)
    seen = sighting("s1-matched", at(seen_at), where, length_m=180.0)
    out = detect(core, merged(PASSING, [seen]))

    [event] = out.of("sighting")
    assert event["sighting_id"] == "s1-matched"
    assert event["matched_mmsi"] == RUSSIAN_TANKER
    assert event["distance_m"] < 50
    assert event["length_m"] == 180.0 and event["source"] == "sentinel-1"
    assert out.decided_before_flush == {"s1-matched"}  # AIS went an hour past it
    assert out.alerts == []


def test_a_sighting_waits_for_ais_an_hour_past_it_or_the_end_of_input(core):
    seen_at = 15.5 / 60
    where = (42.61 + (42.69 - 42.61) * seen_at / 0.5, 133.03)
    seen = sighting("s1-matched", at(seen_at), where)
    cut = [p for p in PASSING.positions if p.ts <= at(seen_at + 0.9)]  # AIS stops 54 min on
    out = detect(core, merged(cut, [seen]))

    assert out.decided_before_flush == set()
    assert [e["matched_mmsi"] for e in out.of("sighting")] == [RUSSIAN_TANKER]


def dark_tanker(mmsi: int = DPRK_TANKER) -> Timeline:
    """Sails towards Vostochny and goes silent 20 km south of the berth at 01:30."""
    last_seen = (VOSTOCHNY_BERTH[0] - 0.18, VOSTOCHNY_BERTH[1])  # 20.0 km
    return Timeline(mmsi).sail((42.40, VOSTOCHNY_BERTH[1]), last_seen, 1.5)


def test_an_unmatched_sighting_at_the_berth_with_a_silent_dprk_tanker_is_a_dark_vessel(core):
    seen = sighting("s2-dark", at(4.5), VOSTOCHNY_BERTH, length_m=150.0)
    out = detect(core, merged(identities()[:1], dark_tanker(), [seen]))

    [event] = out.of("sighting")
    assert event["matched_mmsi"] is None
    assert event["port"] == "vostochny" and event["port_role"] == "loading"
    assert event["port_distance_m"] == 0
    assert event["candidates"] == [DPRK_TANKER]
    [detail] = event["candidate_details"]
    assert detail["last_seen_at"] == iso(1.5)
    assert detail["last_seen_km"] == pytest.approx(20.0, abs=0.2)
    [alert] = out.alerts
    assert alert["kind"] == "dark_vessel"
    assert alert["severity"] == "critical"  # at a loading port
    assert alert["mmsi"] is None
    assert alert["port"] == "vostochny"
    assert alert["at"] == iso(4.5)
    assert alert["evidence"]["candidates"] == [DPRK_TANKER]
    assert alert["evidence"]["sighting_id"] == "s2-dark"
    assert alert["evidence"]["length_m"] == 150.0


def test_a_tanker_silent_too_briefly_to_have_got_there_is_no_candidate(core):
    # Silent since 01:30 20 km away, seen at the berth at 01:40: 65 kn would be needed.
    seen = sighting("s2-dark", at(1.5 + 10 / 60), VOSTOCHNY_BERTH)
    out = detect(core, merged(dark_tanker(), [seen]))

    [alert] = out.alerts
    assert alert["kind"] == "dark_vessel"
    assert alert["evidence"]["candidates"] == []


def test_a_sighting_of_a_vessel_moored_at_the_berth_is_no_dark_vessel(core):
    moored = (
        Timeline(RUSSIAN_TANKER)
        .sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1)
        .stay(VOSTOCHNY_BERTH, 4, sog=0.0)
    )
    seen = sighting("s3-moored", at(2.25), (VOSTOCHNY_BERTH[0] + 0.002, VOSTOCHNY_BERTH[1]))
    out = detect(core, merged(moored, dark_tanker(), [seen]))

    [event] = out.of("sighting")
    assert event["matched_mmsi"] == RUSSIAN_TANKER
    assert 200 < event["distance_m"] < 250
    assert out.alerts_of("dark_vessel") == []


def test_an_unmatched_sighting_far_at_sea_is_only_an_event(core):
    seen = sighting("s4-open-sea", at(2), FAR_SOUTH)
    out = detect(core, merged(dark_tanker(), [seen]))

    [event] = out.of("sighting")
    assert event["sighting_id"] == "s4-open-sea"
    assert event["matched_mmsi"] is None and event["mmsi"] is None
    assert "port" not in event
    assert out.alerts == []


# --- Stable ids -----------------------------------------------------------------------------


def test_the_same_input_twice_gives_the_same_alert_ids(core):
    a, b = meeting()
    records = merged(
        identities(),
        [Static(mmsi=DPRK_TANKER, ts=at(3), draught=9.2)],
        a,
        b,
        [sighting("s2-dark", at(4.5), VOSTOCHNY_BERTH)],
        dark_tanker(DPRK_CARGO),
    )
    first, second = detect(core, records), detect(core, records)

    ids = [a["alert_id"] for a in first.alerts]
    assert sorted((a["kind"], a["severity"]) for a in first.alerts) == [
        ("dark_vessel", "critical"),
        ("loitering", "warning"),
        ("sts_encounter", "critical"),
        ("sts_encounter", "warning"),
    ]
    assert len(set(ids)) == len(ids)
    assert [a["alert_id"] for a in second.alerts] == ids
    assert second.alerts == first.alerts
    assert second.events == first.events
