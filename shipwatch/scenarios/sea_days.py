"""The sea-days scenario: four days of a 13-vessel sea, two dark berths and a meeting at sea.

From 2024-03-25T00:00Z over four days, as normalized JSON lines (positions, static reports and
satellite sightings, in time order, as `scenarios.at_sea` writes them):

- a DPRK tanker goes dark 29 km off Vostochny, loads at the oil-products berth with its AIS
  off and is seen there by a satellite (day 1); it reappears loaded where it went dark. From
  two hours before that image to the end of the story no vessel reports within 3 km of the
  image's 0.1-degree area cell (the sea stage's cells; a fix within 1.3 km of a cell's edge
  counts in the neighbour cell too), so no AIS ever comes from that cell after it;
- a DPRK tanker meets a foreign tanker in the open Sea of Japan, 170 m apart for 4.5 h below
  1 kn, and reports 2.2 m more draught before they part (day 2); a satellite image taken
  during the meeting sees the DPRK tanker (matched: no alert of its own);
- a Russian coaster passes through the south-east corner of Chongjin's fence on its way north
  and a satellite sees it there (day 1, matched), while a Chinese cargo ship lies at the west
  harbour until day 2;
- a loaded DPRK tanker goes dark 45 km off Chongjin, discharges at the berth unseen, is seen
  there by a satellite (day 3), and reappears lighter 79 km from the fence: no vessel reports
  near Chongjin after that image;
- filler: ships crossing the sea on days 1-2 only, on days 2-3, on days 3-4 only, and a
  trawler working all four days. The MMSIs are chosen for a 6-partition topic (Kafka's default
  partitioner, `shipwatch.pipeline.partitioner.MmsiPartitioner`): partition 0 carries days 1-2 only,
  partition 1 days 3-4 only, and the two vessels of the meeting are on different partitions for
  2 to 6 partitions, so that partitions consumed unevenly really differ in time.

The plan is this module's data; the building blocks (ships, courses, reporting intervals, GPS
noise, the records and their order) are `scenarios.at_sea`'s, and so are its clock and seed: the
story's hours are counted from at_sea's T0 plus `START_H` (a week later). Regenerate the file
(byte-identical for the same code) with
`python -m scenarios.sea_days --out scenarios/data/sea_days.jsonl`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from pathlib import Path

from shipwatch.ais.records import AnyRecord
from shipwatch.scenarios.at_sea import (  # at_sea's building blocks, private ones included
    PORT_EVERY,
    PORT_SCATTER_M,
    T0,
    PlannedSighting,
    Ship,
    Track,
    _arriving,  # private in at_sea: a course timed to be somewhere at a given hour
    _Course,  # private in at_sea: the leg-by-leg planner every at-sea plan is laid out with
    records_from,
    rendered,
    write_main,
)
from shipwatch.scenarios.geo import (
    CHONGJIN,
    CHONGJIN_BERTH,
    CHONGJIN_WEST_BERTH,
    DPRK_EXIT,
    EAST_EXIT,
    METRES_PER_NM,
    NORTHBOUND,
    PASS_OUT,
    PASS_SOUTH,
    PRODUCTS_BERTH,
    SECOND_BERTH,
    SOUTH_EXIT,
    VOSTOCHNY,
    Point,
    distance_m,
    lerp,
    offset,
)
from shipwatch.scenarios.tracks import HOUR_S, MOORED

SCENARIO_PATH = Path(__file__).parent / "data" / "sea_days.jsonl"
START_H = 7 * 24.0  # the story's hour 0, in at_sea's hours: 2024-03-25T00:00Z
START = T0 + timedelta(hours=START_H)
DAYS = 4
END_H = DAYS * 24 - 0.5  # every plan ends by then

# Where it happens. The meeting: open sea, 200 km and more from every coast and fence.
STS_SPOT = (40.7000, 132.8000)
STS_GAP_M = (120.0, 120.0)  # the DPRK tanker lies this far (north, east) of the supplier: 170 m
SUPPLIER_FROM = (39.4000, 134.3000)
SUPPLIER_TO = (38.8000, 133.9000)
OFF_DPRK = (41.3000, 130.9000)  # where the DPRK tankers come from at sea
DPRK_SOUTH = (39.9000, 129.9000)  # towards Hungnam, 200 km south of Chongjin
CHONGJIN_FROM = (41.4500, 130.7500)  # where the Chongjin tanker comes from
CHONGJIN_FAR = (41.2000, 130.5000)  # where it reports again, 80 km out
CHONGJIN_AWAY = (40.6000, 130.9000)
TRAWL_A, TRAWL_B = (41.1000, 134.6000), (41.5000, 135.1000)  # a trawler's beat, 60 km long
TRAWL_KN = 4.0  # above the 3 kn below which fixes go to the area cells: never slow at sea


def h(hours: float) -> float:
    """The story's hour `hours` in at_sea's hours (what `_Course` counts in)."""
    return START_H + hours


# The cast. MMSIs, names, IMO numbers and call signs are invented.
# fmt: off
STS_TANKER = Ship(445990619, "RYONGAK 9", 912661, "HMRG9", 80, (104, 16), 4.9, "sts_loader",
                  "DPRK tanker: loads from a foreign tanker at sea, 170 m apart for 4.5 h")
STS_SUPPLIER = Ship(667990602, "OCEAN TULIP", 923661, "9LOT2", 80, (132, 21), 9.8,
                    "sts_supplier", "Sierra Leone-flagged tanker: waits at sea, supplies RYONGAK 9")
DARK_VOSTOCHNY = Ship(445990625, "CHONGRYU 2", 912662, "HMCR2", 80, (101, 15), 4.7,
                      "dark_vostochny", "DPRK tanker: dark from 29 km off Vostochny, loads unseen "
                      "at the products berth, seen there by a satellite")
DARK_CHONGJIN = Ship(445990601, "KUMJIN 5", 912663, "HMKJ5", 80, (99, 15), 6.6, "dark_chongjin",
                     "DPRK tanker: dark from 45 km off Chongjin, discharges unseen at the berth, "
                     "seen there by a satellite, reappears 80 km out")
COASTER = Ship(273990602, "VOSTOK 21", 923662, "UBVK2", 70, (82, 13), 4.4, "passing",
               "Russian coaster: through the corner of Chongjin's fence, seen by a satellite")
CHONGJIN_CARGO = Ship(412990606, "HAI XING 8", 923663, "BQHX8", 70, (96, 16), 5.8, "in_port",
                      "Chinese cargo ship: 30 h at Chongjin's west harbour, days 1-2")
VOSTOCHNY_TANKER = Ship(273990608, "MYS OSTROVNOY", 923664, "UBMO7", 80, (120, 18), 6.4,
                        "in_port", "Russian tanker: 6 h at Vostochny's second berth, day 1")
KOREAN_BULKER = Ship(440990606, "HANBIT STAR", 923665, "DSHB8", 70, (150, 24), 8.1, "crossing",
                     "Korean bulk carrier: across the sea, days 1-2")
JAPANESE_CARGO = Ship(431990603, "KAIUN MARU 3", 923666, "JDKM3", 70, (112, 18), 6.2,
                      "crossing", "Japanese cargo ship: across the sea, days 2-3")
CHINESE_CARGO = Ship(413990604, "XIN FENG 16", 923667, "BPXF6", 70, (118, 19), 7.0, "crossing",
                     "Chinese cargo ship: north towards Rason, days 3-4")
KOREAN_TANKER = Ship(441990615, "DAEHO 2", 923668, "DSDH2", 80, (108, 17), 6.9, "crossing",
                     "Korean tanker: south towards Busan, days 3-4")
RUSSIAN_TANKER = Ship(273990601, "PRIMORYE 5", 923669, "UBPR5", 80, (124, 19), 7.6, "crossing",
                      "Russian tanker: south towards Japan, days 3-4")
TRAWLER = Ship(273990603, "KAPITAN ZUEV", 923670, "UBKZ3", 30, (54, 10), 4.0, "trawler",
               "Russian trawler: fishing at 4 kn, all four days")
# fmt: on

# The sightings' ids (ids of `dark_vessel` alerts too: unique among the bundled stories).
DARK_AT_VOSTOCHNY = "s1a-20240325-vostochny-101"
DARK_AT_CHONGJIN = "s1b-20240327-chongjin-101"
SEEN_AT_STS = "s1a-20240326-sea-101"
SEEN_AT_CHONGJIN = "s1b-20240325-chongjin-102"
MATCHED: dict[str, int] = {SEEN_AT_STS: STS_TANKER.mmsi, SEEN_AT_CHONGJIN: COASTER.mmsi}
STS_PAIR: tuple[int, int] = (STS_TANKER.mmsi, STS_SUPPLIER.mmsi)


def _in_port(c: _Course, port: str, until: float, heading: int) -> None:
    c.hold(until, port, MOORED, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, heading)


def _dark_at_vostochny() -> Track:
    """In from the DPRK's coast, dark from 27 km short of Vostochny's sea point (30 km from the
    fence), 13 h at the products berth (loaded 2.4 m deeper), dark back out to where it went
    dark, then home."""
    c = _Course(DARK_VOSTOCHNY, h(3.0), DPRK_EXIT)
    c.sail(lerp(DPRK_EXIT, VOSTOCHNY.sea, 0.7))
    c.go_dark()
    c.sail(VOSTOCHNY.sea)
    c.into(VOSTOCHNY, 4, PRODUCTS_BERTH)
    _in_port(c, "vostochny", c.t / HOUR_S + 13, 212)
    c.draught(0.7, 7.1)
    c.out_of(VOSTOCHNY, 4)
    c.sail(lerp(VOSTOCHNY.sea, DPRK_EXIT, 0.3))
    c.come_back()
    c.sail(DPRK_EXIT)
    return c.track


def _dark_at_chongjin() -> Track:
    """Loaded from the east, dark from 36 km short of Chongjin's sea point, 12 h at the berth
    (2.4 m lighter), dark out to 80 km away, then south."""
    c = _Course(DARK_CHONGJIN, h(46.0), CHONGJIN_FROM)
    c.sail(lerp(CHONGJIN_FROM, CHONGJIN.sea, 0.5))
    c.go_dark()
    c.sail(CHONGJIN.sea)
    c.into(CHONGJIN, 1, CHONGJIN_BERTH)
    _in_port(c, "chongjin", c.t / HOUR_S + 12, 250)
    c.draught(0.7, 4.2)
    c.out_of(CHONGJIN, 1)
    c.sail(CHONGJIN_FAR)
    c.come_back()
    c.sail(CHONGJIN_AWAY)
    return c.track


def _sts() -> list[Track]:
    """The supplier waits at the spot; the DPRK tanker lies 170 m from it for 4.5 h below 1 kn
    and reports 2.2 m more draught 3 h in; it leaves first, the supplier 30 minutes later."""
    loader = _Course(STS_TANKER, h(29.0), OFF_DPRK)
    loader.sail(offset(STS_SPOT, *STS_GAP_M))
    arrived = loader.t / HOUR_S
    loader.hold(arrived + 4.5, heading=70, sog=(0.0, 0.8))
    loader.draught(0.67, 7.1)
    loader.sail(DPRK_SOUTH)
    supplier = _Course(STS_SUPPLIER, h(26.0), SUPPLIER_FROM)
    supplier.sail(STS_SPOT, kn=11.0)
    assert supplier.t / HOUR_S < arrived - 1, "the supplier waits for the tanker"
    supplier.hold(arrived + 5.0, heading=250, sog=(0.0, 0.8))
    supplier.sail(SUPPLIER_TO, kn=11.0)
    return [loader.track, supplier.track]


def _chongjin_traffic() -> list[Track]:
    """The coaster through the fence's corner from h 2; the Chinese ship in port h 1-30."""
    coaster = _Course(COASTER, h(2.0), PASS_SOUTH)
    coaster.sail(*NORTHBOUND, kn=9.0)
    cargo = _Course(CHONGJIN_CARGO, h(0.0), CHONGJIN.sea)
    cargo.into(CHONGJIN, 1, CHONGJIN_WEST_BERTH)
    _in_port(cargo, "chongjin", h(30.0), 245)
    cargo.out_of(CHONGJIN, 1)
    cargo.sail(PASS_SOUTH, DPRK_SOUTH)
    return [coaster.track, cargo.track]


def _vostochny_tanker() -> Track:
    """In at h 0, at the second berth until h 6, out towards Busan."""
    c = _Course(VOSTOCHNY_TANKER, h(0.0), VOSTOCHNY.sea)
    c.into(VOSTOCHNY, 4, SECOND_BERTH)
    _in_port(c, "vostochny", h(6.0), 215)
    c.out_of(VOSTOCHNY, 4)
    c.sail(SOUTH_EXIT)
    return c.track


def _crossings() -> list[Track]:
    """Ships under way across the sea, each on a day or two of the four."""
    bulker = _Course(KOREAN_BULKER, h(8.0), (38.6000, 130.6000))
    bulker.sail(EAST_EXIT, kn=11.0)
    japanese = _Course(JAPANESE_CARGO, h(34.0), EAST_EXIT)
    japanese.sail((38.6000, 135.3000), kn=12.0)
    chinese = _Course(CHINESE_CARGO, h(52.0), (38.6000, 131.2000))
    chinese.sail((42.0000, 131.3000))
    korean = _Course(KOREAN_TANKER, h(66.0), SOUTH_EXIT)
    korean.sail((38.6000, 130.2000), kn=11.0)
    russian = _arriving(RUSSIAN_TANKER, EAST_EXIT, (38.6000, 134.0000), 10.5, h(95.5))
    return [bulker.track, japanese.track, chinese.track, korean.track, russian.track]


def _trawler() -> Track:
    """Up and down its beat at 4 kn from h 0.2 for as long as the story lasts."""
    c = _Course(TRAWLER, h(0.2), TRAWL_A)
    to, back = TRAWL_B, TRAWL_A
    while c.t + distance_m(c.pos, to) / METRES_PER_NM / TRAWL_KN * HOUR_S <= h(END_H) * HOUR_S:
        c.sail(to, kn=TRAWL_KN)
        to, back = back, to
    return c.track


@cache
def story() -> tuple[Track, ...]:
    """Every vessel's plan, in MMSI order."""
    tracks = [
        _dark_at_vostochny(), _dark_at_chongjin(), *_sts(), *_chongjin_traffic(),
        _vostochny_tanker(), *_crossings(), _trawler(),
    ]  # fmt: skip
    return tuple(sorted(tracks, key=lambda tr: tr.ship.mmsi))


def track_of(mmsi: int) -> Track:
    """One vessel's plan."""
    return next(tr for tr in story() if tr.ship.mmsi == mmsi)


@cache
def sightings() -> tuple[PlannedSighting, ...]:
    """The two dark tankers at their berths, the DPRK tanker during the meeting, the coaster
    in the corner of Chongjin's fence; in time order."""
    (vostochny,) = [s for s in track_of(DARK_VOSTOCHNY.mmsi).tl.stays if s.at == PRODUCTS_BERTH]
    (chongjin,) = [s for s in track_of(DARK_CHONGJIN.mmsi).tl.stays if s.at == CHONGJIN_BERTH]
    (meeting,) = track_of(STS_TANKER.mmsi).tl.stays
    coaster = track_of(COASTER.mmsi)
    (leg,) = [s for s in coaster.stretches if s.b == PASS_OUT]  # through the fence's corner
    t_coaster = int((leg.t0 + leg.t1) / 2) + 23
    t_sts = int(meeting.t0 + 2.5 * HOUR_S) + 41

    def near(mmsi: int, t: int, north: float, east: float) -> Point:
        return offset(track_of(mmsi).tl.position_at(t), north, east)

    planned = [
        PlannedSighting(
            DARK_AT_VOSTOCHNY, int(vostochny.t0 + 5 * HOUR_S) + 7,
            offset(PRODUCTS_BERTH, 25.0, -20.0), 104.0, "sentinel-1", DARK_VOSTOCHNY.mmsi,
        ),
        PlannedSighting(
            SEEN_AT_CHONGJIN, t_coaster, near(COASTER.mmsi, t_coaster, -20.0, 25.0), 85.0,
            "sentinel-1", COASTER.mmsi,
        ),
        PlannedSighting(
            SEEN_AT_STS, t_sts, near(STS_TANKER.mmsi, t_sts, 15.0, 20.0), 108.0, "sentinel-1",
            STS_TANKER.mmsi,
        ),
        PlannedSighting(
            DARK_AT_CHONGJIN, int(chongjin.t0 + 4 * HOUR_S) + 13,
            offset(CHONGJIN_BERTH, -20.0, 15.0), 96.0, "sentinel-1", DARK_CHONGJIN.mmsi,
        ),
    ]  # fmt: skip
    return tuple(sorted(planned, key=lambda s: s.t))


def records() -> list[AnyRecord]:
    """Everything in the file, in time order, as `at_sea.records` orders its own."""
    return records_from(story(), sightings())


def render() -> bytes:
    """The whole file: one normalized JSON record a line, as `shipwatch decode` prints them."""
    return rendered(records())


def main(argv: Sequence[str] | None = None) -> int:
    """Write the scenario file."""
    return write_main(argv, __doc__, SCENARIO_PATH, render)


if __name__ == "__main__":
    raise SystemExit(main())
