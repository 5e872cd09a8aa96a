"""The integrity rules: alerts only for watched vessels or near a watched port."""

from __future__ import annotations

from typing import Any

from alerts.context import RuleContext
from alerts.evaluate import evaluate
from alerts.watchlist import Watchlist

CTX = RuleContext(
    fence_names={"vostochny": "Vostochny port (Wrangel Bay), Russia"},
    watchlist=Watchlist(imos={9074729}),
)
WATCHED_MMSI = 445123000  # MID 445: watched by its flag
PLAIN_MMSI = 273111000


def _conflict(**changes: Any) -> dict[str, Any]:
    ev = {
        "kind": "identity_conflict",
        "mmsi": PLAIN_MMSI,
        "other_mmsi": 273222000,
        "name": "ONE",
        "imo": 9300001,
        "other_name": "TWO",
        "by": "imo",
        "key": "i:9300001",
        "at": "2024-03-10T10:00:00Z",
        "fix": {"at": "2024-03-10T10:00:00Z", "lat": 42.7, "lon": 133.0},
        "other_fix": {"at": "2024-03-10T10:20:00Z", "lat": 41.0, "lon": 129.8},
        "distance_km": 330.0,
        "hours_apart": 0.3,
        "implied_kn": 534.0,
        "port": None,
        "other_port": None,
    }
    return {**ev, **changes}


def test_a_conflict_far_from_ports_between_unwatched_vessels_is_only_an_event() -> None:
    assert evaluate(_conflict(), CTX) == []


def test_a_conflict_alerts_each_side_in_scope_naming_the_other() -> None:
    alerts = evaluate(_conflict(port="vostochny"), CTX)
    assert [(a.kind, a.mmsi, a.evidence["other_mmsi"]) for a in alerts] == [
        ("identity_conflict", PLAIN_MMSI, 273222000)
    ]
    assert alerts[0].severity == "warning"
    both = evaluate(_conflict(mmsi=WATCHED_MMSI, other_port="vostochny"), CTX)
    assert {(a.mmsi, a.evidence["other_mmsi"], a.severity) for a in both} == {
        (WATCHED_MMSI, 273222000, "critical"),
        (273222000, WATCHED_MMSI, "warning"),
    }


def test_the_same_finding_gives_the_same_alert_id() -> None:
    a = evaluate(_conflict(port="vostochny"), CTX)
    b = evaluate(_conflict(port="vostochny", distance_km=331.0), CTX)
    assert [x.alert_id for x in a] == [x.alert_id for x in b]


def _invalid(reason: str, **changes: Any) -> dict[str, Any]:
    ev = {
        "kind": "invalid_identity",
        "mmsi": PLAIN_MMSI,
        "reason": reason,
        "imo": 9074728,
        "name": "X",
        "at": "2024-03-10T10:00:00Z",
        "lat": 42.7,
        "lon": 133.0,
        "port": None,
    }
    return {**ev, **changes}


def test_invalid_identities_alert_in_scope_only() -> None:
    assert evaluate(_invalid("imo_check_digit"), CTX) == []
    [alert] = evaluate(_invalid("imo_check_digit", port="vostochny"), CTX)
    assert alert.evidence["reason"] == "imo_check_digit"
    assert "Vostochny port" in alert.evidence["scope"]
    status = {"status": "scrapped", "date": "2019-05-01", "source": "test"}
    [zombie] = evaluate(_invalid("zombie", mmsi=WATCHED_MMSI, status=status), CTX)
    assert zombie.severity == "critical" and zombie.evidence["status"] == status


def test_a_watched_imo_puts_the_vessel_in_scope() -> None:
    [alert] = evaluate(_invalid("mid", imo=9074729, mmsi=100000001), CTX)
    assert alert.mmsi == 100000001


def test_tampering_reasons_make_distinct_alerts() -> None:
    base = {
        "kind": "position_tampering",
        "mmsi": WATCHED_MMSI,
        "name": None,
        "imo": None,
        "at": "2024-03-10T10:00:00Z",
        "lat": 43.5,
        "lon": 132.5,
        "port": None,
    }
    land = {**base, "reason": "on_land", "fixes": 3, "inland_m": 2400, "since": base["at"]}
    scene = {
        **base,
        "reason": "not_in_imagery",
        "scene_id": "S1A-1",
        "scene_source": "sentinel-1",
        "inside_m": 5000,
        "length": 100.0,
        "sightings_elsewhere": [],
    }
    alerts = evaluate(land, CTX) + evaluate(scene, CTX)
    assert [(a.evidence["reason"], a.severity) for a in alerts] == [
        ("on_land", "warning"),
        ("not_in_imagery", "critical"),
    ]
    assert len({a.alert_id for a in alerts}) == 2
    assert evaluate({**land, "mmsi": PLAIN_MMSI}, CTX) == []


def test_gnss_interference_is_never_an_alert() -> None:
    ev = {
        "kind": "gnss_interference",
        "mmsi": WATCHED_MMSI,
        "name": None,
        "imo": None,
        "at": "2024-03-10T10:00:00Z",
        "lat": 42.0,
        "lon": 132.0,
        "vessels": [WATCHED_MMSI, 273111000, 273222000],
        "jumps": [],
    }
    assert evaluate(ev, CTX) == []
