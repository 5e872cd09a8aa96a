"""The history store on a real SQLite file: fixes, identities, events, alerts, offsets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from shipwatch.ais.timefmt import epoch_of
from shipwatch.cargo import CargoFactors
from shipwatch.history.cargo import cargo_of
from shipwatch.history.records import Batch, event_time
from shipwatch.history.store import DAY_S, PRUNE_SHARE, ROWS_PER_STATEMENT, HistoryStore
from shipwatch.pipeline.frames import frame_of
from tests.fixtures.timeline import DPRK_TANKER, OUTSIDE_VOSTOCHNY, T0, VOSTOCHNY_BERTH, Timeline

NAME = "<img src=x onerror=alert(1)>"


def fixes(mmsi: int = DPRK_TANKER) -> list[dict[str, Any]]:
    track = Timeline(mmsi, T0).sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1)
    return [p.model_dump(mode="json") for p in track.stay(VOSTOCHNY_BERTH, hours=1).positions]


def static(mmsi: int, ts: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "static", "mmsi": mmsi, "ts": ts, **fields}


def batch(topic: str, records: list[dict[str, Any]], offset: int = 0) -> Batch:
    out = Batch()
    if topic == "history":  # ingest frames the kept fixes
        out.add(topic, frame_of([orjson.dumps(r) for r in records]))
    for record in records if topic != "history" else []:
        out.add(topic, orjson.dumps(record))
    out.offsets[(topic, 0)] = offset + len(records)
    return out


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def test_a_vessels_track_comes_back_in_time_order_once_though_read_twice(
    store: HistoryStore,
) -> None:
    records = fixes()
    store.write(batch("history", list(reversed(records))))
    store.write(batch("history", records))  # a replay: the same fixes again
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    # The sail's last fix and the stay's first share their time: one fix.
    assert [f.ts for f in history.track] == sorted({r["ts"] for r in records})
    assert history.identity["first_seen"] == records[0]["ts"]


def test_a_batch_of_many_statements_stores_every_fix_and_vessel_once(
    store: HistoryStore,
) -> None:
    vessels = [DPRK_TANKER + i for i in range(ROWS_PER_STATEMENT + 30)]  # two upserts
    records = [r | {"mmsi": m} for m in vessels[:8] for r in fixes()]  # several inserts
    records += [fixes()[0] | {"mmsi": m} for m in vessels]
    assert len(records) > 2 * ROWS_PER_STATEMENT
    store.write(batch("history", records + records[:7]))  # a row twice in one batch
    rows = store.db.execute("SELECT mmsi, t FROM fixes").fetchall()
    assert sorted(rows) == sorted({(r["mmsi"], epoch_of(r["ts"])) for r in records})
    seen = dict(store.db.execute("SELECT mmsi, last_seen FROM vessels").fetchall())
    assert set(seen) == set(vessels)
    assert seen[vessels[0]] == max(epoch_of(r["ts"]) for r in fixes())


def test_the_offsets_are_stored_with_the_rows_they_reach(store: HistoryStore) -> None:
    store.write(batch("history", fixes()[:3], offset=40))
    assert store.offsets() == {("history", 0): 43}


def test_a_rename_is_an_identity_change_and_a_late_static_changes_nothing(
    store: HistoryStore,
) -> None:
    store.write(batch("statics", [static(DPRK_TANKER, "2024-03-07T00:00:00Z", name="PAEKMA")]))
    store.write(
        batch(
            "statics",
            [
                static(DPRK_TANKER, "2024-03-08T00:00:00Z", name=NAME, imo=9_123_458),
            ],
        )
    )
    late = static(DPRK_TANKER, "2024-03-07T12:00:00Z", name="OLDER")  # older than the store
    store.write(batch("statics", [late]))
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    assert history.identity["name"] == NAME
    changes = [e.record for e in history.timeline if e.source == "identity"]
    assert changes == [{"field": "name", "old": "PAEKMA", "new": NAME}]


def test_a_batch_keeps_only_a_static_report_s_identity_until_it_is_written(
    store: HistoryStore,
) -> None:
    report = static(
        DPRK_TANKER,
        "2024-03-07T00:00:00Z",
        name=NAME,
        imo=9_123_458,
        callsign="HMXX",
        ship_type=80,
        length=120.0,
        beam=None,
        destination="VOSTOCHNY",
        eta="03-09 12:00",
        source="feed-a",
        status=5,
    )
    kept = batch("statics", [report])
    [(mmsi, t, fields)] = kept.statics
    assert (mmsi, t) == (DPRK_TANKER, epoch_of(report["ts"]))
    assert fields == {
        "name": NAME,
        "imo": 9_123_458,
        "callsign": "HMXX",
        "ship_type": 80,
        "length": 120.0,
        "destination": "VOSTOCHNY",
    }
    store.write(kept)
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    assert {k: history.identity[k] for k in fields} == fields


def test_search_finds_a_vessel_by_name_part_mmsi_imo_and_call_sign(store: HistoryStore) -> None:
    store.write(
        batch(
            "statics",
            [
                static(DPRK_TANKER, "2024-03-07T00:00:00Z", name="PAEKMA 7", imo=9_123_458),
                static(273_000_001, "2024-03-07T00:00:00Z", name="SEA PIONEER", callsign="UBX7"),
            ],
        )
    )
    assert [v["mmsi"] for v in store.search("paekma")] == [DPRK_TANKER]
    assert [v["mmsi"] for v in store.search(str(DPRK_TANKER))] == [DPRK_TANKER]
    assert [v["mmsi"] for v in store.search("9123458")] == [DPRK_TANKER]
    assert [v["mmsi"] for v in store.search("ubx7")] == [273_000_001]
    assert store.search("%") == []  # LIKE's wildcards are text here
    assert store.search("  ") == []


def test_a_port_call_published_twice_is_one_timeline_entry_with_its_departure(
    store: HistoryStore,
) -> None:
    call = {"kind": "port_call", "mmsi": DPRK_TANKER, "imo": None, "name": None}
    call |= {"port": "vostochny", "arrived_at": "2024-03-07T02:00:00Z", "departed_at": None}
    store.write(batch("voyage-events", [call]))
    store.write(batch("voyage-events", [call | {"departed_at": "2024-03-07T09:00:00Z"}]))
    store.write(batch("history", fixes()))
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    (entry,) = [e for e in history.timeline if e.kind == "port_call"]
    assert entry.record["departed_at"] == "2024-03-07T09:00:00Z"
    assert entry.at == "2024-03-07T02:00:00Z"


def test_an_alert_shows_on_its_vessel_and_on_a_dark_vessels_candidates(
    store: HistoryStore,
) -> None:
    retracted = {"alert_id": "a1", "kind": "ais_gap", "mmsi": DPRK_TANKER}
    retracted |= {"at": "2024-03-07T05:00:00Z", "evidence": {}, "status": "active"}
    dark = {"alert_id": "d1", "kind": "dark_vessel", "mmsi": None, "at": "2024-03-07T06:00:00Z"}
    dark["evidence"] = {"candidates": [DPRK_TANKER, 445_000_002]}
    store.write(batch("alerts", [retracted, dark]))
    store.write(batch("alerts", [retracted | {"status": "retracted"}]))  # same id: replaced
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    assert {a["alert_id"]: a.get("status", "active") for a in history.alerts} == {
        "a1": "retracted",
        "d1": "active",
    }
    assert store.vessel(445_000_002) is not None  # known from the sighting's candidates only
    assert store.alert("d1") == dark


def test_an_identity_conflict_is_on_both_vessels_timelines(store: HistoryStore) -> None:
    other = 273_000_009
    conflict = {"kind": "identity_conflict", "mmsi": DPRK_TANKER, "other_mmsi": other}
    conflict |= {"imo": 9074729, "name": "ONE", "at": "2024-03-07T04:00:00Z", "by": "imo"}
    alert = {"alert_id": "c1", "kind": "identity_conflict", "mmsi": DPRK_TANKER}
    alert |= {"at": "2024-03-07T04:00:00Z", "evidence": {"other_mmsi": other}}
    store.write(batch("voyage-events", [conflict]))
    store.write(batch("alerts", [alert]))
    for mmsi in (DPRK_TANKER, other):
        history = store.vessel(mmsi)
        assert history is not None
        events = [e for e in history.timeline if "alert_id" not in e.record]
        assert [e.record["other_mmsi"] for e in events] == [other]
        assert [a["alert_id"] for a in history.alerts] == ["c1"]


def test_a_bad_value_is_skipped_and_counted_the_rest_of_the_batch_is_kept(
    store: HistoryStore,
) -> None:
    out = batch("history", fixes()[:2])
    out.add("history", b"not json")
    out.add("history", frame_of([orjson.dumps({"kind": "position", "mmsi": 1})]))
    out.add("voyage-events", orjson.dumps({"kind": "sighting", "mmsi": None, "ts": "x"}))
    store.write(out)
    assert out.skipped == 2  # an unmatched sighting names no vessel: not stored, not an error
    history = store.vessel(DPRK_TANKER)
    assert history is not None and len(history.track) == 2


def test_retention_deletes_what_is_older_than_its_days_behind_the_newest_fix(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.write(batch("history", fixes()))  # two hours of fixes
    store.retention_s = 0.5 * 3600  # a shorter retention from now on (a restart with it)
    deleted = store.prune()
    history = store.vessel(DPRK_TANKER)
    assert history is not None and deleted > 0
    assert all(f.ts >= "2024-03-07T01:30:00Z" for f in history.track)


def test_the_store_prunes_itself_as_event_time_moves_on_however_fast_it_runs(
    tmp_path: Path,
) -> None:
    # A replay at hundreds of times real time: the sink's wall-clock prune (every 10 min)
    # would come days of event time apart. The store prunes whenever the newest fix has moved
    # on by a share of the retention since the last prune.
    retention = 0.5 * 3600
    store = HistoryStore(tmp_path / "h.sqlite3", retention_s=retention)
    records = fixes()  # two hours of fixes
    for i, record in enumerate(records):
        store.write(batch("history", [record], offset=i))
        history = store.vessel(DPRK_TANKER)
        assert history is not None
        newest, oldest = history.track[-1].ts, history.track[0].ts
        age = epoch_of(newest) - epoch_of(oldest)
        assert age <= retention * (1 + PRUNE_SHARE) + 60  # one fix's interval at most
    assert epoch_of(records[-1]["ts"]) - epoch_of(records[0]["ts"]) > 3 * retention


def test_what_is_already_past_the_retention_is_not_stored(store: HistoryStore) -> None:
    # A fix and an event a year older than the newest fix (a late replay, a voyage's departure
    # long ago): a prune would delete them, so they are not written at all.
    old = {"kind": "position", "mmsi": DPRK_TANKER, "lat": 42.0, "lon": 133.0}
    old |= {"ts": "2023-01-01T00:00:00Z", "sog": 10.0, "cog": 0.0, "heading": None}
    store.write(batch("history", [old, *fixes()]))
    event = {"kind": "port_call", "mmsi": DPRK_TANKER, "port": "vostochny"}
    event |= {"arrived_at": "2023-01-02T00:00:00Z", "departed_at": "2023-01-03T00:00:00Z"}
    store.write(batch("voyage-events", [event]))
    history = store.vessel(DPRK_TANKER, days=3650)
    assert history is not None and history.track[0].ts == fixes()[0]["ts"]
    assert history.events == []
    assert store.offsets()[("voyage-events", 0)] == 1  # read, and past


def test_the_store_outlives_its_process(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    first = HistoryStore(path)
    first.write(batch("history", fixes()[:5], offset=10))
    first.close()
    again = HistoryStore(path)
    assert again.offsets() == {("history", 0): 15}
    history = again.vessel(DPRK_TANKER, days=1)
    assert history is not None and len(history.track) == 5


def test_days_bound_the_history_behind_its_newest_record(store: HistoryStore) -> None:
    old = {"kind": "position", "mmsi": DPRK_TANKER, "lat": 42.0, "lon": 133.0}
    old |= {"ts": "2024-01-01T00:00:00Z", "sog": 10.0, "cog": 0.0, "heading": None}
    store.write(batch("history", [old, *fixes()]))
    history = store.vessel(DPRK_TANKER, days=2)
    assert history is not None and all(f.ts > "2024-03-01" for f in history.track)
    assert DAY_S == 86_400


def test_a_voyage_sits_at_its_departure_and_a_delivery_at_its_arrival() -> None:
    voyage = {"kind": "voyage", "departed_at": "2024-03-08T00:00:00Z"}
    voyage["arrived_at"] = "2024-03-10T00:00:00Z"
    assert event_time(voyage) == "2024-03-08T00:00:00Z"
    assert event_time({"kind": "enter", "at": "2024-03-07T00:00:00Z"}) == "2024-03-07T00:00:00Z"


def test_a_dark_port_call_sits_at_the_start_of_the_gap_that_hid_it(store: HistoryStore) -> None:
    call = {
        "kind": "dark_port_call",
        "mmsi": DPRK_TANKER,
        "port": "chongjin",
        "window_start": "2024-03-09T00:00:00Z",
        "window_end": "2024-03-10T06:00:00Z",
    }
    assert event_time(call) == "2024-03-09T00:00:00Z"
    store.write(batch("voyage-events", [call]))
    store.write(batch("history", fixes()))
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    (entry,) = [e for e in history.timeline if e.kind == "dark_port_call"]
    assert entry.at == "2024-03-09T00:00:00Z" and entry.record["port"] == "chongjin"


def test_cargo_estimates_a_loading_and_a_delivery(store: HistoryStore) -> None:
    base = {"mmsi": DPRK_TANKER, "imo": None, "name": None}
    voyage = base | {"kind": "voyage", "origin": "vostochny", "destination": "chongjin"}
    voyage |= {"departed_at": "2024-03-08T00:00:00Z", "arrived_at": "2024-03-10T00:00:00Z"}
    voyage |= {"loaded": True, "origin_draught_before": 4.0, "origin_draught_after": 6.0}
    delivery = base | {"kind": "delivery", "origin": "vostochny", "port": "chongjin"}
    delivery |= {"arrived_at": "2024-03-10T00:00:00Z", "discharged_m": 2.0}
    delivery |= {"length": 100.0, "beam": 15.0}
    store.write(
        batch("statics", [static(DPRK_TANKER, "2024-03-07T00:00:00Z", length=100, beam=15)])
    )
    store.write(batch("voyage-events", [voyage, delivery]))
    history = store.vessel(DPRK_TANKER)
    assert history is not None
    cargo = cargo_of(history, CargoFactors())
    barrels = round(100 * 15 * 2.0 * 0.8 * 1.025 * 7.5)
    assert [(m["kind"], m["barrels"]) for m in cargo["movements"]] == [
        ("loaded", barrels),
        ("delivered", barrels),
    ]
    assert cargo["estimated_barrels"] is None  # delivered since: nothing aboard
    assert cargo["delivered_barrels"] == barrels
