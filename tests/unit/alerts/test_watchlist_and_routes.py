"""The watchlist file (reloaded when edited) and routes as configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alerts.context import RuleContext
from alerts.evaluate import evaluate
from alerts.routes import RouteError, load_routes, route_for
from alerts.watchlist import WatchlistError, load
from tests.fixtures.timeline import port_call_event as port_call

ROLES = {"vostochny": "loading", "chongjin": "discharge", "nampo": "discharge"}


def test_the_list_marks_vessels_by_mmsi_imo_or_name(tmp_path: Path):
    path = tmp_path / "watch.txt"
    path.write_text("# sanctioned\nmmsi 273000001\nimo IMO9000001\nname  Sky   Dragon \n")
    wl = load(path)
    ctx = RuleContext(fence_roles=ROLES, watchlist=wl)
    assert wl.reason(445_000_001) == "flag:KP"
    assert evaluate(port_call(273_000_001), ctx)[0].evidence["watched"] == "list:mmsi"
    assert evaluate(port_call(273_000_002, imo=9000001), ctx)[0].evidence["watched"] == "list:imo"
    assert evaluate(port_call(273_000_003, name="SKY DRAGON"), ctx)[0].evidence["watched"] == (
        "list:name"
    )
    assert evaluate(port_call(273_000_004, name="OTHER"), ctx) == []


def test_an_edited_list_is_picked_up_without_restart(tmp_path: Path):
    path = tmp_path / "watch.txt"
    path.write_text("mmsi 273000001\n")
    wl = load(path)
    assert not wl.reload_if_changed()
    path.write_text("mmsi 273000002\n")
    os.utime(path, (wl.mtime + 5, wl.mtime + 5))  # type: ignore[operator]
    assert wl.reload_if_changed()
    assert wl.reason(273_000_002) == "list:mmsi" and wl.reason(273_000_001) is None


def test_a_bad_list_line_is_an_error_naming_the_line(tmp_path: Path):
    path = tmp_path / "watch.txt"
    path.write_text("mmsi 273000001\nflag KP\n")
    with pytest.raises(WatchlistError, match=r"watch\.txt:2"):
        load(path)


def test_routes_come_from_a_file_by_fence_id_or_role(tmp_path: Path):
    path = tmp_path / "routes.json"
    path.write_text(
        '[{"id": "to-dprk", "origin": "role:loading", "destination": "role:discharge",'
        ' "max_transit_days": 10, "severity": "warning"}]'
    )
    [route] = load_routes(path)
    assert route.max_transit_s == 10 * 86_400
    assert route_for("vostochny", "nampo", ROLES, [route]) == route
    assert route_for("nampo", "vostochny", ROLES, [route]) is None
    voyage = {
        "kind": "voyage",
        "mmsi": 273_000_001,
        "origin": "vostochny",
        "destination": "nampo",
        "origin_arrived_at": "2024-03-01T00:00:00Z",
        "departed_at": "2024-03-02T00:00:00Z",
        "arrived_at": "2024-03-03T00:00:00Z",
        "transit_s": 86_400,
    }
    [alert] = evaluate(voyage, RuleContext(fence_roles=ROLES, routes=(route,)))
    assert (alert.route, alert.severity) == ("to-dprk", "warning")


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '[{"id": "x"}]',
        '[{"id": "x", "origin": "a", "destination": "b", "severity": "urgent"}]',
        "not json",
    ],
)
def test_bad_routes_files_are_errors(tmp_path: Path, text: str):
    path = tmp_path / "routes.json"
    path.write_text(text)
    with pytest.raises(RouteError, match=r"routes\.json"):
        load_routes(path)
