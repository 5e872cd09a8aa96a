"""Evidence exports: GeoJSON, CSV, KML and the JSON bundle of a vessel, an alert or a case."""

from __future__ import annotations

import csv
import io
import itertools
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from shipwatch.history.errors import HistoryError
from shipwatch.history.export import (
    CSV_COLUMNS,
    TRACK_GAP,
    WINDOW_MARGIN,
    NotInHistory,
    Subject,
    UnknownExportFormat,
    bundle,
    render,
    to_csv,
    to_geojson,
    to_kml,
)
from shipwatch.history.model import Fix, TimelineEntry, VesselHistory

MMSI = 445123456
EVIL = '<script>alert(1)</script>=HYPERLINK("x") & \'quoted\' "name"'
EVIL_CELL = '=HYPERLINK("x") <script>alert(1)</script> & "q"'  # starts like a formula
DAY0 = datetime(2024, 3, 1, tzinfo=UTC)
ALERT_ID = "watchlist_port_call-445123456-0123456789abcdef"
LATE_ALERT_ID = "loitering-445123456-fedcba9876543210"
KML = "{http://www.opengis.net/kml/2.2}"


def iso(hours: float) -> str:
    """The time `hours` after DAY0, as the pipeline writes it."""
    return (DAY0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


class Timeline:
    """A small builder of real VesselHistory objects: fixes and timeline entries in order."""

    def __init__(self, name: str = "CHON MA SAN", origin: tuple[float, float] = (38.7, 125.2)):
        self.name = name
        self.lat, self.lon = origin
        self.track: list[Fix] = []
        self.timeline: list[TimelineEntry] = []

    def sail(self, start_h: float, hours: int, step_deg: float = 0.05) -> Timeline:
        """Hourly fixes heading south-west from where the vessel last was."""
        for h in range(hours + 1):
            self.lat -= step_deg
            self.lon -= step_deg
            self.track.append(Fix(iso(start_h + h), self.lat, self.lon, 11.5, 225.0, 224.0))
        return self

    def event(self, at_h: float, kind: str, **record: Any) -> Timeline:
        rec = {"kind": kind, "mmsi": MMSI, "imo": 9123456, "name": self.name, **record}
        self.timeline.append(TimelineEntry(iso(at_h), kind, "event", rec))
        return self

    def alert(
        self, at_h: float, alert_id: str, kind: str, evidence: dict[str, Any], **extra: Any
    ) -> Timeline:
        rec = {
            "alert_id": alert_id,
            "kind": kind,
            "severity": "critical",
            "mmsi": MMSI,
            "at": iso(at_h),
            "title": f"{self.name} at Nampo",
            "port": "nampo",
            "route": None,
            "evidence": {"name": self.name, "imo": 9123456, "flag_mid": "445", **evidence},
            "status": "active",
            **extra,
        }
        self.timeline.append(TimelineEntry(iso(at_h), kind, "alert", rec))
        return self

    def identity(self, at_h: float, field: str, old: Any, new: Any) -> Timeline:
        self.timeline.append(
            TimelineEntry(iso(at_h), field, "identity", {"field": field, "old": old, "new": new})
        )
        return self

    def build(self) -> VesselHistory:
        identity = {"name": self.name, "imo": 9123456, "callsign": "HMYU", "flag": "KP"}
        cargo = {"estimate_bbl": 85_000, "draught_change_m": 2.1, "length": 105.0, "beam": 16.0}
        track = sorted(self.track, key=lambda fix: fix.ts)
        timeline = sorted(self.timeline, key=lambda entry: entry.at)
        return VesselHistory(MMSI, identity, track, timeline, cargo)


def tanker(name: str = EVIL, note: str = "seen loading at the oil pier") -> VesselHistory:
    """A tanker: an early leg, a port call and alert, an AIS gap, an encounter, a late leg."""
    t = Timeline(name)
    t.sail(-120, 3)  # five days before: outside an alert's window
    t.sail(0, 12)  # day 1, 00:00-12:00
    t.sail(22, 12)  # after a 10 h gap: day 1 22:00 to day 2 10:00
    t.sail(168, 3)  # a week later: outside the alert's window
    t.event(5, "port_call", port="nampo", arrived_at=iso(5), departed_at=None, stayed="stop")
    t.alert(
        5,
        ALERT_ID,
        "watchlist_port_call",
        {"watched": "UN list", "port": "nampo", "arrived_at": iso(5)},
        triage={"state": "confirmed", "note": note, "by": "analyst-7"},
    )
    t.event(
        28,
        "encounter",
        other_mmsi=352001234,
        started_at=iso(27),
        ended_at=iso(28),
        lat=37.9,
        lon=124.6,
    )
    t.identity(30, "name", "CHON MA SAN", name)
    t.alert(168, LATE_ALERT_ID, "loitering", {"started_at": iso(167), "lat": 36.5, "lon": 124.1})
    return t.build()


def window_of(*hours: float) -> tuple[datetime, datetime]:
    moments = [DAY0 + timedelta(hours=h) for h in hours]
    return min(moments) - WINDOW_MARGIN, max(moments) + WINDOW_MARGIN


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- GeoJSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("subject", [Subject.vessel(), Subject.alert(ALERT_ID)])
def test_geojson_round_trips_and_every_geometry_is_valid(subject: Subject) -> None:
    collection = to_geojson(tanker(), subject)
    assert json.loads(json.dumps(collection, allow_nan=False)) == collection
    assert collection["type"] == "FeatureCollection"
    assert collection["features"]
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid and not geometry.is_empty
        lon, lat = geometry.centroid.x, geometry.centroid.y
        assert -180 <= lon <= 180 and -90 <= lat <= 90  # [lon, lat], not [lat, lon]


def test_geojson_track_is_split_at_gaps_over_six_hours() -> None:
    history = tanker()
    (track,) = [
        f
        for f in to_geojson(history, Subject.vessel())["features"]
        if "fixes" in f.get("properties", {})
    ]
    assert track["geometry"]["type"] == "MultiLineString"
    lines = track["geometry"]["coordinates"]
    assert [len(line) for line in lines] == [4, 13, 13, 4]
    by_position = {(fix.lon, fix.lat): parse_time(fix.ts) for fix in history.track}
    for line in lines:
        times = [by_position[(lon, lat)] for lon, lat in line]
        assert all(b - a <= TRACK_GAP for a, b in itertools.pairwise(times))
    props = track["properties"]
    assert props["mmsi"] == MMSI and props["name"] == EVIL
    assert (props["from"], props["to"], props["fixes"]) == (iso(-120), iso(171), 34)


def test_a_gap_of_exactly_six_hours_is_still_one_line() -> None:
    history = Timeline().sail(0, 1).sail(7, 1).build()  # 01:00 to 07:00: six hours
    features = to_geojson(history, Subject.vessel())["features"]
    (track,) = [f for f in features if f["properties"]["feature"] == "track"]
    assert track["geometry"]["type"] == "LineString"
    assert len(track["geometry"]["coordinates"]) == 4


def test_geojson_one_point_per_fix_with_its_motion() -> None:
    history = tanker()
    fixes = [
        f
        for f in to_geojson(history, Subject.vessel())["features"]
        if f["properties"]["feature"] == "fix"
    ]
    assert len(fixes) == len(history.track)
    first = fixes[0]
    assert first["geometry"]["coordinates"] == [history.track[0].lon, history.track[0].lat]
    assert first["properties"] == {
        "feature": "fix",
        "ts": iso(-120),
        "sog": 11.5,
        "cog": 225.0,
        "heading": 224.0,
    }


def test_geojson_events_placed_from_their_record_or_the_nearest_fix() -> None:
    features = to_geojson(tanker(), Subject.vessel())["features"]
    placed = {f["properties"]["kind"]: f for f in features if "position_from" in f["properties"]}
    encounter = placed["encounter"]
    assert encounter["properties"]["position_from"] == "record"
    assert encounter["geometry"]["coordinates"] == [124.6, 37.9]
    port_call = placed["port_call"]
    assert port_call["properties"]["position_from"] == "nearest_fix"
    assert port_call["properties"]["nearest_fix_ts"] == iso(5)
    assert port_call["properties"]["source"] == "event"
    assert port_call["properties"]["at"] == iso(5)
    assert port_call["properties"]["record"]["port"] == "nampo"
    assert placed["watchlist_port_call"]["properties"]["source"] == "alert"
    # The loitering alert has its position in the evidence.
    assert placed["loitering"]["properties"]["position_from"] == "record"
    assert placed["loitering"]["geometry"]["coordinates"] == [124.1, 36.5]
    # Identity changes are not placed on the map.
    assert "name" not in placed


def test_an_event_far_from_every_fix_gets_no_point() -> None:
    history = Timeline().sail(0, 2).event(50, "port_call", port="nampo").build()
    features = to_geojson(history, Subject.vessel())["features"]
    assert not [f for f in features if "position_from" in f["properties"]]


def test_a_track_crossing_the_antimeridian_is_not_drawn_round_the_globe() -> None:
    history = VesselHistory(
        MMSI,
        {"name": "X"},
        [
            Fix(iso(0), 50.0, 179.8),
            Fix(iso(1), 50.0, 179.95),
            Fix(iso(2), 50.0, -179.9),
            Fix(iso(3), 50.0, -179.7),
        ],
    )
    (track,) = [
        f for f in to_geojson(history, Subject.vessel())["features"] if "fixes" in f["properties"]
    ]
    assert track["geometry"]["coordinates"] == [
        [[179.8, 50.0], [179.95, 50.0]],
        [[-179.9, 50.0], [-179.7, 50.0]],
    ]


# --- KML ---------------------------------------------------------------------------------


def test_kml_parses_and_carries_the_evil_name_only_as_text() -> None:
    text = to_kml(tanker(), Subject.vessel())
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{KML}kml"
    assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1].lower() == "script"]
    assert "<script" not in text
    document = root.find(f"{KML}Document")
    assert document is not None
    assert document.findtext(f"{KML}name") == EVIL
    # Google Earth renders descriptions as HTML: the name is escaped once more there.
    descriptions = [el.text or "" for el in root.iter(f"{KML}description")]
    assert any("&lt;script&gt;" in d for d in descriptions)
    assert not any("<script" in d for d in descriptions)


def test_kml_has_a_linestring_per_segment_and_a_point_per_placed_event() -> None:
    history = tanker()
    root = ET.fromstring(to_kml(history, Subject.vessel()))
    placemarks = list(root.iter(f"{KML}Placemark"))
    lines = [p for p in placemarks if p.find(f"{KML}LineString") is not None]
    points = [p for p in placemarks if p.find(f"{KML}Point") is not None]
    assert len(lines) == 4
    assert len(points) == 4  # port call, its alert, the encounter, the loitering alert
    first = lines[1].findtext(f"{KML}LineString/{KML}coordinates") or ""
    lon, lat = (float(v) for v in first.split()[0].split(","))
    assert (lat, lon) == (history.track[4].lat, history.track[4].lon)  # the day-1 leg, [lon, lat]


# --- CSV ---------------------------------------------------------------------------------


def test_csv_parses_sorted_by_time_with_the_evil_name_defused() -> None:
    rows = csv_rows(to_csv(tanker(EVIL_CELL), Subject.vessel()))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert {row["type"] for row in body} == {"fix", "event", "alert", "identity"}
    times = [parse_time(row["at"]) for row in body]
    assert times == sorted(times)
    (identity,) = [row for row in body if row["type"] == "identity"]
    assert identity["name"] == "'" + EVIL_CELL
    assert json.loads(identity["detail"]) == {
        "field": "name",
        "old": "CHON MA SAN",
        "new": EVIL_CELL,
    }
    for row in body:
        for column, cell in row.items():
            if column not in ("lat", "lon", "sog", "cog", "heading", "mmsi"):
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_keeps_negative_numbers_numeric() -> None:
    history = VesselHistory(MMSI, {"name": "-NORD"}, [Fix(iso(0), -10.25, -12.5, 0.0, None, 511)])
    rows = csv_rows(to_csv(history, Subject.vessel()))
    fix = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert (fix["lat"], fix["lon"], fix["sog"], fix["cog"], fix["heading"]) == (
        "-10.25",
        "-12.5",
        "0.0",
        "",
        "511",
    )
    assert fix["mmsi"] == str(MMSI)


# --- windows, subjects -------------------------------------------------------------------


def test_an_alert_export_holds_only_what_is_within_its_window() -> None:
    history = tanker()
    start, end = window_of(5)
    subject = Subject.alert(ALERT_ID)
    fix_times = [
        parse_time(f["properties"]["ts"])
        for f in to_geojson(history, subject)["features"]
        if f["properties"]["feature"] == "fix"
    ]
    assert len(fix_times) == 26
    assert all(start <= t <= end for t in fix_times)
    assert len(history.track) > len(fix_times)  # the early and late legs are left out
    rows = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in csv_rows(to_csv(history, subject))[1:]]
    assert all(start <= parse_time(r["at"]) <= end for r in rows)
    assert LATE_ALERT_ID not in json.dumps(rows)
    doc = bundle(history, subject, generated_at="2024-03-10T00:00:00Z")
    assert [parse_time(f["ts"]) for f in doc["track"]] == fix_times
    assert doc["window"] == {"from": iso(5 - 48), "to": iso(5 + 48)}


def test_a_case_window_spans_its_alerts() -> None:
    history = tanker()
    doc = bundle(history, Subject.case("case-7", [ALERT_ID, LATE_ALERT_ID]), generated_at="x")
    assert doc["window"] == {"from": iso(5 - 48), "to": iso(168 + 48)}
    assert [a["alert_id"] for a in doc["alerts"]] == [ALERT_ID, LATE_ALERT_ID]
    assert len(doc["track"]) == 30  # everything but the early leg


def test_an_alert_not_in_the_history_is_not_found() -> None:
    with pytest.raises(NotInHistory) as caught:
        to_csv(tanker(), Subject.alert("nope"))
    assert isinstance(caught.value, HistoryError)  # the history package's root error
    with pytest.raises(NotInHistory):
        render("kml", tanker(), Subject.case("c1", [ALERT_ID, "nope"]), "x")


def test_subjects_refuse_impossible_shapes() -> None:
    with pytest.raises(ValueError):
        Subject("alert", ("a", "b"))
    with pytest.raises(ValueError):
        Subject("case", ("a",))
    with pytest.raises(ValueError):
        Subject("vessel", ("a",))


# --- bundle and render -------------------------------------------------------------------


def test_bundle_holds_what_the_alert_was_decided_on() -> None:
    history = tanker()
    rules = {"watchlist": ["445123456"], "port_gap_h": 6}
    doc = bundle(history, Subject.alert(ALERT_ID), rules, generated_at="2024-03-10T12:00:00Z")
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert doc["format_version"] == 1
    assert doc["generated_at"] == "2024-03-10T12:00:00Z"
    assert doc["subject"] == {"kind": "alert", "alert_ids": [ALERT_ID], "case_id": None}
    assert doc["mmsi"] == MMSI and doc["identity"]["name"] == EVIL
    (alert,) = doc["alerts"]
    assert alert["evidence"]["watched"] == "UN list"
    assert alert["triage"]["state"] == "confirmed"
    assert {e["source"] for e in doc["timeline"]} == {"event", "alert", "identity"}
    assert doc["cargo"]["estimate_bbl"] == 85_000
    assert doc["rules"] == rules


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("geojson", "application/geo+json"),
        ("csv", "text/csv; charset=utf-8"),
        ("kml", "application/vnd.google-earth.kml+xml"),
        ("json", "application/json"),
    ],
)
def test_render_gives_body_content_type_and_file_name(fmt: str, content_type: str) -> None:
    body, ctype, name = render(fmt, tanker(), Subject.vessel(), "2024-03-10T00:00:00Z")
    assert ctype == content_type
    assert name == f"vessel-{MMSI}.{fmt}"
    assert body.decode("utf-8")
    if fmt in ("geojson", "json"):
        json.loads(body)
    if fmt == "kml":
        ET.fromstring(body)


def test_render_sanitizes_file_names() -> None:
    evil_id = '../../etc/passwd "x"\r\n<y>;'
    history = Timeline().sail(0, 2).alert(1, evil_id, "ais_gap", {"from_at": iso(0)}).build()
    _, _, name = render("kml", history, Subject.alert(evil_id), "x")
    assert name == "alert-.._.._etc_passwd__x____y__.kml"
    _, _, name = render("csv", history, Subject.case("case/ 42", [evil_id]), "x")
    assert name == "case-case__42.csv"
    assert "/" not in name and "\\" not in name


def test_unknown_format_is_refused() -> None:
    with pytest.raises(UnknownExportFormat) as caught:
        render("xlsx", tanker(), Subject.vessel(), "x")
    assert isinstance(caught.value, HistoryError)


# --- any text at all ---------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=40), note=st.text(max_size=40))
def test_any_name_or_note_keeps_kml_parsable_and_csv_rectangular(name: str, note: str) -> None:
    history = tanker(name, note)
    for subject in (Subject.vessel(), Subject.alert(ALERT_ID)):
        body, _, _ = render("kml", history, subject, "x")
        root = ET.fromstring(body)
        assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1].lower() == "script"]
        rows = csv_rows(to_csv(history, subject))
        assert {len(row) for row in rows} == {len(CSV_COLUMNS)}
        doc = bundle(history, subject, generated_at="x")
        assert len(rows) == 1 + len(doc["track"]) + len(doc["timeline"])
        json.loads(render("geojson", history, subject, "x")[0])
        json.loads(render("json", history, subject, "x")[0])
