"""A week of traffic for the week soak: the bench fleet, each vessel's behaviour on a cycle.

bench.traffic's fleet is built for minutes of event time: its port callers steam off for ever
after their one call. Over a week every vessel must keep to the Sea of Japan and keep doing what
real ones do, again and again, so that every retention rule of the worker has work:
 - 82 % steam about the open sea far from every fence (bench.traffic's `steaming`, a report
   every 30 s to 2 min), unchanged;
 - 5 % lie at anchor in open water (every 3 min) for 6-36 h, then steam 20-100 km to another
   anchorage: slow vessels at sea, so their area cells fill, move and expire;
 - 11 % call at Vostochny or Chongjin again and again (in at 10 kn every 30 s, 1-2.5 h moored
   every 3 min, out again, then 8-40 h at sea before the next call); a fifth are DPRK-flagged and
   alternate the two ports, so voyages, port calls and real alerts flow all week;
 - 2 % meet at sea: every 24 h of event time the meeting vessels are paired anew (seeded), each
   pair meets at the midpoint of where the two were, drifts together at 0.3-1.5 kn 100-250 m
   apart for 2.5-4.5 h (an encounter: within 500 m for 2 h, median speed under 2 kn), then
   parts at 10-12 kn: so pairs of the sea stage start and end all week, about 30 a day, most
   of them pairs never seen before. A fifth of them are DPRK-flagged: some encounters alert.
Each vessel's reports are generated on demand: the stream holds one position per vessel and
one window (5 min) of the merged feed, never the week.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from bench.traffic import (
    BACKGROUND_MIDS,
    BERTHS,
    KNOT_MPS,
    PORT_SEA,
    SEA_BOX,
    T0,
    Item,
    _bearing,
    _distance,
    _mmsi,
    _move,
    line,
    merged,
    steaming,
)

DAY_S = 86_400
ROUND_S = DAY_S  # the meeting vessels are paired anew this often
MEETING_SHARE = 0.02
ANCHOR_SHARE = 0.05
CALLER_SHARE = 0.11


@dataclass(frozen=True)
class WeekFleet:
    """Who is in the week's traffic: counts by behaviour, for the report."""

    vessels: int
    steaming: int
    anchored: int
    callers: int
    dprk_callers: int
    meeting: int
    meetings_per_day: int


@dataclass(frozen=True)
class Meeting:
    """Two vessels drift together at sea from `start` to `end`: each at `point` offset by its
    own few hundred metres, the pair drifting at `drift_kn` on `drift_bearing`."""

    start: int
    end: int
    point: tuple[float, float]
    drift_bearing: float
    drift_kn: float


def _in_box(lat: float, lon: float) -> bool:
    lat0, lat1, lon0, lon1 = SEA_BOX
    return lat0 <= lat <= lat1 and lon0 <= lon <= lon1


def _box_point(rng: random.Random, inset: float = 0.3) -> tuple[float, float]:
    lat0, lat1, lon0, lon1 = SEA_BOX
    return rng.uniform(lat0 + inset, lat1 - inset), rng.uniform(lon0 + inset, lon1 - inset)


def _travel(
    rng: random.Random,
    key: bytes,
    n: int,
    mmsi: int,
    t: int,
    here: tuple[float, float],
    there: tuple[float, float],
    knots: float,
    every: int,
) -> Iterator[Item]:
    """Straight from `here` to just short of `there`, a report every ~`every` s; the caller
    goes on from `there` at the time `_travel` last yielded plus one interval."""
    total = _distance(here, there)
    bearing = _bearing(here, there)
    speed = knots * KNOT_MPS
    done = 0.0
    lat, lon = here
    while done < total:
        sog = knots + 0.6 * rng.random() - 0.3
        yield t, n, key, line(mmsi, t, lat, lon, sog, bearing + 4 * rng.random() - 2, 0)
        step = every + int(5 * rng.random())
        done += speed * step
        f = min(1.0, done / total) if total > 0 else 1.0
        lat, lon = here[0] + (there[0] - here[0]) * f, here[1] + (there[1] - here[1]) * f
        t += step


def anchoring(rng: random.Random, n: int, mmsi: int, start: int) -> Iterator[Item]:
    """At anchor in open water for 6-36 h (every 3 min, a little swing), then 20-100 km at
    10 kn (every minute) to the next anchorage, for ever."""
    key = str(mmsi).encode()
    spot = _box_point(rng)
    t = start
    while True:
        until = t + rng.randint(6 * 3600, 36 * 3600)
        while t < until:
            jlat = spot[0] + rng.uniform(-3e-4, 3e-4)
            jlon = spot[1] + rng.uniform(-3e-4, 3e-4)
            yield t, n, key, line(mmsi, t, jlat, jlon, rng.uniform(0, 0.2), rng.uniform(0, 359), 1)
            t += 180 + rng.randint(0, 6)
        nxt = spot
        for _ in range(20):  # a next spot inside the box
            nxt = _move(spot[0], spot[1], rng.uniform(0, 360), rng.uniform(20_000, 100_000))
            if _in_box(*nxt):
                break
        else:
            nxt = _box_point(rng)
        for item in _travel(rng, key, n, mmsi, t, spot, nxt, 10.0, 60):
            t = item[0]
            yield item
        t += 60
        spot = nxt


def calling(
    rng: random.Random, n: int, mmsi: int, start: int, first_port: str, alternate: bool
) -> Iterator[Item]:
    """Port calls for ever: in from the port's sea point at 9-12 kn (every 30 s), 1-2.5 h at a
    berth (every 3 min), out to the sea point, then 8-40 h in the open sea (every 1-2 min) and
    back to the same port's sea point (or the other port's, with `alternate`)."""
    key = str(mmsi).encode()
    port = first_port
    t = start
    while True:
        lats, lons, _ = PORT_SEA[port]
        sea = (rng.uniform(*lats), rng.uniform(*lons))
        b = BERTHS[port]
        berth = (b[0] + rng.uniform(-0.004, 0.004), b[1] + rng.uniform(-0.004, 0.004))
        knots = rng.uniform(9, 12)
        distance, bearing = _distance(sea, berth), _bearing(sea, berth)
        steps = max(1, int(distance / (knots * KNOT_MPS * 30)))
        for i in range(steps):  # in
            lat = sea[0] + (berth[0] - sea[0]) * i / steps
            lon = sea[1] + (berth[1] - sea[1]) * i / steps
            yield t, n, key, line(mmsi, t, lat, lon, knots, bearing, 0)
            t += 30
        until = t + rng.randint(60, 150) * 60
        while t < until:  # moored
            jlat = berth[0] + rng.uniform(-5e-5, 5e-5)
            jlon = berth[1] + rng.uniform(-5e-5, 5e-5)
            yield t, n, key, line(mmsi, t, jlat, jlon, rng.uniform(0, 0.1), rng.uniform(0, 359), 5)
            t += 180 + rng.randint(0, 6)
        bearing = _bearing(berth, sea)
        for i in range(steps + 1):  # out
            lat = berth[0] + (sea[0] - berth[0]) * i / steps
            lon = berth[1] + (sea[1] - berth[1]) * i / steps
            yield t, n, key, line(mmsi, t, lat, lon, knots, bearing, 0)
            t += 30
        # At sea: to a point of the open sea, about there for a while, back to a port.
        away = _box_point(rng)
        every = rng.choice((60, 60, 120))
        for item in _travel(rng, key, n, mmsi, t, sea, away, rng.uniform(10, 14), every):
            t = item[0]
            yield item
        t += every
        port = ("chongjin" if port == "vostochny" else "vostochny") if alternate else port
        lats, lons, _ = PORT_SEA[port]
        back = (rng.uniform(*lats), rng.uniform(*lons))
        # Time at sea 8-40 h in all: steam about `away` until the trip home is due.
        home_after = (
            t + rng.randint(8 * 3600, 40 * 3600) - int(_distance(away, back) / (12 * KNOT_MPS))
        )
        here = away
        while t < home_after:
            nxt = _move(here[0], here[1], rng.uniform(0, 360), rng.uniform(10_000, 60_000))
            if not _in_box(*nxt):
                nxt = _box_point(rng)
            for item in _travel(rng, key, n, mmsi, t, here, nxt, rng.uniform(10, 14), every):
                t = item[0]
                yield item
            t += every
            here = nxt
        for item in _travel(rng, key, n, mmsi, t, here, back, 12.0, every):
            t = item[0]
            yield item
        t += 30


def meeting(
    rng: random.Random,
    n: int,
    mmsi: int,
    start: int,
    first: tuple[float, float],
    plan: list[tuple[Meeting, tuple[float, float]]],
) -> Iterator[Item]:
    """Between meetings under way (every minute), at each meeting on time: waiting where it
    is to be (drifting, every 2 min) if early, then drifting with its partner (every minute),
    then off at 10-12 kn for an hour before heading for the next. After the plan: at anchor."""
    key = str(mmsi).encode()
    here, t = first, start
    for m, offset in plan:
        point = (m.point[0] + offset[0], m.point[1] + offset[1])
        # Under way to the meeting, at what gets it there on time (4 to 20 kn).
        gap = max(1.0, m.start - t - 600)
        knots = min(20.0, max(4.0, _distance(here, point) / gap / KNOT_MPS))
        for item in _travel(rng, key, n, mmsi, t, here, point, knots, 60):
            t = item[0]
            yield item
        t += 60
        while t < m.start:  # early: drifting on the spot
            jlat, jlon = point[0] + rng.uniform(-2e-4, 2e-4), point[1] + rng.uniform(-2e-4, 2e-4)
            yield (
                t,
                n,
                key,
                line(mmsi, t, jlat, jlon, rng.uniform(0.2, 1.0), rng.uniform(0, 359), 0),
            )
            t += 120 + rng.randint(0, 6)
        # Together: both drift with the same set and drift from their own offsets.
        mps = m.drift_kn * KNOT_MPS
        while t < m.end:
            lat, lon = _move(point[0], point[1], m.drift_bearing, mps * (t - m.start))
            sog = m.drift_kn + rng.uniform(-0.2, 0.2)
            course = m.drift_bearing + rng.uniform(-10, 10)
            yield t, n, key, line(mmsi, t, lat, lon, max(0.0, sog), course, 0)
            t += 60 + rng.randint(0, 4)
        here = _move(point[0], point[1], m.drift_bearing, mps * (t - m.start))
        # Parting: an hour at 10-12 kn on a course of its own.
        off = here
        for _ in range(10):
            off = _move(here[0], here[1], rng.uniform(0, 360), 20_000)
            if _in_box(*off):
                break
        for item in _travel(rng, key, n, mmsi, t, here, off, rng.uniform(10, 12), 60):
            t = item[0]
            yield item
        t += 60
        here = off
    yield from _anchor_at(rng, n, mmsi, t, here)


def _anchor_at(
    rng: random.Random, n: int, mmsi: int, t: int, spot: tuple[float, float]
) -> Iterator[Item]:
    key = str(mmsi).encode()
    while True:
        jlat, jlon = spot[0] + rng.uniform(-3e-4, 3e-4), spot[1] + rng.uniform(-3e-4, 3e-4)
        yield t, n, key, line(mmsi, t, jlat, jlon, rng.uniform(0, 0.2), rng.uniform(0, 359), 1)
        t += 180 + rng.randint(0, 6)


def meetings_plan(
    rng: random.Random, starts: dict[int, tuple[float, float]], days: float
) -> dict[int, list[tuple[Meeting, tuple[float, float]]]]:
    """Every round (a day) the meeting vessels are paired anew; each pair meets at the midpoint
    of where the two last were, 15-19 h into the round, for 2.5-4.5 h. Each vessel's part: the
    meeting and its own offset from the meeting point (100-250 m between the two)."""
    where = dict(starts)
    plans: dict[int, list[tuple[Meeting, tuple[float, float]]]] = {n: [] for n in starts}
    members = sorted(starts)
    rounds = math.ceil(days * DAY_S / ROUND_S) + 1
    for r in range(rounds):
        order = members[:]
        rng.shuffle(order)
        for a, b in zip(order[0::2], order[1::2], strict=False):
            pa, pb = where[a], where[b]
            point = ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)
            begin = T0 + r * ROUND_S + ROUND_S // 2 + rng.randint(3 * 3600, 7 * 3600)
            m = Meeting(
                begin,
                begin + rng.randint(150, 270) * 60,
                point,
                rng.uniform(0, 360),
                rng.uniform(0.3, 1.5),
            )
            apart = rng.uniform(100, 250) / 2  # metres each side of the point
            side = rng.uniform(0, 360)
            da = _move(0.0, 0.0, side, apart)
            db = _move(0.0, 0.0, side + 180, apart)
            plans[a].append((m, (da[0], da[1] / math.cos(math.radians(point[0])))))
            plans[b].append((m, (db[0], db[1] / math.cos(math.radians(point[0])))))
            drift_m = m.drift_kn * KNOT_MPS * (m.end - m.start)
            end_point = _move(point[0], point[1], m.drift_bearing, drift_m)
            where[a] = where[b] = end_point
    return plans


def week_fleet(
    vessels: int, seed: int = 6, days: float = 7.0
) -> tuple[WeekFleet, list[Iterator[Item]]]:
    """The vessels' report streams; the same seed gives the same traffic."""
    rng = random.Random(seed)
    used: set[int] = set()
    streams: list[Iterator[Item] | None] = []
    counts = {"steaming": 0, "anchored": 0, "callers": 0, "dprk": 0, "meeting": 0}
    meeting_starts: dict[int, tuple[float, float]] = {}
    meeting_rngs: dict[int, tuple[random.Random, int, int]] = {}
    for n in range(vessels):
        own = random.Random(rng.getrandbits(64))
        start = T0 + own.randint(0, 300)
        role = own.random()
        if role < CALLER_SHARE:
            port = "vostochny" if n % 2 == 0 else "chongjin"
            dprk = own.random() < 0.2
            mmsi = _mmsi(own, 445 if dprk else (273 if port == "vostochny" else 412), used)
            # Calls in every phase from the feed's first minute on: most start at sea.
            first = start - own.randint(0, 3600)
            streams.append(_from(calling(own, n, mmsi, first, port, dprk), start))
            counts["callers"] += 1
            counts["dprk"] += int(dprk)
        elif role < CALLER_SHARE + ANCHOR_SHARE:
            mmsi = _mmsi(own, own.choice(BACKGROUND_MIDS), used)
            streams.append(anchoring(own, n, mmsi, start))
            counts["anchored"] += 1
        elif role < CALLER_SHARE + ANCHOR_SHARE + MEETING_SHARE:
            mid = 445 if own.random() < 0.2 else own.choice(BACKGROUND_MIDS)
            mmsi = _mmsi(own, mid, used)
            meeting_starts[n] = _box_point(own)
            meeting_rngs[n] = (own, mmsi, start)
            streams.append(None)  # filled in once every meeting vessel is known
            counts["meeting"] += 1
        else:
            streams.append(steaming(own, n, _mmsi(own, own.choice(BACKGROUND_MIDS), used), start))
            counts["steaming"] += 1
    plans = meetings_plan(random.Random(rng.getrandbits(64)), meeting_starts, days)
    for n, (own, mmsi, start) in meeting_rngs.items():
        streams[n] = meeting(own, n, mmsi, start, meeting_starts[n], plans[n])
    described = WeekFleet(
        vessels,
        counts["steaming"],
        counts["anchored"],
        counts["callers"],
        counts["dprk"],
        counts["meeting"],
        counts["meeting"] // 2,
    )
    return described, [s for s in streams if s is not None]


def _from(items: Iterator[Item], t: int) -> Iterator[Item]:
    """The reports from event time `t` on: a feed that starts while the vessel is under way."""
    for item in items:
        if item[0] >= t:
            yield item
            break
    yield from items


def week_traffic(
    vessels: int, seed: int = 6, days: float = 7.0
) -> tuple[WeekFleet, Iterator[Item]]:
    """The fleet's reports merged in event-time order (endless; the soak stops at its end)."""
    described, streams = week_fleet(vessels, seed, days)
    return described, merged(streams)
