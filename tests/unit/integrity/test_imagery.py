"""`not_in_imagery`: a vessel's interpolated AIS position well inside a scene that saw nothing
there, and each way it is not (outside, near the edge, seen, too small, unknown, no fixes)."""

from __future__ import annotations

from typing import Any

import pytest

from geofences.earth import METRES_PER_DEGREE, metres_per_degree_lon
from geofences.movement import distance_m
from shipwatch.integrity.imagery import MAX_ELSEWHERE, not_seen, position_at
from shipwatch.integrity.thresholds import IntegrityRules

RULES = IntegrityRules()
MATCH_M = 1000.0  # SeaRules.sighting_match_m
T = 1_710_274_659.0  # 2024-03-12T20:17:39Z
SQUARE = [[132.0, 41.0], [134.0, 41.0], [134.0, 43.0], [132.0, 43.0], [132.0, 41.0]]
SCENE: dict[str, Any] = {
    "scene_id": "S1A-20240312-0007",
    "t": T,
    "ts": "2024-03-12T20:17:39Z",
    "footprint": {"type": "Polygon", "coordinates": [SQUARE]},
    "source": "sentinel-1",
    "min_length_m": 40.0,
}
WATCHED = 445_123_456


def vessel(
    mmsi: int = WATCHED,
    at: tuple[float, float] = (42.0, 133.0),
    length: float | None = 105.0,
    before_s: float = 600.0,
    after_s: float = 600.0,
) -> dict[str, Any]:
    """A vessel standing still at `at`, with a fix `before_s` before and `after_s` after T."""
    lat, lon = at
    return {
        "mmsi": mmsi,
        "name": "CHON MA SAN",
        "imo": 9123458,
        "length": length,
        "fixes": [[T - before_s, lat, lon], [T + after_s, lat, lon]],
    }


def sighting(
    sid: str, lat: float, lon: float, matched: int | None = None, length_m: float | None = 100.0
) -> dict[str, Any]:
    return {"sighting_id": sid, "t": T, "lat": lat, "lon": lon, "length_m": length_m,
            "matched_mmsi": matched}  # fmt: skip


def decide(vessels: list[dict[str, Any]], sightings: list[dict[str, Any]] | None = None,
           scene: dict[str, Any] | None = None, **kw: Any) -> list[dict[str, Any]]:  # fmt: skip
    return not_seen(scene or SCENE, vessels, sightings or [], RULES, MATCH_M, **kw)


# --- the position at the scene's time -------------------------------------------------------


def test_the_position_is_interpolated_between_the_fixes_around_the_time() -> None:
    fixes = [[T - 900, 42.0, 133.0], [T + 300, 42.4, 133.8], [T + 4000, 50.0, 140.0]]
    lat, lon = position_at(fixes, T) or (0, 0)
    assert (lat, lon) == pytest.approx((42.3, 133.6))
    assert position_at(fixes, T + 300) == (42.4, 133.8)  # a fix at the time is the position
    assert position_at([[T, 42.0, 133.0]], T) == (42.0, 133.0)


@pytest.mark.parametrize(
    "fixes",
    [
        [],
        [[T - 600, 42.0, 133.0]],  # nothing after
        [[T + 600, 42.0, 133.0]],  # nothing before
        [[T - 1801, 42.0, 133.0], [T + 600, 42.0, 133.0]],  # the one before too old
        [[T - 600, 42.0, 133.0], [T + 1801, 42.0, 133.0]],  # the one after too late
    ],
)
def test_no_position_without_a_near_fix_on_each_side(fixes: list[list[float]]) -> None:
    assert position_at(fixes, T) is None


def test_the_interpolation_goes_the_short_way_across_the_antimeridian() -> None:
    lat, lon = position_at([[T - 600, 0.0, 179.9], [T + 600, 0.0, -179.9]], T) or (0, 0)
    assert abs(abs(lon) - 180.0) < 1e-9 and lat == 0.0
    _, lon = position_at([[T - 900, 0.0, 179.9], [T + 300, 0.0, -179.9]], T) or (0, 0)
    assert lon == pytest.approx(-179.95)


# --- the decision ----------------------------------------------------------------------------


def test_a_large_vessel_well_inside_and_unseen_is_a_finding_with_its_evidence() -> None:
    dark_far = sighting("S-far", 42.3, 133.4)
    dark_near = sighting("S-near", 42.1, 133.1)
    matched = sighting("S-other", 41.5, 132.5, matched=273_000_001)
    (event,) = decide([vessel()], [dark_far, matched, dark_near], port_of=lambda lat, lon: "najin")
    inside = 1.0 * metres_per_degree_lon(42.0)  # 1 degree to the east and west sides
    assert event == {
        "kind": "position_tampering",
        "mmsi": WATCHED,
        "at": "2024-03-12T20:17:39Z",
        "lat": 42.0,
        "lon": 133.0,
        "name": "CHON MA SAN",
        "imo": 9123458,
        "reason": "not_in_imagery",
        "port": "najin",
        "scene_id": "S1A-20240312-0007",
        "scene_source": "sentinel-1",
        "inside_m": round(inside),
        "length": 105.0,
        "sightings_elsewhere": [  # the dark ones only, nearest first
            {"sighting_id": "S-near", "lat": 42.1, "lon": 133.1,
             "distance_km": round(distance_m(42.0, 133.0, 42.1, 133.1) / 1000, 1)},
            {"sighting_id": "S-far", "lat": 42.3, "lon": 133.4,
             "distance_km": round(distance_m(42.0, 133.0, 42.3, 133.4) / 1000, 1)},
        ],
    }  # fmt: skip
    assert event["sightings_elsewhere"][0]["distance_km"] == 13.8


def test_without_a_port_lookup_the_port_is_null_and_without_sightings_the_list_is_empty() -> None:
    (event,) = decide([vessel()])
    assert event["port"] is None and event["sightings_elsewhere"] == []


def test_a_vessel_outside_the_scene_is_no_finding() -> None:
    assert decide([vessel(at=(44.0, 133.0))]) == []
    assert decide([vessel(at=(42.0, 134.5))]) == []


def test_near_the_edge_is_no_finding_and_past_the_margin_is() -> None:
    # 0.008 degrees (890 m) inside the north side: within the 1 km a position may be off.
    assert decide([vessel(at=(42.992, 133.0))]) == []
    (event,) = decide([vessel(at=(42.99, 133.0))])  # 1,112 m inside
    assert event["inside_m"] == round(0.01 * METRES_PER_DEGREE)
    strict = IntegrityRules(scene_inside_m=2000.0)
    assert not_seen(SCENE, [vessel(at=(42.99, 133.0))], [], strict, MATCH_M) == []


def test_a_sighting_within_the_matching_distance_and_half_the_length_sees_it() -> None:
    reach = MATCH_M + 105.0 / 2  # 1,052.5 m
    step = 1 / METRES_PER_DEGREE  # a metre north, in degrees
    seen = sighting("S-seen", 42.0 + (reach - 5) * step, 133.0)
    assert decide([vessel()], [seen]) == []
    assert decide([vessel()], [{**seen, "matched_mmsi": 273_000_001}]) == []  # matched or not
    missed = sighting("S-beyond", 42.0 + (reach + 5) * step, 133.0)
    (event,) = decide([vessel()], [missed])
    assert [s["sighting_id"] for s in event["sightings_elsewhere"]] == ["S-beyond"]


def test_a_sighting_the_sea_stage_matched_to_the_vessel_sees_it_wherever_it_is() -> None:
    assert decide([vessel()], [sighting("S-it", 42.2, 133.2, matched=WATCHED)]) == []


@pytest.mark.parametrize("length", [None, 30.0, 40.0])
def test_an_unknown_or_small_vessel_is_no_finding(length: float | None) -> None:
    assert decide([vessel(length=length)]) == []  # the scene shows ships over 40 m only


def test_a_scene_without_a_size_floor_judges_every_known_length() -> None:
    (event,) = decide([vessel(length=12.0)], scene={**SCENE, "min_length_m": None})
    assert event["length"] == 12.0


@pytest.mark.parametrize(
    ("before_s", "after_s"),
    [(1801.0, 600.0), (600.0, 1801.0), (600.0, -300.0), (-300.0, 600.0)],
)
def test_a_vessel_without_a_near_fix_each_side_is_no_finding(
    before_s: float, after_s: float
) -> None:
    assert decide([vessel(before_s=before_s, after_s=after_s)]) == []
    assert decide([vessel(before_s=1800.0, after_s=1800.0)]) != []


def test_the_position_tested_is_the_interpolated_one() -> None:
    # Outside before, inside after; halfway it is on the west side itself: no finding.
    crossing = {**vessel(), "fixes": [[T - 600, 42.0, 131.8], [T + 600, 42.0, 132.2]]}
    assert decide([crossing]) == []
    # Three quarters of the way, 0.1 degrees (8.3 km) inside.
    later = {**vessel(), "fixes": [[T - 900, 42.0, 131.95], [T + 300, 42.0, 132.15]]}
    (event,) = decide([later])
    assert (event["lat"], event["lon"]) == (42.0, 132.1)
    assert event["inside_m"] == round(0.1 * metres_per_degree_lon(42.0))


def test_findings_come_by_mmsi_and_each_vessel_is_judged_alone() -> None:
    vessels = [
        vessel(mmsi=445_000_003, at=(42.5, 133.5)),
        vessel(mmsi=273_000_001, at=(42.0, 133.0)),
        vessel(mmsi=445_000_002, at=(41.5, 132.5), length=None),
        vessel(mmsi=445_000_001, at=(41.5, 132.5)),
    ]
    seen = sighting("S-seen", 42.5, 133.5)
    events = decide(vessels, [seen])
    assert [e["mmsi"] for e in events] == [273_000_001, 445_000_001]
    assert decide(list(reversed(vessels)), [seen]) == events


def test_the_evidence_names_at_most_the_nearest_dark_sightings() -> None:
    dark = [sighting(f"S-{i:03d}", 41.1 + i * 0.01, 132.1) for i in range(MAX_ELSEWHERE + 5)]
    (event,) = decide([vessel()], dark)
    named = [s["sighting_id"] for s in event["sightings_elsewhere"]]
    assert len(named) == MAX_ELSEWHERE
    assert named[0] == f"S-{MAX_ELSEWHERE + 4:03d}"  # the northernmost is nearest 42.0
    distances = [s["distance_km"] for s in event["sightings_elsewhere"]]
    assert distances == sorted(distances)
