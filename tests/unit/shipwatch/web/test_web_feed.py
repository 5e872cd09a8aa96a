"""The live page's data: alerts newest first and once each, vessel names, flags, the map."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiokafka import TopicPartition
from pyais.constants import COUNTRY_MAPPING

from geofences.index import FenceIndex
from shipwatch.cli.alerts import human
from shipwatch.web.fence_map import NearbyVessels, fences_geojson
from shipwatch.web.live_feed import AlertFeed
from shipwatch.web.vessel_info import VesselDirectory, flag
from streams.monitoring import lag_by_topic
from tests.fixtures.timeline import CHONGJIN_BERTH, OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH

EVIL = "<img src=x onerror=alert(1)>"


def alert(n: int, mmsi: int = 445_123_456, severity: str = "critical") -> dict[str, Any]:
    return {
        "alert_id": f"a-{n}",
        "kind": "sanctioned_voyage",
        "severity": severity,
        "mmsi": mmsi,
        "at": f"2024-03-0{n}T00:00:00Z",
        "title": "Voyage vostochny → chongjin completed",
        "route": "vostochny-chongjin",
        "evidence": {"origin": "vostochny"},
    }


def static(mmsi: int, **fields: Any) -> dict[str, Any]:
    return {"kind": "static", "mmsi": mmsi, "ts": "2024-03-07T00:00:00Z", **fields}


def position(mmsi: int, at: tuple[float, float], ts: str) -> dict[str, Any]:
    return {"kind": "position", "mmsi": mmsi, "ts": ts, "lat": at[0], "lon": at[1], "sog": 0.1}


# ---------------------------------------------------------------- alerts


def test_recent_alerts_are_newest_first_by_publication_time() -> None:
    feed = AlertFeed()
    feed.add(alert(2), published_ms=2_000)
    feed.add(alert(1), published_ms=1_000)  # read later from another partition, published earlier
    feed.add(alert(3), published_ms=3_000)
    recent = feed.recent()
    assert [a["alert_id"] for a in recent] == ["a-3", "a-2", "a-1"]
    assert recent[0]["published_at"] == "1970-01-01T00:00:03.000Z"


def test_a_repeated_alert_is_shown_once_and_pushed_once() -> None:
    async def scenario() -> list[dict[str, Any]]:
        feed = AlertFeed()
        queue = feed.subscribe()
        feed.add(alert(1), published_ms=1_000)
        feed.add(alert(1), published_ms=9_000)  # a restart repeated it
        assert len(feed.recent()) == 1
        assert feed.recent()[0]["published_at"] == "1970-01-01T00:00:01.000Z"
        return [queue.get_nowait() for _ in range(queue.qsize())]

    pushed = asyncio.run(scenario())
    assert [a["alert_id"] for a in pushed] == ["a-1"]


def test_the_feed_keeps_a_bounded_number_of_alerts() -> None:
    feed = AlertFeed(keep=3)
    for n in range(1, 7):
        feed.add(alert(n), published_ms=n)
    assert [a["alert_id"] for a in feed.recent()] == ["a-6", "a-5", "a-4"]


def test_alerts_carry_what_is_known_of_the_vessel() -> None:
    directory = VesselDirectory()
    feed = AlertFeed(vessels=directory)
    feed.add(alert(1))
    assert feed.recent()[0]["vessel"]["name"] is None
    directory.add_static(static(445_123_456, name=EVIL, imo=9_123_458, callsign="HMKA4"))
    vessel = feed.recent()[0]["vessel"]  # a name learnt later shows on the next read
    assert vessel["name"] == EVIL  # kept as text: the page escapes it
    assert vessel["imo"] == 9_123_458
    assert vessel["flag"] == {"mid": "445", "code": "KP", "country": "North Korea"}
    assert feed.recent()[0]["evidence"] == {"origin": "vostochny"}


# ---------------------------------------------------------------- vessels


def test_static_fields_merge_and_untrusted_types_are_dropped() -> None:
    directory = VesselDirectory()
    directory.add_static(static(273_456_789, name="  SEA STAR ", imo=9_000_001))
    directory.add_static(static(273_456_789, name=None, imo="9000002", callsign="UBCD"))
    directory.add_static({"kind": "position", "mmsi": 273_456_789, "name": "not a static"})
    described = directory.describe(273_456_789)
    assert (described["name"], described["imo"], described["callsign"]) == (
        "SEA STAR",
        9_000_001,
        "UBCD",
    )
    assert described["flag"]["country"] == "Russia"


def test_the_directory_is_bounded() -> None:
    directory = VesselDirectory(keep=2)
    for mmsi in (211_000_001, 211_000_002, 211_000_003):
        directory.add_static(static(mmsi, name=f"V{mmsi}"))
    assert directory.describe(211_000_001)["name"] is None
    assert directory.describe(211_000_003)["name"] == "V211000003"


def test_an_unknown_mid_shows_its_digits() -> None:
    assert flag(999_123_456) == {"mid": "999", "code": None, "country": None}
    assert flag(4_451_234)["mid"] == "004"  # short numbers are zero-padded to nine digits


def test_every_mid_pyais_knows_yields_an_iso_code_and_a_country() -> None:
    for mid in COUNTRY_MAPPING:
        found = flag(mid * 1_000_000 + 123)
        assert found["mid"] == f"{mid:03d}"
        assert found["country"], mid
        assert re.fullmatch(r"[A-Z]{2}", found["code"] or ""), (mid, found)
        assert found["code"] != "UK", mid  # reserved, not ISO 3166-1: pyais's 740 is FK


def test_the_flags_of_the_watched_seas() -> None:
    assert flag(445_123_456) == {"mid": "445", "code": "KP", "country": "North Korea"}
    assert flag(440_123_456)["country"] == "South Korea"  # pyais says only "Korea"
    assert (flag(273_123_456)["code"], flag(273_123_456)["country"]) == ("RU", "Russia")
    assert (flag(636_123_456)["code"], flag(636_123_456)["country"]) == ("LR", "Liberia")
    assert (flag(351_123_456)["code"], flag(351_123_456)["country"]) == ("PA", "Panama")
    assert flag(740_123_456)["code"] == "FK"  # Falkland Islands


# ---------------------------------------------------------------- map


def test_the_fences_are_served_as_geojson(core: tuple[FenceIndex, Any]) -> None:
    index, _ = core
    geojson = fences_geojson(index)
    assert geojson["type"] == "FeatureCollection"
    by_id = {f["properties"]["id"]: f for f in geojson["features"]}
    assert set(by_id) == {"vostochny", "chongjin"}
    vostochny = by_id["vostochny"]
    assert vostochny["geometry"]["type"] == "Polygon"
    assert vostochny["properties"]["role"] == "loading"
    minx, miny, maxx, maxy = vostochny["properties"]["view"]
    for lon, lat in vostochny["geometry"]["coordinates"][0]:
        assert minx < lon < maxx and miny < lat < maxy


def test_the_map_keeps_vessels_near_fences_only(core: tuple[FenceIndex, Any]) -> None:
    nearby = NearbyVessels(core[0])
    nearby.add_position(position(1, VOSTOCHNY_BERTH, "2024-03-07T01:00:00Z"))
    nearby.add_position(position(2, CHONGJIN_BERTH, "2024-03-07T01:00:00Z"))
    nearby.add_position(position(3, (42.74, 133.30), "2024-03-07T01:00:00Z"))  # 20 km east
    nearby.add_position(position(4, (35.0, 140.0), "2024-03-07T01:00:00Z"))  # Tokyo Bay
    nearby.add_position(position(5, OUTSIDE_VOSTOCHNY, "2024-03-07T01:00:00Z"))  # approaching
    nearby.add_position(position(6, (42.50, 133.05), "2024-03-07T01:00:00Z"))  # 22 km south
    by_mmsi = {v["mmsi"]: v for v in nearby.snapshot()}
    assert set(by_mmsi) == {1, 2, 5}
    assert by_mmsi[1]["inside"] == ["vostochny"] and by_mmsi[1]["area"] == "vostochny"
    assert by_mmsi[2]["inside"] == ["chongjin"]
    assert (by_mmsi[5]["area"], by_mmsi[5]["inside"], by_mmsi[5]["near"]) == ("vostochny", [], [])


def test_the_map_shows_the_newest_fix_and_forgets_old_ones(core: tuple[FenceIndex, Any]) -> None:
    nearby = NearbyVessels(core[0], ttl_s=3600)
    nearby.add_position(position(1, VOSTOCHNY_BERTH, "2024-03-07T02:00:00Z"))
    nearby.add_position(position(1, (42.75, 133.0), "2024-03-07T01:00:00Z"))  # late: ignored
    nearby.add_position(position(2, VOSTOCHNY_BERTH, "2024-03-07T00:30:00Z"))
    nearby.add_position({"kind": "position", "mmsi": 3, "lat": "42.7", "lon": 133.0, "ts": "x"})
    (vessel,) = nearby.snapshot()  # vessel 2 is 1.5 h behind the newest fix: gone
    assert (vessel["mmsi"], vessel["lat"]) == (1, VOSTOCHNY_BERTH[0])


def test_the_map_is_bounded(core: tuple[FenceIndex, Any]) -> None:
    nearby = NearbyVessels(core[0], keep=2)
    for mmsi in (1, 2, 3):
        nearby.add_position(position(mmsi, VOSTOCHNY_BERTH, "2024-03-07T01:00:00Z"))
    assert sorted(v["mmsi"] for v in nearby.snapshot()) == [2, 3]


# ---------------------------------------------------------------- lag and terminal


def test_consumer_lag_sums_partitions_and_counts_unread_partitions_from_the_start() -> None:
    p0, p1 = TopicPartition("ns.positions", 0), TopicPartition("ns.positions", 1)
    q0 = TopicPartition("ns.ais-raw", 0)
    ends = {p0: 100, p1: 50, q0: 10}
    starts = {p0: 0, p1: 20, q0: 0}
    committed = {p0: 90, p1: -1, q0: 10}
    assert lag_by_topic(ends, starts, committed) == {"ns.positions": 10 + 30, "ns.ais-raw": 0}


def test_the_terminal_view_is_readable_and_drops_control_characters() -> None:
    evil = alert(1) | {"title": "Voyage\x1b[2J done\x07", "port": "chongjin"}
    plain = human(evil, colour=False)
    assert "\x1b" not in plain and "\x07" not in plain
    first, second, third = plain.splitlines()
    assert first.startswith("2024-03-01 00:00:00 UTC  CRITICAL")
    assert "Voyage[2J done" in first
    assert "MMSI 445123456 (North Korea)" in second and "route vostochny-chongjin" in second
    assert third.strip() == "origin=vostochny"
    assert "\x1b[1;31mCRITICAL" in human(alert(1), colour=True)


def test_closing_the_feed_wakes_every_viewer_so_the_worker_stops_promptly() -> None:
    async def scenario() -> tuple[Any, Any]:
        feed = AlertFeed()
        first, second = feed.subscribe(), feed.subscribe()
        feed.close()
        return await asyncio.wait_for(first.get(), 1), await asyncio.wait_for(second.get(), 1)

    assert asyncio.run(scenario()) == (None, None)
