"""Properties of the at-sea rules: arrival order and repeats change no event; the grid, the
zones and the speed medians agree with plain references."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geofences.earth import METRES_PER_DEGREE
from geofences.grid import cell_of, cells_near
from geofences.movement import distance_m
from shipwatch.ais.records import Position, Static
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.watched import watched_by
from shipwatch.sea.sampler import SeaContext, SeaOut, observe
from shipwatch.sea.stage import SeaBatch, end_of_input, sea_batch, sighting_input
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.thresholds import SPEED_BIN_KN, SeaRules, median_of, speed_bin
from shipwatch.sea.zones import SeaZones
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress
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

RULES = SeaRules()
Record = dict[str, Any]


@pytest.fixture(scope="module")
def sea_ctx(core) -> SeaContext:
    index, ctx = core
    return SeaContext(RULES, SeaZones(index, RULES), watched_by(ctx))


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        lat + north_m / METRES_PER_DEGREE,
        lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
    )


# --- Sea records of two vessels meeting -----------------------------------------------------

VESSELS = {
    DPRK_TANKER: {"name": "CHON MA SAN", "imo": 8912340, "draught": 5.0},
    RUSSIAN_TANKER: {"name": "SOKOL", "imo": 9301237, "draught": 11.0},
}


Meeting = tuple[int, int, int, int, int, int, int, int, int, int, int, int]


def meeting_of(m: Meeting) -> tuple[list[Position], list[Position]]:
    """Two vessels stopping near each other (near cell edges), each on its own schedule; the
    second may drift during its stay (towards or away), so runs start, break and end."""
    spot_n, spot_e, north, east, drift_n, drift_e, every, stay_a, stay_b, late, sog_a, sog_b = m
    spot = offset(40.0, 132.0, spot_n, spot_e)
    near = offset(*spot, north, east)
    drift_to = offset(*near, drift_n, drift_e)
    a = (
        Timeline(DPRK_TANKER)
        .sail(offset(*spot, -8000, 0), spot, 0.5, every_min=every)
        .stay(spot, stay_a / 60, every_min=every, sog=sog_a / 10)
        .sail(spot, offset(*spot, 8000, 8000), 0.5, every_min=every)
    )
    b = (
        Timeline(RUSSIAN_TANKER, t=T0 + timedelta(minutes=late))
        .sail(offset(*near, 8000, 0), near, 0.5, every_min=every)
        .sail(near, drift_to, stay_b / 60, every_min=every, sog=sog_b / 10)
        .sail(drift_to, offset(*drift_to, 0, -8000), 0.5, every_min=every)
    )
    return a.positions, b.positions


meetings = st.tuples(
    st.integers(-1500, 1500),  # where, around a cell corner
    st.integers(-1500, 1500),
    st.integers(-400, 400),  # the second vessel's stop from the first's
    st.integers(-400, 400),
    st.integers(-800, 800),  # its drift during the stay
    st.integers(-800, 800),
    st.sampled_from([2, 5, 10]),  # minutes between fixes
    st.integers(90, 240),  # stays, minutes
    st.integers(90, 240),
    st.integers(0, 30),  # the second arrives this many minutes later
    st.integers(0, 19),  # speeds while stopped, tenths of a knot
    st.integers(0, 19),
)  # about a third of them are encounters
ACROSS_A_CORNER: Meeting = (0, 0, 150, 150, 0, 0, 10, 180, 180, 0, 3, 5)
DRIFTING_APART: Meeting = (-20, 30, 0, -100, 0, -600, 5, 240, 240, 0, 10, 12)
BACK_TOGETHER: Meeting = (40, -60, 1000, 0, -1000, 0, 10, 300, 300, 0, 5, 5)


def sea_records(positions: list[Position], ctx: SeaContext) -> list[Record]:
    """What the track stage sends the sea stage for one vessel, in its own order."""
    state, out = None, SeaOut()
    vessel = VESSELS[positions[0].mmsi]
    for p in positions:
        state = observe(state, p.mmsi, p.ts.timestamp(), p.lat, p.lon, p.sog, vessel, ctx, out)
    return out.records


def run_sea(records: Iterable[Record], ctx: SeaContext, redeliver: bool = False) -> list[Record]:
    """The sea stage over records one at a time, each vessel's as from a partition of its own
    (each record carrying its partition's progress, as the track stage sends them), and the
    records it forwards straight back in behind the stage's own progress (twice each with
    `redeliver`, as an at-least-once stream may); at the end, the end of input. Its events."""
    store, events = MemoryStore(), []
    sources = {DPRK_TANKER: 0, RUSSIAN_TANKER: 1}

    def apply(batch: SeaBatch) -> None:
        while True:
            assert batch.refused == []
            events.extend(batch.events)
            if not batch.forward:
                return
            forward = [r for r in batch.forward for _ in range(2 if redeliver else 1)]
            done = Progress(SEA_LEVEL, 0, 1, batch.watermark)
            batch = sea_batch(store, forward, ctx.rules, ctx.zones, 0, done)

    for record in records:
        progress = Progress(TRACK_LEVEL, sources[record["mmsi"]], len(sources), record["t"])
        apply(sea_batch(store, [record], ctx.rules, ctx.zones, 0, progress))
    apply(end_of_input(store, 0, ctx.rules, ctx.zones, sources=len(sources)))
    return events


def in_time_order(a: list[Record], b: list[Record]) -> list[Record]:
    return sorted(a + b, key=lambda r: r["t"])  # stable: each vessel's order kept


def interleave(a: list[Record], b: list[Record], picks: list[bool]) -> list[Record]:
    """Both streams, each in its own order, `picks` saying which goes next."""
    out, i, j = [], 0, 0
    for take_a in picks:
        if take_a and i < len(a):
            out.append(a[i])
            i += 1
        elif j < len(b):
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]


def encounters_of(events: list[Record]) -> list[Record]:
    return [e for e in events if e["kind"] == "encounter"]


@pytest.mark.parametrize("meeting", [ACROSS_A_CORNER, DRIFTING_APART, BACK_TOGETHER])
def test_the_example_meetings_are_encounters(sea_ctx, meeting):
    # The properties below would hold vacuously if no meeting were an encounter.
    records = in_time_order(*(sea_records(v, sea_ctx) for v in meeting_of(meeting)))
    events = encounters_of(run_sea(records, sea_ctx))
    assert {e["mmsi"] for e in events} == {DPRK_TANKER, RUSSIAN_TANKER}
    assert {e["ended_at"] is None for e in events} == {True, False}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting=meetings, data=st.data())
@example(meeting=ACROSS_A_CORNER, data=None)
@example(meeting=DRIFTING_APART, data=None)
@example(meeting=BACK_TOGETHER, data=None)
def test_the_pairs_events_do_not_depend_on_which_vessels_sample_arrives_first(
    sea_ctx, meeting, data
):
    a, b = (sea_records(v, sea_ctx) for v in meeting_of(meeting))
    reference = run_sea(in_time_order(a, b), sea_ctx)
    n = len(a) + len(b)
    picks = data.draw(st.lists(st.booleans(), min_size=n, max_size=n)) if data else [True] * n

    assert run_sea(interleave(a, b, picks), sea_ctx) == reference
    assert run_sea(a + b, sea_ctx) == reference
    assert run_sea(b + a, sea_ctx) == reference


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting=meetings, data=st.data())
def test_repeated_sea_records_change_no_event(sea_ctx, meeting, data):
    records = in_time_order(*(sea_records(v, sea_ctx) for v in meeting_of(meeting)))
    reference = run_sea(records, sea_ctx)
    # Any record again, any number of records later.
    repeats = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(records) - 1), st.integers(0, len(records))),
            max_size=30,
        )
    )
    arrival = [(i, 0, r) for i, r in enumerate(records)]
    arrival += [(i + later, 1, records[i]) for i, later in repeats]
    repeated = [r for _, _, r in sorted(arrival, key=lambda x: (x[0], x[1]))]

    assert run_sea(repeated, sea_ctx) == reference
    assert run_sea(records, sea_ctx, redeliver=True) == reference


# --- Repeats through the whole detector, sightings included ---------------------------------


def story() -> list[Any]:
    """An encounter at sea, a vessel passing Vostochny seen by a satellite, and a silent
    DPRK tanker with a sighting at the berth."""
    at_sea = (
        Timeline(DPRK_TANKER)
        .sail((39.9, 131.9), FAR_SOUTH, 1)
        .stay(FAR_SOUTH, 3, sog=0.3)
        .sail(FAR_SOUTH, (39.9, 132.1), 1)
    )
    alongside = (FAR_SOUTH[0] + 0.0018, FAR_SOUTH[1])
    partner = (
        Timeline(RUSSIAN_TANKER)
        .sail((40.1, 132.1), alongside, 1)
        .stay(alongside, 3, sog=0.5)
        .sail(alongside, (40.1, 131.9), 1)
    )
    passing = (
        Timeline(273_000_111)
        .sail((42.61, 133.03), (42.69, 133.03), 0.5, every_min=1, sog=9.6)
        .stay((42.69, 133.03), 2, sog=0.0)
    )
    silent = Timeline(445_000_222).sail(OUTSIDE_VOSTOCHNY, (42.565, VOSTOCHNY_BERTH[1]), 1)
    return merged(
        [
            Static(mmsi=DPRK_TANKER, ts=T0, name="CHON MA SAN", imo=8912340, draught=5.0),
            Static(mmsi=DPRK_TANKER, ts=T0 + timedelta(hours=3), draught=9.0),
        ],
        at_sea,
        partner,
        passing,
        silent,
        [
            sighting("matched", T0 + timedelta(minutes=15.5), (42.6513333, 133.03)),
            sighting("dark", T0 + timedelta(hours=4), VOSTOCHNY_BERTH),
            sighting("open-sea", T0 + timedelta(hours=2), (39.5, 131.5)),
        ],
    )


STORY = story()


def detected(core: Any, records: list[Any]) -> tuple[list[Record], list[Record]]:
    detector = Detector(*core)
    outputs = [
        o
        for r in records
        for o in (detector.process_json(r) if isinstance(r, dict) else detector.process(r))
    ]
    outputs += detector.flush()
    events = [
        o.record
        for o in outputs
        if o.stream == "voyage-events"
        and o.record["kind"] in ("encounter", "loitering", "sighting")
    ]
    return events, [o.record for o in outputs if o.stream == "alerts"]


def distinct(records: list[Record]) -> list[Record]:
    """The records without repeats of the same value, in first-seen order."""
    seen: set[bytes] = set()
    out = []
    for r in records:
        key = orjson.dumps(r, option=orjson.OPT_SORT_KEYS)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


CLEAN: dict[str, Any] = {}


def test_the_story_makes_every_kind_of_sea_event(core):
    events, alerts = detected(core, STORY)
    # The properties below would hold vacuously if the story made nothing.
    assert {e["kind"] for e in events} == {"encounter", "loitering", "sighting"}
    assert {e["sighting_id"]: e["matched_mmsi"] for e in events if e["kind"] == "sighting"} == {
        "matched": 273_000_111,
        "dark": None,
        "open-sea": None,
    }
    assert sorted((a["kind"], a["severity"]) for a in alerts) == [
        ("dark_vessel", "critical"),
        ("loitering", "warning"),
        ("sts_encounter", "critical"),
        ("sts_encounter", "warning"),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(STORY) - 1), st.integers(0, len(STORY))),
        max_size=25,
    )
)
@example([(i, 0) for i in range(len(STORY)) if isinstance(STORY[i], dict)])
@example([(i, len(STORY)) for i in range(len(STORY)) if isinstance(STORY[i], dict)])
def test_repeated_input_records_change_no_event_and_no_alert(core, repeats):
    if not CLEAN:
        CLEAN["events"], CLEAN["alerts"] = detected(core, STORY)
    arrival = [(i, 0, r) for i, r in enumerate(STORY)]
    arrival += [(i + later, 1, STORY[i]) for i, later in repeats]
    records = [r for _, _, r in sorted(arrival, key=lambda x: (x[0], x[1]))]
    events, alerts = detected(core, records)

    # A sighting repeated after it was decided is decided again, alike: the same event and the
    # same alert (same id) once more. Nothing else may differ.
    assert distinct(events) == CLEAN["events"]
    assert distinct(alerts) == CLEAN["alerts"]
    assert [e for e in events if e["kind"] != "sighting"] == [
        e for e in CLEAN["events"] if e["kind"] != "sighting"
    ]


# --- The grid -------------------------------------------------------------------------------


@st.composite
def close_points(draw: st.DrawFn, within_m: float) -> tuple[float, float, float, float]:
    """A point near a random cell edge or corner, and another at most `within_m` from it."""
    cell = RULES.cell_deg
    col, row = draw(st.integers(-1800, 1799)), draw(st.integers(-750, 749))
    near_edge = st.floats(-0.02, 0.02, allow_nan=False)
    lon = (col + draw(st.sampled_from([0, 1]))) * cell + draw(near_edge)
    lat = (row + draw(st.sampled_from([0, 1]))) * cell + draw(near_edge)
    bearing = draw(st.floats(0, 2 * math.pi))
    metres = draw(st.floats(0, within_m)) * 0.999
    lat2, lon2 = offset(lat, lon, metres * math.cos(bearing), metres * math.sin(bearing))
    return lat, lon, lat2, lon2


@settings(max_examples=500, deadline=None)
@given(close_points(RULES.ghost_margin_m))
@example((40.0, 131.9999999, 40.0, 132.0146))  # east-west across a column edge
@example((40.0999999, 132.05, 40.1111, 132.05))  # north-south across a row edge
@example((40.0999999, 131.9999999, 40.1075, 132.01))  # across a corner
def test_two_points_within_the_ghost_margin_share_a_cell_where_one_is_home(points):
    lat, lon, lat2, lon2 = points
    if distance_m(lat, lon, lat2, lon2) > RULES.ghost_margin_m:
        return  # rounding on the way: only pairs truly within the margin
    mine = cells_near(lat, lon, RULES.cell_deg, RULES.ghost_margin_m)
    theirs = cells_near(lat2, lon2, RULES.cell_deg, RULES.ghost_margin_m)

    assert mine[0] == cell_of(lat, lon, RULES.cell_deg)
    assert theirs[0] == cell_of(lat2, lon2, RULES.cell_deg)
    assert len(set(mine)) == len(mine) <= 4
    assert mine[0] in theirs or theirs[0] in mine


@settings(max_examples=500, deadline=None)
@given(close_points(RULES.encounter_distance_m))
def test_a_close_pair_is_in_the_home_cell_of_each_vessel(points):
    # A pair's observation is made in the lower MMSI's home cell, whichever vessel that is:
    # within the encounter distance, each vessel's samples reach the other's home cell.
    lat, lon, lat2, lon2 = points
    mine = cells_near(lat, lon, RULES.cell_deg, RULES.ghost_margin_m)
    theirs = cells_near(lat2, lon2, RULES.cell_deg, RULES.ghost_margin_m)

    assert mine[0] in theirs and theirs[0] in mine


# --- The zones ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zones(core) -> SeaZones:
    return SeaZones(core[0], RULES)


@st.composite
def around_fences(draw: st.DrawFn, fences: list[Any]) -> tuple[float, float]:
    """A point anywhere up to 40 km from a bundled fence's box, or near a fence at about one
    of the distances the zones decide on."""
    fence = draw(st.sampled_from(fences))
    minx, miny, maxx, maxy = fence.polygon.bounds
    if draw(st.booleans()):
        return draw(st.floats(miny - 0.4, maxy + 0.4)), draw(st.floats(minx - 0.5, maxx + 0.5))
    on_edge = fence.polygon.exterior.interpolate(draw(st.floats(0, 1)), normalized=True)
    lat, lon = on_edge.y, on_edge.x
    edge_m = draw(
        st.sampled_from(
            [
                RULES.fence_clearance_m,
                RULES.dark_port_distance_m,
                RULES.dark_port_distance_m + RULES.ghost_margin_m,
            ]
        )
    )
    metres = edge_m + draw(st.floats(-300, 300))
    bearing = draw(st.floats(0, 2 * math.pi))
    return offset(lat, lon, metres * math.cos(bearing), metres * math.sin(bearing))


def plain_distances(fences: list[Any], lat: float, lon: float) -> list[tuple[float, str]]:
    return sorted((f.distance_m(lat, lon), f.id) for f in fences)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_zones_fast_paths_agree_with_plain_distances(core, zones, data):
    fences = list(core[0].fences)
    lat, lon = data.draw(around_fences(fences))
    distances = plain_distances(fences, lat, lon)
    nearest_m, nearest_id = distances[0]

    assert zones.clear(lat, lon) == (nearest_m >= RULES.fence_clearance_m)
    found = zones.nearest_port(lat, lon)
    if nearest_m <= RULES.dark_port_distance_m:
        assert found is not None
        assert (found[0].id, found[1]) == (nearest_id, nearest_m)
    else:
        assert found is None
    if nearest_m <= RULES.dark_port_distance_m + RULES.ghost_margin_m:
        assert zones.near_port(lat, lon)


def test_the_zones_at_known_places(zones):
    assert zones.clear(*FAR_SOUTH)
    assert not zones.clear(*VOSTOCHNY_BERTH)
    assert zones.clear(*OUTSIDE_VOSTOCHNY)  # 11 km south of the fence
    assert not zones.clear(OUTSIDE_VOSTOCHNY[0] + 0.02, OUTSIDE_VOSTOCHNY[1])  # 9 km
    assert zones.nearest_port(*VOSTOCHNY_BERTH)[1] == 0
    assert zones.nearest_port(*FAR_SOUTH) is None
    assert not zones.near_port(*FAR_SOUTH)


# --- Speed medians --------------------------------------------------------------------------

speeds = st.lists(
    st.floats(0, RULES.sample_max_kn, exclude_max=True, allow_nan=False), min_size=1, max_size=80
)


def histogram_of(values: list[float]) -> list[int]:
    h = [0] * (int(RULES.sample_max_kn / SPEED_BIN_KN) + 1)
    for v in values:
        h[speed_bin(v, RULES)] += 1
    return h


def binned(histogram: list[int]) -> list[float]:
    """Each speed as the middle of its bin."""
    return [(i + 0.5) * SPEED_BIN_KN for i, n in enumerate(histogram) for _ in range(n)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=31, max_size=31).filter(any))
def test_the_median_of_a_histogram_is_the_middle_binned_speed(histogram):
    values = binned(histogram)
    got = median_of(histogram, SPEED_BIN_KN)

    # The median of the binned speeds, an even count's halfway between the middle two.
    assert abs(got - statistics.median(values)) <= 0.005 + 1e-9  # rounded to 0.01 kn


@settings(max_examples=300, deadline=None)
@given(speeds)
def test_the_median_of_speeds_is_within_one_bin_of_the_true_median(values):
    assert abs(median_of(histogram_of(values), SPEED_BIN_KN) - statistics.median(values)) <= (
        SPEED_BIN_KN
    )


def test_the_median_of_no_speed_is_zero():
    assert median_of([0] * 31, SPEED_BIN_KN) == 0.0


def test_sightings_are_keyed_by_their_home_cell():
    record = sighting("x", T0, FAR_SOUTH)
    decoded = sighting_input(record, RULES)
    assert decoded["key"] == cell_of(*FAR_SOUTH, RULES.cell_deg)
    assert decoded["t"] == T0.timestamp()
