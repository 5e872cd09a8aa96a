"""Alert rules and deterministic alert ids."""

from __future__ import annotations

from alerts.context import RuleContext
from alerts.evaluate import evaluate
from alerts.models import alert_id_for
from tests.fixtures.timeline import RUSSIAN_TANKER, loading_then_delivery

CTX = RuleContext(fence_roles={"vostochny": "loading", "chongjin": "discharge"})


def voyage(mmsi=445_000_001, origin="vostochny", destination="chongjin", transit_s=60_000):
    return {
        "kind": "voyage",
        "mmsi": mmsi,
        "origin": origin,
        "destination": destination,
        "origin_arrived_at": "2024-03-07T01:00:00Z",
        "departed_at": "2024-03-07T08:00:00Z",
        "arrived_at": "2024-03-08T01:00:00Z",
        "transit_s": transit_s,
    }


def port_call(mmsi=445_000_001, port="vostochny", departed_at=None):
    return {
        "kind": "port_call",
        "mmsi": mmsi,
        "port": port,
        "arrived_at": "2024-03-07T01:00:00Z",
        "departed_at": departed_at,
        "stayed": "stop",
        "confidence": 3,
    }


def test_vostochny_to_chongjin_is_a_critical_sanctioned_voyage():
    [alert] = evaluate(voyage(), CTX)
    assert (alert.kind, alert.severity, alert.route) == (
        "sanctioned_voyage",
        "critical",
        "vostochny-chongjin",
    )
    assert alert.evidence["origin"] == "vostochny"


def test_any_flag_on_the_route_is_a_sanctioned_voyage():
    assert [a.kind for a in evaluate(voyage(mmsi=RUSSIAN_TANKER), CTX)] == ["sanctioned_voyage"]


def test_the_reverse_route_and_a_too_long_transit_raise_nothing():
    assert evaluate(voyage(origin="chongjin", destination="vostochny"), CTX) == []
    assert evaluate(voyage(transit_s=40 * 86_400), CTX) == []


def test_a_dprk_vessel_calling_at_the_loading_port_is_a_watchlist_call():
    [alert] = evaluate(port_call(), CTX)
    assert (alert.kind, alert.severity, alert.port) == (
        "watchlist_port_call",
        "warning",
        "vostochny",
    )


def test_watchlist_call_fires_once_per_call_not_on_departure():
    assert evaluate(port_call(departed_at="2024-03-07T09:00:00Z"), CTX) == []


def test_no_watchlist_call_for_other_flags_or_other_ports():
    assert evaluate(port_call(mmsi=RUSSIAN_TANKER), CTX) == []
    assert evaluate(port_call(port="chongjin"), CTX) == []


def test_alert_id_is_the_same_for_the_same_evidence_and_differs_otherwise():
    assert evaluate(voyage(), CTX)[0].alert_id == evaluate(voyage(), CTX)[0].alert_id
    assert alert_id_for("k", 1, {"a": 1, "b": 2}) == alert_id_for("k", 1, {"b": 2, "a": 1})
    assert alert_id_for("k", 1, {"a": 1}) != alert_id_for("k", 1, {"a": 2})
    assert alert_id_for("k", 1, {"a": 1}) != alert_id_for("k", 2, {"a": 1})


def test_the_whole_story_raises_one_call_alert_and_one_voyage_alert(run_detector):
    alerts = [r for s, r in run_detector(loading_then_delivery()) if s == "alerts"]
    assert sorted(a["kind"] for a in alerts) == ["sanctioned_voyage", "watchlist_port_call"]


def test_titles_name_ports_by_their_names_and_evidence_keeps_the_ids() -> None:
    named = RuleContext(
        fence_roles=CTX.fence_roles,
        fence_names={"vostochny": "Vostochny port (Wrangel Bay), Russia", "chongjin": "Chongjin"},
    )
    assert named.port("vostochny") == "Vostochny port"
    assert named.port("chongjin") == "Chongjin"
    assert named.port("unknown-fence") == "unknown-fence"  # a fence without a name keeps its id
    assert CTX.port("vostochny") == "vostochny"
    assert named.ports(["vostochny", "chongjin"]) == "Vostochny port, Chongjin"
