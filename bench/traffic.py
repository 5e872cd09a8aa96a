"""Deterministic synthetic AIS traffic for the benchmark, as normalized JSON lines.

A fleet of vessels in the Sea of Japan, seeded: most steam about the open sea far from every
fence (a few lie at anchor there), one in ten calls at Vostochny or Chongjin (in from sea, a stay
at a berth, out again), and a fifth of those callers are North Korean-flagged, so the stream
raises real alerts too. Every vessel reports on its own interval (30 s to 3 min, the AIS rates of
ships under way, near a port, and moored); the stream is the fleet's reports merged in event-time
order, like a live feed, and goes on for as long as it is read.

Probe vessels (MMSI 4459xxxxx) are separate: each sails in to Vostochny's oil berth and stays,
and `probe_tracks` says which of its positions decides the `watchlist_port_call` alert, found by
running the same pure pipeline that `shipwatch detect` runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from geofences.coast import land_index
from geofences.earth import METRES_PER_DEGREE
from shipwatch.ais.raw_message import decode_message
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.scenarios.geo import CHONGJIN_BERTH, PRODUCTS_BERTH
from shipwatch.settings import BUNDLED_GEOFENCES

T0 = int(datetime(2024, 3, 7, tzinfo=UTC).timestamp())
PROBE_T0 = T0 + 86_400  # probes live on their own event-time axis
KNOT_MPS = 1852.0 / 3600.0

# The open sea the background fleet keeps to: more than 70 km from either fence.
SEA_BOX = (35.0, 41.0, 130.5, 139.5)  # lat min, lat max, lon min, lon max
VOSTOCHNY_BERTH = PRODUCTS_BERTH  # the oil-products berths the DPRK tankers use
# Where callers come from and go to: open water seaward of each port, outside the fences.
PORT_SEA = {
    "vostochny": ((42.45, 42.58), (133.00, 133.16), 180.0),  # lat range, lon range, out bearing
    "chongjin": ((41.50, 41.64), (129.85, 130.05), 135.0),
}
BERTHS = {"vostochny": VOSTOCHNY_BERTH, "chongjin": CHONGJIN_BERTH}
BACKGROUND_MIDS = (273, 273, 440, 441, 431, 432, 412, 413, 477, 636, 538, 352, 445)

Item = tuple[int, int, bytes, bytes]  # event time, vessel number, key, JSON line

_iso_cache: dict[int, str] = {}


def iso(t: int) -> str:
    """ISO 8601 UTC of an epoch second (cached: the fleet shares seconds)."""
    text = _iso_cache.get(t)
    if text is None:
        if len(_iso_cache) > 200_000:
            _iso_cache.clear()
        text = _iso_cache[t] = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


def line(mmsi: int, t: int, lat: float, lon: float, sog: float, cog: float, status: int) -> bytes:
    """One position in the normalized JSON form that `shipwatch replay` sends for .jsonl."""
    cog = round(cog % 360, 1) % 360  # 359.96 would print as 360.0, which is no course
    return (
        f'{{"kind":"position","mmsi":{mmsi},"ts":"{iso(t)}","lat":{lat:.5f},'
        f'"lon":{lon:.5f},"sog":{sog:.1f},"cog":{cog:.1f},"heading":{int(cog)},'
        f'"nav_status":{status}}}'
    ).encode()


def _move(lat: float, lon: float, bearing: float, metres: float) -> tuple[float, float]:
    rad = math.radians(bearing)
    lat2 = lat + metres * math.cos(rad) / METRES_PER_DEGREE
    lon2 = lon + metres * math.sin(rad) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return lat2, lon2


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians(a[0]))
    return math.degrees(math.atan2(east, north)) % 360.0


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def _open_sea(lat: float, lon: float) -> bool:
    """In the box and in a grid cell of the coastline with no land in it: ships do not sail
    over Honshu (which the box takes in), and positions on land are the on-land rule's."""
    lat0, lat1, lon0, lon1 = SEA_BOX
    inside = lat0 <= lat <= lat1 and lon0 <= lon <= lon1
    return inside and land_index().cell_kind(lat, lon) == "sea"


def _at_sea(rng: random.Random) -> tuple[float, float]:
    """A random point of the box in open sea."""
    lat0, lat1, lon0, lon1 = SEA_BOX
    while True:
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        if _open_sea(lat, lon):
            return lat, lon


def steaming(rng: random.Random, n: int, mmsi: int, start: int) -> Iterator[Item]:
    """A ship under way in the open sea: legs of 10-80 km, turning back at the box's edge and
    at the coast."""
    key = str(mmsi).encode()
    lat0, lat1, lon0, lon1 = SEA_BOX
    lat, lon = _at_sea(rng)
    bearing, knots = rng.uniform(0, 360), rng.uniform(8, 18)
    leg = rng.uniform(10_000, 80_000)
    interval = rng.choice((30, 60, 60, 120))
    t, noise = start, rng.random
    while True:
        sog = knots + 0.6 * noise() - 0.3
        yield t, n, key, line(mmsi, t, lat, lon, sog, bearing + 4 * noise() - 2, 0)
        step = interval + int(5 * noise())
        metres = knots * KNOT_MPS * step
        nlat, nlon = _move(lat, lon, bearing, metres)
        turns = 0
        while not _open_sea(nlat, nlon) and turns < 8:
            centre = ((lat0 + lat1) / 2, (lon0 + lon1) / 2)
            spread = 45 if turns < 4 else 0
            bearing = (_bearing((lat, lon), centre) + rng.uniform(-spread, spread)) % 360
            nlat, nlon = _move(lat, lon, bearing, metres)
            turns += 1
        lat, lon, t, leg = nlat, nlon, t + step, leg - metres
        if leg <= 0:
            bearing = (bearing + rng.uniform(-60, 60)) % 360
            knots, leg = rng.uniform(8, 18), rng.uniform(10_000, 80_000)


def anchored(rng: random.Random, n: int, mmsi: int, start: int) -> Iterator[Item]:
    """A ship at anchor in open water: AIS reports every 3 minutes, a little swing."""
    key = str(mmsi).encode()
    lat, lon = _at_sea(rng)
    t = start
    while True:
        jlat, jlon = lat + rng.uniform(-3e-4, 3e-4), lon + rng.uniform(-3e-4, 3e-4)
        yield t, n, key, line(mmsi, t, jlat, jlon, rng.uniform(0, 0.2), rng.uniform(0, 359), 1)
        t += 180 + rng.randint(0, 6)


def port_call(
    rng: random.Random, n: int, mmsi: int, start: int, port: str, seen_from: int
) -> Iterator[Item]:
    """In from sea at 10 kn to a berth, a stay of 1-2.5 h (moored: every 3 min), out again.

    The call begins at `start`, but only reports from `seen_from` on are given: a feed that
    starts while the vessel is already on its way in, at the berth or leaving.
    """
    for item in _port_call(rng, n, mmsi, start, port):
        if item[0] >= seen_from:
            yield item


def _port_call(rng: random.Random, n: int, mmsi: int, start: int, port: str) -> Iterator[Item]:
    key = str(mmsi).encode()
    lats, lons, out_bearing = PORT_SEA[port]
    sea = (rng.uniform(*lats), rng.uniform(*lons))
    b = BERTHS[port]
    berth = (b[0] + rng.uniform(-0.004, 0.004), b[1] + rng.uniform(-0.004, 0.004))
    t, knots = start, rng.uniform(9, 12)
    # In: straight from the sea point to the berth, a report every 30 s.
    distance, bearing = _distance(sea, berth), _bearing(sea, berth)
    steps = max(1, int(distance / (knots * KNOT_MPS * 30)))
    for i in range(steps):
        lat = sea[0] + (berth[0] - sea[0]) * i / steps
        lon = sea[1] + (berth[1] - sea[1]) * i / steps
        yield t, n, key, line(mmsi, t, lat, lon, knots, bearing, 0)
        t += 30
    # The stay.
    until = t + rng.randint(60, 150) * 60
    while t < until:
        jlat, jlon = berth[0] + rng.uniform(-5e-5, 5e-5), berth[1] + rng.uniform(-5e-5, 5e-5)
        yield t, n, key, line(mmsi, t, jlat, jlon, rng.uniform(0, 0.1), rng.uniform(0, 359), 5)
        t += 180 + rng.randint(0, 6)
    # Out: back the way it came, then on to sea on the port's outward bearing.
    bearing = _bearing(berth, sea)
    for i in range(steps + 1):
        lat = berth[0] + (sea[0] - berth[0]) * i / steps
        lon = berth[1] + (sea[1] - berth[1]) * i / steps
        yield t, n, key, line(mmsi, t, lat, lon, knots, bearing, 0)
        t += 30
    lat, lon = sea
    while True:
        lat, lon = _move(lat, lon, out_bearing, knots * KNOT_MPS * 30)
        yield t, n, key, line(mmsi, t, lat, lon, knots, out_bearing, 0)
        t += 30


@dataclass(frozen=True)
class Fleet:
    """Who is in the traffic: counts by behaviour, for the report."""

    vessels: int
    steaming: int
    anchored: int
    callers: int
    dprk_callers: int


def _mmsi(rng: random.Random, mid: int, used: set[int]) -> int:
    while True:
        mmsi = mid * 1_000_000 + rng.randint(100_000, 899_999)
        if mmsi not in used and not 445_900_000 <= mmsi < 446_000_000:
            used.add(mmsi)
            return mmsi


def fleet(vessels: int, seed: int = 6) -> tuple[Fleet, list[Iterator[Item]]]:
    """The vessels' report streams; the same seed gives the same traffic."""
    rng = random.Random(seed)
    used: set[int] = set()
    streams: list[Iterator[Item]] = []
    counts = {"steaming": 0, "anchored": 0, "callers": 0, "dprk": 0}
    for n in range(vessels):
        own = random.Random(rng.getrandbits(64))
        start = T0 + own.randint(0, 300)
        role = own.random()
        if role < 0.10:
            port = "vostochny" if n % 2 == 0 else "chongjin"
            dprk = own.random() < 0.2
            mmsi = _mmsi(own, 445 if dprk else (273 if port == "vostochny" else 412), used)
            # Calls in every phase from the feed's first minute on: some vessels are already
            # at the berth, some leaving, most still out at sea.
            begin = start - own.randint(0, 4 * 3600) + own.randint(0, 3600)
            streams.append(port_call(own, n, mmsi, begin, port, start))
            counts["callers"] += 1
            counts["dprk"] += int(dprk)
        elif role < 0.15:
            streams.append(anchored(own, n, _mmsi(own, own.choice(BACKGROUND_MIDS), used), start))
            counts["anchored"] += 1
        else:
            streams.append(steaming(own, n, _mmsi(own, own.choice(BACKGROUND_MIDS), used), start))
            counts["steaming"] += 1
    described = Fleet(
        vessels, counts["steaming"], counts["anchored"], counts["callers"], counts["dprk"]
    )
    return described, streams


def merged(streams: list[Iterator[Item]], window: int = 300) -> Iterator[Item]:
    """Endless streams merged by (event time, vessel), a window of event time at a time.

    Much cheaper than a heap in Python: one C sort per window. (t, vessel) pairs are unique,
    so the sort never compares the lines.
    """
    heads = [next(s) for s in streams]
    t = min(h[0] for h in heads)
    while True:
        end = t + window
        batch: list[Item] = []
        for i, s in enumerate(streams):
            item = heads[i]
            while item[0] < end:
                batch.append(item)
                item = next(s)
            heads[i] = item
        batch.sort()
        yield from batch
        t = end


def traffic(vessels: int, seed: int = 6) -> tuple[Fleet, Iterator[Item]]:
    """The fleet's reports merged in event-time order: an endless live-like feed."""
    described, streams = fleet(vessels, seed)
    return described, merged(streams)


@dataclass(frozen=True)
class Probe:
    """A probe vessel's positions, and the index of the one whose processing raises its alert."""

    mmsi: int
    lines: list[bytes]
    deciding: int


def probe_track(i: int) -> list[bytes]:
    """Probe i sails in from 7 km south of Vostochny at 10 kn, then stays at the oil berth."""
    mmsi = 445_900_000 + i
    outside = (42.675 + (i % 7) * 0.001, 133.06)
    berth = (VOSTOCHNY_BERTH[0] + (i % 5) * 2e-4, VOSTOCHNY_BERTH[1])
    t, every = PROBE_T0 + i * 60, 300
    out: list[bytes] = []
    bearing = _bearing(outside, berth)
    steps = max(1, int(_distance(outside, berth) / (10 * KNOT_MPS * every)))
    for k in range(steps):
        lat = outside[0] + (berth[0] - outside[0]) * k / steps
        lon = outside[1] + (berth[1] - outside[1]) * k / steps
        out.append(line(mmsi, t, lat, lon, 10.0, bearing, 0))
        t += every
    for _ in range(16):  # 80 min at the berth: far more than the stay needs
        out.append(line(mmsi, t, berth[0], berth[1], 0.0, 0.0, 5))
        t += every
    return out


def probe_tracks(count: int) -> list[Probe]:
    """The probes, each cut just after its deciding position (the rest is never sent)."""
    detector = Detector(*build_core(BUNDLED_GEOFENCES))
    probes = []
    for i in range(count):
        lines = probe_track(i)
        deciding = -1
        for k, raw in enumerate(lines):
            outputs = [o for r in decode_message(raw) for o in detector.process(r)]
            if any(
                o.stream == "alerts" and o.record["kind"] == "watchlist_port_call" for o in outputs
            ):
                deciding = k
                break
        if deciding < 0:
            raise RuntimeError(f"probe {i} raises no watchlist_port_call alert")
        probes.append(Probe(445_900_000 + i, lines[: deciding + 1], deciding))
    return probes
