"""The at-sea scenario: DPRK tankers loading at sea and unseen at Vostochny, March 2024.

From 2024-03-18T00:00Z over two days, as normalized JSON lines (positions, static reports and
satellite sightings, in time order):

- a DPRK tanker goes dark 29 km off Vostochny, loads at the oil-products berth with its AIS
  off, and reappears loaded; a satellite sees it at the berth while two Russian ships, moored
  together in Wrangel Bay, keep reporting from the berth's area cell: a dark vessel at a loading
  port, whose candidates include the tanker (and an AIS gap and a dark call, as in the
  reference story);
- a second satellite image sees one of those two Russian ships: it is matched, no alert;
- a DPRK tanker meets a foreign tanker in the open Sea of Japan, 180 m apart for five hours,
  and reports a deeper draught before they part: a ship-to-ship encounter, cargo moved;
- a DPRK tanker drifts alone for six hours at sea: loitering;
- and what must not be taken for any of that: two ships passing 250 m apart at 11 and 12 kn, a
  stop alongside of 75 minutes, two ships loitering 1.5 km apart, the moored pair in port.

The plan is this module's data: the tracks are sampled from it, and `expected_alerts()` reads
the outcome off it with the rules restated (here and in `scenarios.reference`), never from the
code under test. Regenerate the file (byte-identical for the same code) with
`python -m scenarios.at_sea --out scenarios/data/at_sea.jsonl`.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import NamedTuple

import orjson

from shipwatch.ais.records import AnyRecord, Position, Scene, Sighting, Static
from shipwatch.scenarios.fleet import fictional_imo
from shipwatch.scenarios.geo import (
    DPRK_EXIT,
    EAST_EXIT,
    PORTS,
    PRODUCTS_BERTH,
    SOUTH_EXIT,
    VOSTOCHNY,
    Point,
    Port,
    bearing_deg,
    distance_m,
    lerp,
    offset,
)
from shipwatch.scenarios.reference import (
    LOADED_MIN_M,
    WATCHED_MID,
    DarkCall,
    clear_of_fences,
    dark_calls,
    loitering_stays,
)
from shipwatch.scenarios.tracks import (
    AT_ANCHOR,
    BERTHING_KN,
    HARBOUR_KN,
    HOUR_S,
    MOORED,
    UNDER_WAY,
    Motion,
    Stay,
    Timeline,
)

SEED = 20240318
T0 = datetime(2024, 3, 18, tzinfo=UTC)
SCENARIO_PATH = Path(__file__).parent / "data" / "at_sea.jsonl"

# The at-sea rules (docs/detection.md, "At sea"), restated so that the plan does not come from the
# code under test. Loitering (2 h slow, 10 km clear of every fence) is `reference`'s.
ENCOUNTER_DISTANCE_M = 500.0  # two vessels this close ...
ENCOUNTER_MIN_S = 2 * 3600  # ... for this long, both slow and clear of every fence
SIGHTING_MATCH_M = 1000.0  # an AIS vessel this near a sighting (plus half its length) is it
DARK_PORT_DISTANCE_M = 20_000.0  # an unmatched sighting this near a fence is a dark vessel
CARGO_PORT_ROLES = {"vostochny": "loading", "chongjin": "discharge"}  # the fences' roles
CARGO_ROLES = ("loading", "discharge")  # a dark vessel at a port of these roles is critical
CANDIDATE_MPS = 15 * 1852 / 3600  # a silent watched vessel could have got there at 15 kn
CANDIDATE_LOOKBACK_S = 48 * 3600
CANDIDATE_QUIET_S = 20 * 60  # silent means no fix within this of the sighting
DARK_DRAUGHT_WINDOW_S = 6 * 3600  # a draught reported this soon after a dark call speaks of it

# Reporting: every 6 minutes under way, 2-3 minutes while holding at sea, 10 in port.
SEA_EVERY = (320, 400)
HOLD_EVERY = (120, 180)
PORT_EVERY = (540, 660)
STATIC_EVERY_S = 3 * 3600  # static reports this often, after every silence, and on a change
SCATTER_M = (15.0, 15.0)  # GPS scatter (north, east) under way and holding at sea
PORT_SCATTER_M = (8.0, 8.0)
SAILING_KN = 10.0
APPROACH_KN = 8.5

# Where it happens. Open sea: 150 km and more from every coast and fence, north of 38.5 N
# (clear of Ulleungdo and Dokdo), west of 135.5 E.
STS_SPOT = (40.3500, 132.4500)
LOITER_SPOT = (41.2000, 134.3000)
PASS_POINT = (39.6000, 133.2000)
SHORT_STOP_SPOT = (40.9000, 131.9000)
LOITER_PAIR_SPOT = (39.9000, 131.3000)
OFF_DPRK = (41.3000, 130.9000)  # where the DPRK tankers come from at sea and return to
# In Wrangel Bay, on the fairway between two of Vostochny's approach waypoints (2.7 km from the
# products berth, in its 0.1-degree cell): where the Russian pair lies together.
WRANGEL_ANCHORAGE = lerp(VOSTOCHNY.approach[2], VOSTOCHNY.approach[3], 0.3)


@dataclass(frozen=True)
class Ship:
    """A vessel's static data, as its static reports carry it."""

    mmsi: int
    name: str
    imo6: int  # the IMO number's first six digits (fleet.fictional_imo makes it no ship's)
    callsign: str
    ship_type: int
    size: tuple[int, int]  # length, beam in metres
    draught: float  # when first seen
    part: str  # what it is in the story; the tests pick vessels by it
    role: str

    @property
    def imo(self) -> int:
        """A fictional IMO number."""
        return fictional_imo(self.imo6)

    @property
    def watched(self) -> bool:
        """The story's rule: DPRK-flagged (MID 445) vessels are watched."""
        return str(self.mmsi).startswith(WATCHED_MID)


@dataclass(frozen=True)
class Stretch(Motion):
    """A motion with how often the vessel reports during it and the speeds it reports."""

    every_s: tuple[int, int] = SEA_EVERY
    sog_kn: tuple[float, float] = (0.0, 0.1)


@dataclass
class Track:
    """One vessel of the story: its static data and its plan laid out in time."""

    ship: Ship
    tl: Timeline = field(default_factory=Timeline)
    stretches: list[Stretch] = field(default_factory=list)

    @property
    def start(self) -> float:
        """Its first report, seconds after T0."""
        return self.stretches[0].t0

    @property
    def end(self) -> float:
        """Its last report, about."""
        return self.stretches[-1].t1

    def reporting(self, t: float) -> bool:
        """Whether the plan has it reporting at time t."""
        return self.start <= t <= self.end and not self.tl.is_dark(t)


class _Course:
    """Lays out one vessel's plan leg by leg, keeping the current time and position."""

    def __init__(self, ship: Ship, start_h: float, start: Point) -> None:
        self.track = Track(ship, Timeline(drafts=[(0.0, ship.draught)]))
        self.t, self.pos = start_h * HOUR_S, start
        self._dark_from: float | None = None

    def _add(self, s: Stretch) -> None:
        self.track.stretches.append(s)
        self.track.tl.motions.append(s)
        self.t, self.pos = s.t1, s.b

    def sail(
        self, *path: Point, kn: float = SAILING_KN, every: tuple[int, int] = SEA_EVERY
    ) -> None:
        """Under way through the points at a steady speed."""
        for to in path:
            seconds = distance_m(self.pos, to) / 1852 / kn * HOUR_S
            sog = (kn - 0.3, kn + 0.3)
            self._add(Stretch(self.t, self.t + seconds, self.pos, to, kn, UNDER_WAY, SCATTER_M,
                              every_s=every, sog_kn=sog))  # fmt: skip

    def into(self, port: Port, waypoints: int, to: Point) -> None:
        """From the port's sea point through its first approach waypoints to a berth."""
        self.sail(port.approach[0], kn=APPROACH_KN)
        self.sail(*port.approach[1:waypoints], kn=HARBOUR_KN, every=PORT_EVERY)
        self.sail(to, kn=BERTHING_KN, every=PORT_EVERY)

    def out_of(self, port: Port, waypoints: int) -> None:
        """Back out the same way to the port's sea point."""
        self.sail(*reversed(port.approach[1:waypoints]), kn=HARBOUR_KN, every=PORT_EVERY)
        self.sail(port.approach[0], kn=HARBOUR_KN, every=PORT_EVERY)
        self.sail(port.sea, kn=APPROACH_KN)

    def hold(
        self,
        until_h: float,
        place: str = "sea",
        status: int = UNDER_WAY,
        every: tuple[int, int] = HOLD_EVERY,
        sog: tuple[float, float] = (0.0, 1.0),
        scatter: tuple[float, float] = SCATTER_M,
        heading: int = 0,
    ) -> Stay:
        """Still (reporting GPS speeds in `sog`) until `until_h` hours after T0."""
        end = until_h * HOUR_S
        self._add(Stretch(self.t, end, self.pos, self.pos, 0.0, status, scatter, heading, 3,
                          every_s=every, sog_kn=sog))  # fmt: skip
        stay = Stay(place, self.pos, self.track.stretches[-1].t0, end)
        self.track.tl.stays.append(stay)
        return stay

    def drift(self, to: Point, until_h: float) -> Stay:
        """Adrift at sea towards `to` (a few tenths of a knot) until `until_h` hours after T0."""
        start, end = self.t, until_h * HOUR_S
        kn = distance_m(self.pos, to) / 1852 / ((end - start) / HOUR_S)
        self._add(Stretch(start, end, self.pos, to, kn, UNDER_WAY, SCATTER_M,
                          every_s=HOLD_EVERY, sog_kn=(max(kn - 0.2, 0.0), kn + 0.2)))  # fmt: skip
        stay = Stay("sea", self.track.stretches[-1].a, start, end)
        self.track.tl.stays.append(stay)
        return stay

    def draught(self, share: float, metres: float) -> None:
        """The crew enters a new draught `share` of the way through the last stretch."""
        last = self.track.stretches[-1]
        self.track.tl.drafts.append((last.t0 + share * (last.t1 - last.t0), metres))

    def go_dark(self) -> None:
        """Stop reporting from now."""
        self._dark_from = self.t

    def come_back(self) -> None:
        """Report again from now."""
        assert self._dark_from is not None
        self.track.tl.dark.append((self._dark_from, self.t))
        self._dark_from = None


def _arriving(ship: Ship, start: Point, to: Point, kn: float, at_h: float) -> _Course:
    """A vessel that sets out from `start` so as to be at `to` at `at_h` hours after T0."""
    course = _Course(ship, at_h - distance_m(start, to) / 1852 / kn, start)
    course.sail(to, kn=kn)
    return course


# The cast. MMSIs, names, IMO numbers and call signs are invented.
# fmt: off
DARK_LOADER = Ship(445990511, "PURUN BADA 3", 912361, "HMPB3", 80, (105, 16), 4.8, "dark_loader",
                   "DPRK tanker: dark from 29 km off Vostochny, loads unseen at the products "
                   "berth, seen there by a satellite")
STS_LOADER = Ship(445990512, "SAEGIL 6", 912362, "HMSG6", 80, (98, 15), 4.6, "sts_loader",
                  "DPRK tanker: loads from a foreign tanker at sea, 180 m apart for 5 h")
LOITERER = Ship(445990513, "BAEKDO 2", 912363, "HMBD2", 80, (102, 15), 5.1, "loiterer",
                "DPRK tanker: adrift alone at sea for 6 h")
DPRK_PASSER = Ship(445990514, "MOKRAN 11", 912364, "HMMK11", 70, (88, 13), 5.4, "passing",
                   "DPRK cargo ship: passes a Chinese ship 250 m apart at 11 kn")
SHORT_STOPPER = Ship(445990515, "HAEBIT 4", 912365, "HMHB4", 80, (96, 15), 4.7, "short_stop",
                     "DPRK tanker: 75 minutes alongside a Chinese tanker, too short to count")
PAIR_LOITERER = Ship(445990516, "NAMSAN 5", 912366, "HMNS5", 80, (100, 15), 5.0, "loiter_pair",
                     "DPRK tanker: loiters 4 h 1.5 km from a Chinese fishing vessel")
SUPPLIER = Ship(667990521, "LUCKY AMBER", 923461, "9LLA7", 80, (128, 20), 9.6, "sts_supplier",
                "Sierra Leone-flagged tanker: waits at sea and supplies SAEGIL 6")
CHINESE_PASSER = Ship(412990522, "HUA YANG 18", 923462, "BQHY8", 70, (110, 17), 6.8, "passing",
                      "Chinese cargo ship: passes MOKRAN 11 at 12 kn")
CHINESE_TANKER = Ship(413990523, "JIN HAI 6", 923463, "BPJH6", 80, (105, 16), 6.5, "short_stop",
                      "Chinese tanker: 90 minutes stopped, HAEBIT 4 alongside for 75 of them")
FISHER = Ship(412990524, "LIAO DAN YU 35", 923464, "BZLD5", 30, (45, 8), 3.2, "loiter_pair",
              "Chinese fishing vessel: 4 h slow, 1.5 km from NAMSAN 5")
MOORED_TANKER = Ship(273990531, "MYS POVOROTNY 2", 923471, "UBMP2", 80, (118, 17), 6.1,
                     "vostochny_moored", "Russian tanker: 30 h at anchor in Wrangel Bay")
BUNKER_BARGE = Ship(273990532, "AMUR BUNKER 12", 923472, "UFAB4", 80, (76, 12), 3.9,
                    "vostochny_moored", "Russian bunker barge: 30 h alongside MYS POVOROTNY 2")
# fmt: on


def _vostochny_pair() -> list[Track]:
    """The Russian tanker and the barge alongside it, 60 m apart in Wrangel Bay, h 0-30."""
    tanker = _Course(MOORED_TANKER, 0.0, VOSTOCHNY.sea)
    tanker.into(VOSTOCHNY, 3, WRANGEL_ANCHORAGE)
    tanker.hold(30.0, "vostochny", AT_ANCHOR, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 245)
    tanker.out_of(VOSTOCHNY, 3)
    tanker.sail(SOUTH_EXIT)
    barge = _Course(BUNKER_BARGE, 0.3, VOSTOCHNY.sea)
    barge.into(VOSTOCHNY, 3, offset(WRANGEL_ANCHORAGE, -25.0, 55.0))
    barge.hold(30.2, "vostochny", MOORED, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 245)
    barge.out_of(VOSTOCHNY, 3)
    barge.sail(EAST_EXIT)
    return [tanker.track, barge.track]


def _dark_loader() -> Track:
    """In from the DPRK's coast, dark from 27 km short of Vostochny's sea point (29 km from
    its approach), 14 h at the products berth (loaded 2.5 m deeper), dark out to the same
    point, then home: silent for 20.4 h."""
    c = _Course(DARK_LOADER, 2.0, DPRK_EXIT)
    c.sail(lerp(DPRK_EXIT, VOSTOCHNY.sea, 0.7))
    c.go_dark()
    c.sail(VOSTOCHNY.sea)
    c.into(VOSTOCHNY, 4, PRODUCTS_BERTH)
    c.hold(c.t / HOUR_S + 14, "vostochny", MOORED, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 212)
    c.draught(0.7, 7.3)
    c.out_of(VOSTOCHNY, 4)
    c.sail(lerp(VOSTOCHNY.sea, DPRK_EXIT, 0.3))
    c.come_back()
    c.sail(DPRK_EXIT)
    return c.track


def _sts() -> list[Track]:
    """The supplier waits at the spot; the DPRK tanker lies 180 m from it for 5 h and reports
    2.3 m more draught 3.5 h in; it leaves first, the supplier 30 minutes later."""
    loader = _Course(STS_LOADER, 16.0, OFF_DPRK)
    loader.sail(offset(STS_SPOT, 120.0, 135.0))
    arrived = loader.t / HOUR_S
    loader.hold(arrived + 5.0, heading=70)
    loader.draught(0.7, 6.9)
    loader.sail(OFF_DPRK)
    supplier = _Course(SUPPLIER, 12.0, (39.3000, 134.2000))
    supplier.sail(STS_SPOT, kn=11.0)
    assert supplier.t / HOUR_S < arrived - 1, "the supplier waits for the tanker"
    supplier.hold(arrived + 5.5, heading=250)
    supplier.sail((38.8000, 133.5000), kn=11.0)
    return [loader.track, supplier.track]


def _loiterer() -> Track:
    """Six hours adrift at 0.3 kn, alone."""
    c = _Course(LOITERER, 18.0, (42.0000, 135.2000))
    c.sail(LOITER_SPOT, kn=9.0)
    c.drift(offset(LOITER_SPOT, -2300.0, -2300.0), c.t / HOUR_S + 6)
    c.sail((40.5000, 135.4000), kn=9.0)
    return c.track


def _passers() -> list[Track]:
    """Reciprocal courses 250 m apart, abeam at PASS_POINT at h 30."""
    north = offset(PASS_POINT, 250.0, 0.0)
    dprk = _arriving(DPRK_PASSER, (PASS_POINT[0], 132.2000), PASS_POINT, 11.0, 30.0)
    dprk.sail((PASS_POINT[0], 134.2000), kn=11.0)
    chinese = _arriving(CHINESE_PASSER, (north[0], 134.2000), north, 12.0, 30.0)
    chinese.sail((north[0], 132.2000), kn=12.0)
    return [dprk.track, chinese.track]


def _short_stop() -> list[Track]:
    """The Chinese tanker stops at h 33.8 for 90 minutes; HAEBIT 4 lies 200 m off it for 75."""
    tanker = _arriving(CHINESE_TANKER, (39.6000, 132.7000), SHORT_STOP_SPOT, 10.0, 33.8)
    tanker.hold(33.8 + 1.5, heading=30)
    tanker.sail((41.6000, 132.6000))
    near = offset(SHORT_STOP_SPOT, 200.0, 0.0)
    stopper = _arriving(SHORT_STOPPER, OFF_DPRK, near, 10.0, 34.0)
    stopper.hold(34.0 + 1.25, heading=30)
    stopper.sail(OFF_DPRK)
    return [tanker.track, stopper.track]


def _loiter_pair() -> list[Track]:
    """Both slow for 4 h from about h 38, 1.5 km apart."""
    dprk = _arriving(PAIR_LOITERER, OFF_DPRK, LOITER_PAIR_SPOT, 10.0, 38.0)
    dprk.hold(42.0, heading=120)
    dprk.sail(OFF_DPRK)
    home = (39.2000, 130.9000)
    fisher = _arriving(FISHER, home, offset(LOITER_PAIR_SPOT, -1060.0, 1060.0), 8.0, 38.3)
    fisher.hold(42.3, sog=(0.3, 1.5), heading=200)
    fisher.sail(home, kn=8.0)
    return [dprk.track, fisher.track]


@cache
def story() -> tuple[Track, ...]:
    """Every vessel's plan, in MMSI order."""
    tracks = [
        *_vostochny_pair(), _dark_loader(), *_sts(), _loiterer(), *_passers(), *_short_stop(),
        *_loiter_pair(),
    ]  # fmt: skip
    return tuple(sorted(tracks, key=lambda tr: tr.ship.mmsi))


def track_of(mmsi: int) -> Track:
    """One vessel's plan."""
    return next(tr for tr in story() if tr.ship.mmsi == mmsi)


class PlannedSighting(NamedTuple):
    """A satellite image's ship: where the plan puts one of its vessels, or nothing."""

    sighting_id: str
    t: int
    at: Point
    length_m: float
    source: str
    ship: int  # the vessel really there (dark or not)


@cache
def sightings() -> tuple[PlannedSighting, ...]:
    """The dark loader at the berth 5 h into its stay; the moored tanker at h 16.2."""
    (berth,) = [s for s in track_of(DARK_LOADER.mmsi).tl.stays if s.at == PRODUCTS_BERTH]
    t_dark = int(berth.t0 + 5 * HOUR_S)
    t_seen = int(16.2 * HOUR_S) + 17
    tanker = track_of(MOORED_TANKER.mmsi)
    return (
        PlannedSighting(
            "s1a-20240318-vostochny-001", t_dark, offset(PRODUCTS_BERTH, 25.0, -20.0), 108.0,
            "sentinel-1", DARK_LOADER.mmsi,
        ),
        PlannedSighting(
            "s1a-20240318-vostochny-002", t_seen,
            offset(tanker.tl.position_at(t_seen), 20.0, -20.0), 115.0, "sentinel-1",
            MOORED_TANKER.mmsi,
        ),
    )  # fmt: skip


# The outcome, read off the plan.
class Encounter(NamedTuple):
    """Two vessels' stays at sea close together long enough."""

    lo: int
    hi: int
    t0: float
    t1: float


class Sighted(NamedTuple):
    """What the rules make of a sighting: the vessel it is, or the port it is near."""

    sighting: PlannedSighting
    matched: int | None
    port: str | None
    candidates: tuple[int, ...]


class ExpectedAlert(NamedTuple):
    """An alert the story must raise: its kind, its MMSI (a sighting's id for a dark vessel,
    which names no vessel) and its severity."""

    kind: str
    subject: int | str
    severity: str


def at_sea_stays(track: Track) -> list[Stay]:
    """The vessel's stays clear of every fence (`reference`'s measure): slow at sea."""
    return [s for s in track.tl.stays if clear_of_fences(s.at)]


def stay_distances(a: Track, b: Track, t0: float, t1: float) -> tuple[float, float]:
    """The least and greatest planned distance between two vessels over [t0, t1] (both move
    in straight lines or not at all: sampled every minute)."""
    steps = max(1, int((t1 - t0) // 60))
    ds = [
        distance_m(a.tl.position_at(t), b.tl.position_at(t))
        for t in (t0 + (t1 - t0) * i / steps for i in range(steps + 1))
    ]
    return min(ds), max(ds)


def encounters() -> list[Encounter]:
    """Pairs of stays at sea that overlap ENCOUNTER_MIN_S or more within ENCOUNTER_DISTANCE_M
    all along (the plan's stays are still, or drift a few tenths of a knot)."""
    out = []
    for a, b in combinations(story(), 2):
        for sa in at_sea_stays(a):
            for sb in at_sea_stays(b):
                t0, t1 = max(sa.t0, sb.t0), min(sa.t1, sb.t1)
                if t1 - t0 < ENCOUNTER_MIN_S:
                    continue
                if stay_distances(a, b, t0, t1)[1] <= ENCOUNTER_DISTANCE_M:
                    lo, hi = sorted((a.ship.mmsi, b.ship.mmsi))
                    out.append(Encounter(lo, hi, t0, t1))
    return out


def loitering() -> list[tuple[int, float, float]]:
    """Every vessel's loitering at sea (watched or not): (MMSI, from, to)."""
    return [(tr.ship.mmsi, t0, t1) for tr in story() for t0, t1 in loitering_stays(tr.tl)]


def _nearest_port(at: Point) -> tuple[str, float] | None:
    found = min((p.distance_m(at), p.id) for p in PORTS if p.fenced)
    return (found[1], found[0]) if found[0] <= DARK_PORT_DISTANCE_M else None


def _samples_reach_cells(track: Track, t: float) -> bool:
    """The plan's view of a vessel the sea stage compares a sighting with: reporting, and
    near a fenced port (the stage's boxes around the fences reach further than 20 km) or
    slow at sea."""
    if not track.reporting(t):
        return False
    at = track.tl.position_at(t)
    near = any(p.distance_m(at) <= DARK_PORT_DISTANCE_M + 10_000 for p in PORTS if p.fenced)
    slow_at_sea = any(s.t0 <= t <= s.t1 for s in at_sea_stays(track))
    return near or slow_at_sea


def candidates(sighting: PlannedSighting) -> tuple[int, ...]:
    """Watched vessels silent at the sighting that could have sailed there at 15 kn from where
    they fell silent (and back to where they reappeared, if they did), nearest first."""
    t, found = sighting.t, []
    for track in story():
        if not track.ship.watched or track.start > t - CANDIDATE_QUIET_S:
            continue  # not known yet to the detector, or seen around the sighting
        spans: list[tuple[float, float | None]] = [
            (t0, t1)
            for t0, t1 in track.tl.dark
            if t0 < t - CANDIDATE_QUIET_S and t1 > t + CANDIDATE_QUIET_S
        ]
        if track.end < t - CANDIDATE_QUIET_S:
            spans.append((track.end, None))  # silent since its last report
        for t0, t1 in spans:
            if t - t0 > CANDIDATE_LOOKBACK_S:
                continue
            d0 = distance_m(track.tl.position_at(t0), sighting.at)
            if d0 > (t - t0) * CANDIDATE_MPS + SIGHTING_MATCH_M:
                continue
            if t1 is not None:
                back = distance_m(sighting.at, track.tl.position_at(t1))
                if back > (t1 - t) * CANDIDATE_MPS + SIGHTING_MATCH_M:
                    continue
            found.append((d0, track.ship.mmsi))
            break
    return tuple(m for _, m in sorted(found))


def sighted() -> list[Sighted]:
    """Each sighting: the reporting vessel within reach nearest it, else the port it is near
    (a dark vessel, with its candidates) or nothing."""
    out = []
    for s in sightings():
        reach = SIGHTING_MATCH_M + s.length_m / 2
        near = sorted(
            (distance_m(tr.tl.position_at(s.t), s.at), tr.ship.mmsi)
            for tr in story()
            if _samples_reach_cells(tr, s.t)
        )
        matched = near[0][1] if near and near[0][0] <= reach else None
        port = None if matched is not None else _nearest_port(s.at)
        cands = candidates(s) if port is not None else ()
        out.append(Sighted(s, matched, port[0] if port else None, cands))
    return out


def _dark_call_alerts(track: Track, dark: DarkCall) -> list[ExpectedAlert]:
    """`reference`'s gap rules, and the critical dark call of a draught changed across it."""
    mmsi = track.ship.mmsi
    out = [ExpectedAlert("ais_gap", mmsi, "warning")] if dark.near else []
    out += [ExpectedAlert("dark_port_call", mmsi, "warning") for _ in dark.ports]
    before = reported_draught(track, dark.t0)
    told = [(t, d) for t, d in statics_of(track) if dark.t1 < t <= dark.t1 + DARK_DRAUGHT_WINDOW_S]
    if told and abs(told[0][1] - before) >= LOADED_MIN_M:
        out += [ExpectedAlert("dark_port_call", mmsi, "critical") for _ in dark.ports]
    return out


def expected_alerts() -> list[ExpectedAlert]:
    """Every alert the plan calls for, sorted."""
    out: list[ExpectedAlert] = []
    for track in story():
        if not track.ship.watched:
            continue  # vessel alerts are about watched vessels only
        for dark in dark_calls(track.tl):
            out += _dark_call_alerts(track, dark)
        out += [ExpectedAlert("loitering", track.ship.mmsi, "warning")
                for _ in loitering_stays(track.tl)]  # fmt: skip
    for enc in encounters():
        for mmsi in (enc.lo, enc.hi):
            track = track_of(mmsi)
            if not track.ship.watched:
                continue
            out.append(ExpectedAlert("sts_encounter", mmsi, "warning"))
            # The draught it reported last before they parted, against the one at the start.
            change = reported_draught(track, enc.t1) - reported_draught(track, enc.t0)
            if abs(change) >= LOADED_MIN_M:
                out.append(ExpectedAlert("sts_encounter", mmsi, "critical"))
    for s in sighted():
        if s.matched is None and s.port is not None:
            severity = "critical" if CARGO_PORT_ROLES[s.port] in CARGO_ROLES else "warning"
            out.append(ExpectedAlert("dark_vessel", s.sighting.sighting_id, severity))
    return sorted(out, key=lambda a: (a.kind, str(a.subject), a.severity))


# From the plan to records.
def _reports(track: Track, rng: random.Random) -> list[int]:
    """The times the vessel reports its position (seconds after T0)."""
    out, i = [], 0
    t, end = math.ceil(track.start), track.end
    stretches = track.stretches
    while t <= end:
        while stretches[i].t1 < t:
            i += 1
        if not track.tl.is_dark(t):
            out.append(t)
        t += rng.randint(*stretches[i].every_s)
    return out


def statics_of(track: Track) -> list[tuple[int, float]]:
    """When the vessel sends static reports, with the draught in each: a second after its first
    position, after its first position after a silence, and after the first position every
    STATIC_EVERY_S; and at each draught change the crew enters while it reports."""
    reports = _reports(track, random.Random(_seed_of(track)))
    times: set[int] = set()
    last: int | None = None
    for prev, t in zip([None, *reports], reports, strict=False):
        silent = prev is not None and any(prev < a < t for a, _ in track.tl.dark)
        if last is None or silent or t - last >= STATIC_EVERY_S:
            times.add(t + 1)
            last = t
    times |= {math.ceil(t) for t, _ in track.tl.drafts[1:] if track.reporting(t)}
    return [(t, track.tl.draft_at(t)) for t in sorted(times)]


def reported_draught(track: Track, t: float) -> float:
    """The draught of the vessel's last static report at or before t (its first if none)."""
    sent = statics_of(track)
    return next((d for s, d in reversed(sent) if s <= t), sent[0][1])


def _seed_of(track: Track) -> int:
    return SEED * 1_000_000_000 + track.ship.mmsi % 1_000_000_000


def sampled_position(
    mmsi: int, ts: datetime, at: Point, m: Stretch, rng: random.Random
) -> Position:
    """The report at `ts` of a vessel planned to be `at` on stretch `m`: its speed, course,
    heading and GPS scatter drawn from `rng` (in this order: the stories' bytes depend on it)."""
    sog = rng.uniform(*m.sog_kn)
    if m.kn:
        cog = (bearing_deg(m.a, m.b) + rng.uniform(-1.5, 1.5)) % 360
        heading = round(cog + rng.uniform(-2.5, 2.5)) % 360
    else:
        cog = rng.uniform(0.0, 359.9)
        heading = (m.heading + rng.randint(-m.swing, m.swing)) % 360
    north, east = m.scatter_m
    lat, lon = offset(at, rng.uniform(-north, north), rng.uniform(-east, east))
    return Position(
        mmsi=mmsi, ts=ts, lat=round(lat, 5), lon=round(lon, 5),
        sog=round(sog, 1), cog=round(cog, 1) % 360, heading=heading, nav_status=m.status,
    )  # fmt: skip


def records_of(track: Track) -> list[AnyRecord]:
    """The vessel's positions and static reports, in time order."""
    rng = random.Random(_seed_of(track))
    reports = _reports(track, rng)  # the same draws as statics_of's
    ship, stretches, i = track.ship, track.stretches, 0
    out: list[AnyRecord] = []
    for t in reports:
        while stretches[i].t1 < t:
            i += 1
        ts = T0 + timedelta(seconds=t)
        out.append(sampled_position(ship.mmsi, ts, track.tl.position_at(t), stretches[i], rng))
    for t, draught in statics_of(track):
        out.append(
            Static(
                mmsi=ship.mmsi, ts=T0 + timedelta(seconds=t), imo=ship.imo, name=ship.name,
                callsign=ship.callsign, ship_type=ship.ship_type, length=ship.size[0],
                beam=ship.size[1], draught=draught,
            )
        )  # fmt: skip
    return out


def records_from(tracks: Sequence[Track], planned: Sequence[PlannedSighting]) -> list[AnyRecord]:
    """A story's file: its vessels' records and its sightings in time order (positions before
    statics before sightings at the same second, then by MMSI or sighting id)."""
    rank = {"position": 0, "static": 1, "sighting": 2, "scene": 3}
    out: list[AnyRecord] = [r for tr in tracks for r in records_of(tr)]
    out += [
        Sighting(
            sighting_id=s.sighting_id, ts=T0 + timedelta(seconds=s.t), lat=round(s.at[0], 5),
            lon=round(s.at[1], 5), length_m=s.length_m, source=s.source,
        )
        for s in planned
    ]  # fmt: skip

    def key(r: AnyRecord) -> tuple[datetime, int, str]:
        if isinstance(r, Sighting):
            who = r.sighting_id
        elif isinstance(r, Scene):
            who = r.scene_id
        else:
            who = str(r.mmsi)
        return r.ts, rank[r.kind], who

    return sorted(out, key=key)


def records() -> list[AnyRecord]:
    """Everything in the file, in time order."""
    return records_from(story(), sightings())


def rendered(records: Sequence[AnyRecord]) -> bytes:
    """One normalized JSON record a line, as `shipwatch decode` prints them."""
    return b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in records)


def render() -> bytes:
    """The whole file."""
    return rendered(records())


def write_main(
    argv: Sequence[str] | None, doc: str | None, default: Path, render: Callable[[], bytes]
) -> int:
    """A scenario module's command line: write its file (`--out`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--out", type=Path, default=default, help="JSON lines file to write")
    args = parser.parse_args(argv)
    data = render()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    lines = data.count(b"\n")
    print(f"wrote {args.out}: {lines} records, {len(data)} bytes")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Write the scenario file."""
    return write_main(argv, __doc__, SCENARIO_PATH, render)


if __name__ == "__main__":
    raise SystemExit(main())
