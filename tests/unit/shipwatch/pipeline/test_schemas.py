"""The published JSON Schemas are current, and every record the code emits fits its topic's type."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import timedelta
from itertools import pairwise
from typing import Any, get_args

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from shipwatch.ais.decoder import Input, Refused, StreamDecoder
from shipwatch.ais.errors import Rejected
from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.ais.records import AnyRecord, Position, Record, Sighting, Static
from shipwatch.integrity.status_files import load_statuses
from shipwatch.pipeline import event_types, schemas
from shipwatch.pipeline.dead_letters import dead_letter
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.scenarios import integrity
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import BUNDLED_GEOFENCES, Settings
from streams.kafka.topics import TOPICS
from tests.fixtures.timeline import (
    CHONGJIN_BERTH,
    DPRK_TANKER,
    FAR_SOUTH,
    OUTSIDE_CHONGJIN,
    OUTSIDE_VOSTOCHNY,
    RUSSIAN_TANKER,
    VOSTOCHNY_BERTH,
    Timeline,
    dark_loading_then_delivery,
)

Outputs = list[tuple[str, dict[str, Any]]]
# The stories' deliveries (about 25,000 bbl each) cross shares of a cap this small.
SMALL_CAP_BBL = 30_000.0


def detect(detector: Detector, records: Iterable[AnyRecord]) -> Outputs:
    out = [(o.stream, o.record) for r in records for o in detector.process(r)]
    return out + [(o.stream, o.record) for o in detector.flush()]


@pytest.fixture(scope="module")
def reference() -> tuple[list[AnyRecord], Outputs]:
    """The bundled scenario's records and everything the detector makes of them."""
    tally = Tally()
    records: list[AnyRecord] = []
    for item in decode_files([SCENARIO_PATH], "auto", tally):
        assert isinstance(item, Decoded), item
        records.extend(item.records)
    assert not tally.rejected
    return records, detect(Detector(*build_core(BUNDLED_GEOFENCES)), records)


def gap_end(positions: list[Position]) -> int:
    return next(
        i + 1
        for i, (a, b) in enumerate(pairwise(positions))
        if (b.ts - a.ts).total_seconds() > 6 * 3600
    )


def two_transmitters(mmsi: int) -> list[Record]:
    """A second transmitter 300 km away, interleaved: glitches, then an identity event."""
    timeline = Timeline(mmsi).sail((42.3, 133.05), OUTSIDE_VOSTOCHNY, hours=2)
    for i in range(4):
        timeline.wait(5).fix(40.0, 135.5 + 0.01 * i, 9.0)
        timeline.wait(5).fix(*OUTSIDE_VOSTOCHNY, 0.0)
    return list(timeline.positions)


def gap_filled_late(mmsi: int) -> list[Record]:
    """A late position inside the gap: the gap and its dark call are retracted."""
    positions = dark_loading_then_delivery(mmsi)
    start = gap_end(positions) - 1
    late = positions[start].model_copy(
        update={"ts": positions[start].ts + timedelta(hours=10), "lat": 41.3}
    )
    return [*positions[: start + 20], late, *positions[start + 20 :]]


def dark_call_confirmed(mmsi: int) -> list[Record]:
    """A deeper draught reported just after the gap: the dark call is confirmed."""
    positions = dark_loading_then_delivery(mmsi)
    end = gap_end(positions)
    hull = {"mmsi": mmsi, "length": 105.0, "beam": 16.0}
    return [
        Static(ts=positions[0].ts, draught=4.8, **hull),
        *positions[: end + 1],
        Static(ts=positions[end].ts + timedelta(minutes=5), draught=7.2, **hull),
        *positions[end + 1 :],
    ]


def renamed_and_delivering(mmsi: int) -> list[Record]:
    """Loads at Vostochny, delivers at Chongjin, and changes its name and IMO on the way."""
    tl = Timeline(mmsi)
    hull = {"mmsi": mmsi, "length": 105.0, "beam": 16.0, "callsign": "HMYZ", "ship_type": 80}
    records: list[Record] = [Static(ts=tl.t, draught=4.8, name="CHON MA", imo=8912345, **hull)]
    tl.sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1).wait(10).stay(VOSTOCHNY_BERTH, hours=10)
    records += tl.positions
    records.append(Static(ts=tl.t - timedelta(minutes=5), draught=7.2, **hull))
    mark = len(tl.positions)
    tl.wait(10).sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, hours=1)
    tl.wait(10).sail(OUTSIDE_VOSTOCHNY, OUTSIDE_CHONGJIN, hours=16)
    records += tl.positions[mark:]
    records.append(Static(ts=tl.t, name="SAEBYOL", imo=8912346, **hull))
    mark = len(tl.positions)
    tl.wait(10).sail(OUTSIDE_CHONGJIN, CHONGJIN_BERTH, hours=1).wait(10).stay(CHONGJIN_BERTH, 12)
    records += tl.positions[mark:]
    records.append(Static(ts=tl.t - timedelta(minutes=5), draught=4.8, **hull))
    mark = len(tl.positions)
    tl.wait(10).sail(CHONGJIN_BERTH, OUTSIDE_CHONGJIN, hours=2)
    return records + tl.positions[mark:]


@pytest.fixture(scope="module")
def stories() -> Outputs:
    """Small stories of watch-listed tankers for what the reference scenario never does."""
    index, ctx = build_core(BUNDLED_GEOFENCES, Settings(cap_bbl=SMALL_CAP_BBL))
    made = (two_transmitters, gap_filled_late, dark_call_confirmed, renamed_and_delivering)
    # Each story starts at the same time: one detector each (one would see the second story
    # as days late, behind the watermark).
    return [
        o
        for i, story in enumerate(made)
        for o in detect(Detector(index, ctx), story(445_100_001 + i))
    ]


def at_sea_story() -> list[AnyRecord]:
    """Two tankers meet and loiter in open sea; three sightings: of one of them, of nobody
    far from every port, and of a dark vessel at Vostochny while a watched tanker is silent."""
    near = (FAR_SOUTH[0] + 0.002, FAR_SOUTH[1])
    a = Timeline(DPRK_TANKER).sail((39.5, 131.5), FAR_SOUTH, 5, sog=10)
    a.stay(FAR_SOUTH, 4, every_min=3, sog=0.3).sail(FAR_SOUTH, (39.0, 133), 5, sog=10)
    b = Timeline(RUSSIAN_TANKER).sail((40.5, 132.5), near, 5, sog=10)
    b.stay(near, 4, every_min=3, sog=0.5).sail(near, (41, 131), 5, sog=10)
    silent = Timeline(445_100_009).sail((42.2, 133.2), OUTSIDE_VOSTOCHNY, 3, sog=10)
    positions = a.positions + b.positions + silent.positions
    start, end = min(p.ts for p in positions), max(p.ts for p in positions)
    seen = a.positions[len(a.positions) // 2]
    records: list[AnyRecord] = [
        *positions,
        Static(mmsi=DPRK_TANKER, ts=start, name="CHON MA SAN", imo=8912345, draught=5.0),
        Static(mmsi=DPRK_TANKER, ts=end + timedelta(seconds=1), draught=9.0),
        Sighting(
            sighting_id="S1A-match",
            ts=seen.ts,
            lat=seen.lat,
            lon=seen.lon,
            length_m=105.0,
            source="sentinel-1",
        ),
        Sighting(sighting_id="S1A-nobody", ts=seen.ts, lat=38.0, lon=134.0),
        Sighting(
            sighting_id="S1A-dark",
            ts=silent.positions[-1].ts + timedelta(hours=6),
            lat=VOSTOCHNY_BERTH[0],
            lon=VOSTOCHNY_BERTH[1],
            length_m=100.0,
        ),
    ]
    return sorted(records, key=lambda r: r.ts)


@pytest.fixture(scope="module")
def at_sea() -> Outputs:
    """What the detector makes of the at-sea story."""
    return detect(Detector(*build_core(BUNDLED_GEOFENCES)), at_sea_story())


@pytest.fixture(scope="module")
def integrity_story() -> Outputs:
    """The integrity story through the detector, its zombie's status list read."""
    tally = Tally()
    records: list[AnyRecord] = []
    for item in decode_files([integrity.SCENARIO_PATH], "auto", tally):
        assert isinstance(item, Decoded), item
        records.extend(item.records)
    index, ctx = build_core(BUNDLED_GEOFENCES)
    ctx = dataclasses.replace(ctx, identity_statuses=load_statuses([integrity.STATUS_PATH]))
    return detect(Detector(index, ctx), records)


def validate(outputs: Outputs) -> None:
    for stream, record in outputs:
        schemas.validator(stream)(record)
        if stream == "voyage-events" and record["kind"] == "delivery":
            schemas.validator("deliveries")(record)  # the same value is re-keyed by route


def shapes(tp: Any) -> list[Any]:
    """The TypedDicts a topic's type is a union of, nested unions included."""
    if is_typeddict(tp):
        return [tp]
    return [shape for arg in get_args(tp) for shape in shapes(arg)]


def met(shape: Any, records: list[dict[str, Any]]) -> bool:
    """Whether some record fits this one shape of its topic's union."""
    adapter = TypeAdapter(shape)
    for record in records:
        try:
            adapter.validate_json(orjson.dumps(record), strict=True)
        except ValidationError:
            continue
        return True
    return False


# --- (1) the committed schemas are what the types give ------------------------------------


def test_the_committed_schemas_are_freshly_generated() -> None:
    assert schemas.stale() == [], "run `make schemas`"


def test_every_topic_has_a_schema_or_a_reason_why_not() -> None:
    assert set(TOPICS) <= set(schemas.TOPICS) | set(schemas.UNDESCRIBED)
    assert not set(schemas.TOPICS) & set(schemas.UNDESCRIBED)


def test_a_stale_or_stray_file_is_named_and_rewritten(tmp_path: Any) -> None:
    assert schemas.main(["--write", "--dir", str(tmp_path)]) == 0
    (tmp_path / "alerts.schema.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "gone.schema.json").write_text("{}\n", encoding="utf-8")
    assert schemas.stale(tmp_path) == [
        tmp_path / "alerts.schema.json",
        tmp_path / "gone.schema.json",
    ]
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1
    schemas.write(tmp_path)
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "gone.schema.json").exists()


# --- (2) real outputs fit their topic's type ----------------------------------------------


def test_every_output_of_the_reference_scenario_fits_its_topic(
    reference: tuple[list[AnyRecord], Outputs],
) -> None:
    _, outputs = reference
    assert {s for s, _ in outputs} == {"geofence-events", "voyage-events", "alerts"}
    validate(outputs)


def test_the_decoded_records_fit_positions_statics_nearby_and_frames(
    reference: tuple[list[AnyRecord], Outputs],
) -> None:
    records, _ = reference
    published = [r.model_dump(mode="json") for r in records]
    assert {r["kind"] for r in published} == {"position", "static"}
    for record in published:
        schemas.validator("positions" if record["kind"] == "position" else "statics")(record)
    schemas.validator("nearby")(next(r for r in published if r["kind"] == "position"))
    for start in range(0, len(published), 1000):
        schemas.validator("frames")({"records": published[start : start + 1000]})


def test_the_stories_outputs_fit_and_every_typed_shape_is_met(
    reference: tuple[list[AnyRecord], Outputs],
    stories: Outputs,
    at_sea: Outputs,
    integrity_story: Outputs,
) -> None:
    validate(stories)
    validate(integrity_story)
    outputs = reference[1] + stories + at_sea + integrity_story
    for topic in ("geofence-events", "voyage-events"):
        emitted = [r for s, r in outputs if s == topic]
        unmet = [
            shape.__name__
            for shape in shapes(schemas.TOPICS[topic].type)
            if not met(shape, emitted)
        ]
        assert unmet == [], f"{topic}: no output of these shapes; are they still emitted?"
    alerts = [r for s, r in outputs if s == "alerts"]
    assert {"cap_threshold", "identity_change"} <= {a["kind"] for a in alerts}
    assert {a["status"] for a in alerts} == {"active", "retracted"}


def test_every_output_of_the_at_sea_detector_fits_its_topic(at_sea: Outputs) -> None:
    assert {s for s, _ in at_sea} == {"geofence-events", "voyage-events", "alerts"}
    validate(at_sea)
    kinds = {r["kind"] for s, r in at_sea if s == "voyage-events"}
    assert {"encounter", "loitering", "sighting"} <= kinds
    sightings = {r["sighting_id"]: r for s, r in at_sea if r["kind"] == "sighting"}
    assert sightings["S1A-match"]["mmsi"] == DPRK_TANKER
    assert sightings["S1A-nobody"]["mmsi"] is None
    assert sightings["S1A-dark"]["port"] == "vostochny"
    assert sightings["S1A-dark"]["candidates"] == [445_100_009]
    alerts = {r["kind"]: r for s, r in at_sea if s == "alerts"}
    assert {"sts_encounter", "loitering", "dark_vessel"} <= set(alerts)
    assert alerts["dark_vessel"]["mmsi"] is None
    for shape in (
        event_types.Encounter,
        event_types.Loitering,
        event_types.SightingEvent,
        event_types.DarkSighting,
    ):
        assert met(shape, [r for s, r in at_sea if s == "voyage-events"]), shape.__name__


def test_dead_letters_fit_whatever_their_source() -> None:
    kafka = {"topic": "shipwatch.ais-raw", "partition": 3, "offset": 41}
    next_one = {**kafka, "offset": 42}
    (refused,) = StreamDecoder().feed(b"this is not json", 1.7e9, kafka)
    assert isinstance(refused, Refused)
    two_parts = Refused(
        Rejected("not_a_vessel", "a base station"),
        (Input(b"!AIVDM,2,1,5,A,...,0*00", kafka), Input(b"!AIVDM,2,2,5,A,...,2*00", next_one)),
    )
    letters = [
        dead_letter(
            refused.error.reason, refused.error.detail, refused.raw, refused.source, "ingest"
        ),
        dead_letter("not_a_vessel", "d" * 900, two_parts.raw, two_parts.source, "ingest"),
        dead_letter(
            "bad_encoding", "latin-1", b"\xe9t\xe9", {"file": "a.csv", "line": 7}, "replay"
        ),
    ]
    for letter in letters:
        schemas.validator("dead-letters")(orjson.loads(letter))
    assert orjson.loads(letters[2])["raw"] is None


# --- (3) what the emitters never make is refused ------------------------------------------


def first(outputs: Outputs, stream: str, kind: str) -> dict[str, Any]:
    return next(dict(r) for s, r in outputs if s == stream and r["kind"] == kind)


@pytest.mark.parametrize(
    ("stream", "kind", "change"),
    [
        ("geofence-events", "enter", {"kind": "teleport"}),
        ("geofence-events", "enter", {"fence": None}),
        ("geofence-events", "enter", {"-": "fence"}),
        ("geofence-events", "enter", {"colour": "red"}),
        ("geofence-events", "stop", {"mmsi": "445123456"}),
        ("geofence-events", "exit", {"-": "seq"}),
        ("geofence-events", "draught", {"at": "2024-03-07 10:00"}),
        ("voyage-events", "port_call", {"-": "port"}),
        ("voyage-events", "port_call", {"kind": "port_visit"}),
        ("voyage-events", "voyage", {"-": "imo"}),
        ("voyage-events", "ais_gap", {"from": [42.6]}),
        ("voyage-events", "dark_port_call", {"draught_change": 2.4}),
        ("voyage-events", "encounter", {"-": "other_mmsi"}),
        ("voyage-events", "encounter", {"other_flag_mid": "44"}),
        ("voyage-events", "loitering", {"ended_at": "yesterday"}),
        ("voyage-events", "loitering", {"candidates": []}),
        ("voyage-events", "sighting", {"port_role": "loading"}),
        ("voyage-events", "sighting", {"-": "matched_mmsi"}),
        ("alerts", "watchlist_port_call", {"-": "severity"}),
        ("alerts", "watchlist_port_call", {"-": "status"}),
        ("alerts", "watchlist_port_call", {"severity": "urgent"}),
        ("alerts", "dark_vessel", {"mmsi": "unknown"}),
    ],
)
def test_an_unknown_kind_a_missing_or_extra_field_is_refused(
    reference: tuple[list[AnyRecord], Outputs],
    at_sea: Outputs,
    stream: str,
    kind: str,
    change: dict[str, Any],
) -> None:
    record = first(reference[1] + at_sea, stream, kind)
    schemas.validator(stream)(record)  # as emitted, it fits
    change = dict(change)
    record.pop(change.pop("-", ""), None)
    record.update(change)
    with pytest.raises(ValidationError):
        schemas.validator(stream)(record)


def test_normalized_records_and_dead_letters_missing_a_field_are_refused(
    reference: tuple[list[AnyRecord], Outputs],
) -> None:
    position = reference[0][0].model_dump(mode="json")
    for broken in (
        {k: v for k, v in position.items() if k != "sog"},  # `model_dump` writes null, not nothing
        {k: v for k, v in position.items() if k != "kind"},
        {**position, "kind": "sighting"},
    ):
        with pytest.raises(ValidationError):
            schemas.validator("positions")(broken)
        with pytest.raises(ValidationError):
            schemas.validator("frames")({"records": [position, broken]})
    letter = orjson.loads(dead_letter("bad_json", "x", b"{", {"file": "f", "line": 1}, "replay"))
    del letter["raw_b64"]
    with pytest.raises(ValidationError):
        schemas.validator("dead-letters")(letter)


def test_an_unknown_topic_has_no_validator() -> None:
    with pytest.raises(KeyError, match="ais-raw"):
        schemas.validator("ais-raw")


def test_optional_keys_are_optional_at_runtime_too() -> None:
    assert event_types.Frame.__required_keys__ == frozenset({"records"})
    assert event_types.PortCall.__optional_keys__ == {"draught_arrival", "draught_departure"}
    assert event_types.GapRetracted.__optional_keys__ == {"confirmed"}
