"""Cases: a vessel's alerts about one voyage read as one story."""

from __future__ import annotations

from typing import Any

from shipwatch.triage.cases import MAX_VOYAGE_S, describe, group
from tests.conftest import Run
from tests.fixtures.timeline import DPRK_TANKER, dark_loading_then_delivery, loading_then_delivery

MMSI = 445_990_101


def alert(
    alert_id: str, kind: str, at: str, severity: str = "warning", **extra: Any
) -> dict[str, Any]:
    evidence = extra.pop("evidence", {})
    return {
        "alert_id": alert_id,
        "kind": kind,
        "severity": severity,
        "mmsi": extra.pop("mmsi", MMSI),
        "at": at,
        "title": f"{kind} {alert_id}",
        "evidence": evidence,
        **extra,
    }


def arrival(alert_id: str = "arrive", at: str = "2024-03-07T06:00:00Z") -> dict[str, Any]:
    evidence = {"port": "vostochny", "arrived_at": at, "name": "PAEKMA 7"}
    return alert(alert_id, "watchlist_port_call", at, port="vostochny", evidence=evidence)


def departure(arrived: str = "2024-03-07T06:00:00Z") -> dict[str, Any]:
    evidence = {"port": "vostochny", "arrived_at": arrived, "departed_at": "2024-03-07T20:00:00Z"}
    return alert(
        "depart", "watchlist_port_call", "2024-03-07T20:00:00Z", "critical", evidence=evidence
    )


def voyage(
    origin_at: str = "2024-03-07T06:00:00Z", end: str = "2024-03-08T10:00:00Z"
) -> dict[str, Any]:
    evidence = {
        "origin": "vostochny",
        "origin_arrived_at": origin_at,
        "departed_at": "2024-03-07T20:00:00Z",
        "destination": "chongjin",
        "arrived_at": end,
    }
    return alert("voyage", "sanctioned_voyage", end, "critical", port="chongjin", evidence=evidence)


def ids(case: Any) -> list[str]:
    return [str(a["alert_id"]) for a in case.alerts]


def test_one_voyages_arrival_departure_and_sanctioned_voyage_are_one_case() -> None:
    cases = group([voyage(), arrival(), departure()])
    assert len(cases) == 1
    view = describe(cases[0])
    assert view["case_id"] == f"{MMSI}-vostochny-20240307T060000Z"
    assert view["alert_ids"] == ["arrive", "depart", "voyage"]  # the story's order
    assert view["kind"] == "voyage" and view["severity"] == "critical"
    assert view["started_at"] == "2024-03-07T06:00:00Z"
    assert view["ended_at"] == "2024-03-08T10:00:00Z"
    assert view["vessel"] == {"mmsi": MMSI, "name": "PAEKMA 7"}


def test_the_case_id_is_the_same_whatever_order_the_alerts_arrive_in() -> None:
    alerts = [arrival(), departure(), voyage()]
    assert {c.case_id for c in group(alerts)} == {c.case_id for c in group(alerts[::-1])}
    assert {c.case_id for c in group([arrival()])} == {c.case_id for c in group(alerts)}


def test_the_pipelines_own_voyage_alerts_group_by_their_loading_call(run_detector: Run) -> None:
    for positions in (loading_then_delivery(), dark_loading_then_delivery()):
        alerts = [r for stream, r in run_detector(positions) if stream == "alerts"]
        assert {a["kind"] for a in alerts} >= {"sanctioned_voyage"}
        cases = group(alerts)
        # Seen or dark, the loading call, the gap that hid it and the voyage: one story.
        assert len(cases) == 1, [describe(c) for c in cases]
        assert cases[0].case_id.startswith(f"{DPRK_TANKER}-vostochny-")
        assert sorted(ids(cases[0])) == sorted(a["alert_id"] for a in alerts)


def test_a_dark_arrival_at_the_destination_belongs_to_the_voyage() -> None:
    dark = alert(
        "dark-arrival",
        "dark_port_call",
        "2024-03-08T12:00:00Z",
        port="chongjin",
        evidence={"window_start": "2024-03-08T10:00:00Z", "window_end": "2024-03-08T12:00:00Z"},
    )
    cases = group([arrival(), voyage(), dark])
    assert len(cases) == 1 and ids(cases[0]) == ["arrive", "voyage", "dark-arrival"]


def test_a_gap_during_the_voyage_joins_it_and_one_after_it_gets_a_day_case() -> None:
    during = alert(
        "gap-1", "ais_gap", "2024-03-08T02:00:00Z", evidence={"from_at": "2024-03-07T22:00:00Z"}
    )
    after = alert(
        "gap-2", "ais_gap", "2024-03-10T05:00:00Z", evidence={"from_at": "2024-03-10T01:00:00Z"}
    )
    cases = {c.case_id: ids(c) for c in group([arrival(), voyage(), during, after])}
    assert cases == {
        f"{MMSI}-vostochny-20240307T060000Z": ["arrive", "gap-1", "voyage"],
        f"{MMSI}-20240310": ["gap-2"],
    }


def test_an_open_call_collects_until_the_next_call_and_at_most_thirty_days() -> None:
    later = arrival("arrive-2", "2024-03-20T06:00:00Z")
    loiter = alert(
        "loiter",
        "loitering",
        "2024-03-12T00:00:00Z",
        evidence={"started_at": "2024-03-11T00:00:00Z"},
    )
    next_trip = alert(
        "loiter-2",
        "loitering",
        "2024-03-21T00:00:00Z",
        evidence={"started_at": "2024-03-21T00:00:00Z"},
    )
    cases = {c.case_id: ids(c) for c in group([arrival(), later, loiter, next_trip])}
    assert cases == {
        f"{MMSI}-vostochny-20240307T060000Z": ["arrive", "loiter"],
        f"{MMSI}-vostochny-20240320T060000Z": ["arrive-2", "loiter-2"],
    }
    days = MAX_VOYAGE_S // 86_400
    far = alert(
        "far", "ais_gap", "2024-05-01T00:00:00Z", evidence={"from_at": "2024-05-01T00:00:00Z"}
    )
    assert days == 30
    assert {c.case_id for c in group([arrival(), far])} == {
        f"{MMSI}-vostochny-20240307T060000Z",
        f"{MMSI}-20240501",
    }


def test_alerts_without_a_voyage_group_per_vessel_and_day_dark_vessels_per_port_and_day() -> None:
    alerts = [
        alert("id-1", "identity_change", "2024-03-09T01:00:00Z"),
        alert("id-2", "identity_change", "2024-03-09T23:00:00Z", severity="critical"),
        alert("id-3", "identity_change", "2024-03-10T01:00:00Z"),
        alert("other", "identity_change", "2024-03-09T02:00:00Z", mmsi=273_000_001),
        alert(
            "dark-1",
            "dark_vessel",
            "2024-03-09T05:00:00Z",
            mmsi=None,
            port="vostochny",
            evidence={"ts": "2024-03-09T05:00:00Z"},
        ),
        alert("dark-2", "dark_vessel", "2024-03-09T07:00:00Z", mmsi=None, port="vostochny"),
        alert("dark-3", "dark_vessel", "2024-03-09T07:00:00Z", mmsi=None),
    ]
    cases = {c.case_id: (c.kind, ids(c)) for c in group(alerts)}
    assert cases == {
        f"{MMSI}-20240309": ("day", ["id-1", "id-2"]),
        f"{MMSI}-20240310": ("day", ["id-3"]),
        "273000001-20240309": ("day", ["other"]),
        "dark-vostochny-20240309": ("dark", ["dark-1", "dark-2"]),
        "dark-20240309": ("dark", ["dark-3"]),
    }
    day = next(c for c in group(alerts) if c.case_id == f"{MMSI}-20240309")
    assert describe(day)["severity"] == "critical"
    assert describe(day)["started_at"] == "2024-03-09T01:00:00Z"


def test_a_retracted_alert_stays_in_its_case_without_raising_its_severity() -> None:
    gap = alert(
        "gap",
        "ais_gap",
        "2024-03-07T23:00:00Z",
        severity="critical",
        status="retracted",
        evidence={"from_at": "2024-03-07T22:00:00Z"},
    )
    case = group([arrival(), gap])[0]
    assert ids(case) == ["arrive", "gap"] and describe(case)["severity"] == "warning"
    assert describe(group([gap])[0])["severity"] == "critical"  # all retracted: still shown


def test_newest_case_first_and_garbage_never_breaks_grouping() -> None:
    odd: list[dict[str, Any]] = [
        {"alert_id": "x"},
        {"alert_id": "y", "mmsi": "not a number", "at": "yesterday", "evidence": "text"},
        {"alert_id": "z", "mmsi": True, "kind": "sanctioned_voyage", "evidence": {"origin": 5}},
    ]
    cases = group([arrival(), *odd, alert("new", "ais_gap", "2024-05-01T00:00:00Z")])
    assert cases[0].case_id == f"{MMSI}-20240501"
    assert sum(len(c.alerts) for c in cases) == 5
    assert "dark-undated" in {c.case_id for c in cases}
