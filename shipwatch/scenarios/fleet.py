"""The cast of the reference scenario: every vessel, its static data and its plan.

The plans are the scenario's single source of truth: the tracks are sampled from them and the
expected alerts are read from them. Names, MMSIs, IMO numbers and call signs are invented; the
IMO numbers carry a wrong check digit on purpose, so none can be a real ship's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipwatch.scenarios.geo import (
    CHONGJIN,
    CHONGJIN_BERTH,
    CHONGJIN_WEST_BERTH,
    DPRK_EXIT,
    EAST_EXIT,
    EDGE_ANCHORAGE,
    NORTHBOUND,
    PASS_NORTH,
    PASS_SOUTH,
    PRODUCTS_BERTH,
    RAJIN,
    RAJIN_BERTH,
    SECOND_BERTH,
    SOUTH_EXIT,
    SOUTHBOUND,
    VOSTOCHNY,
    Point,
    Port,
)

# What each vessel is in the story; the tests pick vessels by it.
Part = Literal["dprk_tanker", "dprk_delivery", "dprk_dark", "dprk_edge", "other_tanker", "passing"]


@dataclass(frozen=True)
class Sail:
    """Under way from the current position through `path` at a steady speed over ground."""

    path: tuple[Point, ...]
    kn: float


@dataclass(frozen=True)
class PortCall:
    """In from `port.sea`, an optional wait at an anchorage, a stay at a berth, out to sea."""

    port: Port
    berth: Point
    berth_h: float
    draft_after: float  # the draught the crew enters while at the berth (loaded or discharged)
    heading: int  # the berth's heading
    anchorage: Point | None = None
    anchor_h: float = 0.0
    anchor_jitter_m: tuple[float, float] = (15.0, 15.0)  # (north, east) GPS scatter at anchor
    dark_in_h: float = 0.0  # no reports for this long before reaching the anchorage or berth
    dark_out_h: float = 0.0  # no reports for this long after leaving the berth
    # Silent all along, from dark_in_h before the first stay until dark_out_h after leaving the
    # berth: one silence that must cover the call from its sea point back to it, so that AIS
    # never shows the call (a dark call).
    hidden: bool = False


Leg = Sail | PortCall


@dataclass(frozen=True)
class Vessel:
    """A vessel's static data (as its AIS rows carry it) and its plan: one continuous track.

    Each vessel is seen from `start` at `start_h` hours after T0 until its last leg ends,
    without a silence of 6 h or more, which the detector would take for an AIS gap, except
    around a hidden call: the dark calls are those gaps.
    """

    mmsi: int
    name: str
    imo: int
    callsign: str
    ship_type: int
    size: tuple[int, int]  # length, width in metres
    draft: float  # draught when first seen
    part: Part
    role: str  # one line for docs/detection.md
    start_h: float
    start: Point
    legs: tuple[Leg, ...]
    cargo: bool = True  # whether the Cargo column repeats the ship type (some feeds leave it empty)
    heading_sensor: bool = True  # without one, Heading is 511 ("not available")

    def calls(self) -> list[PortCall]:
        """Every port call of the plan, in order, fenced ports or not."""
        return [leg for leg in self.legs if isinstance(leg, PortCall)]


def fictional_imo(first6: int) -> int:
    """A well-formed IMO number no ship holds: the first digit made 1 (ships' numbers, from
    Lloyd's Register's series, are 5,000,000 and above), the check digit right, so that the
    integrity rules take it for a real identity (a wrong check digit is `invalid_identity`)."""
    body = 100_000 + first6 % 100_000
    digits = [int(d) for d in f"{body:06d}"]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return body * 10 + check


def load(
    berth_h: float,
    draft: float,
    berth: Point = PRODUCTS_BERTH,
    dark_in_h: float = 0.0,
    dark_out_h: float = 0.0,
) -> PortCall:
    """A loading call at Vostochny."""
    return PortCall(
        VOSTOCHNY, berth, berth_h, draft, 212, dark_in_h=dark_in_h, dark_out_h=dark_out_h
    )


def dark_load(berth_h: float, draft: float, dark_in_h: float, dark_out_h: float) -> PortCall:
    """A loading call at Vostochny's products berth that AIS never shows: a dark call."""
    return PortCall(
        VOSTOCHNY, PRODUCTS_BERTH, berth_h, draft, 212, dark_in_h=dark_in_h,
        dark_out_h=dark_out_h, hidden=True,
    )  # fmt: skip


def chongjin(berth_h: float, draft: float, berth: Point = CHONGJIN_BERTH) -> PortCall:
    """A discharging call at Chongjin."""
    return PortCall(CHONGJIN, berth, berth_h, draft, 58)


def rajin(berth_h: float, draft: float) -> PortCall:
    """A discharging call at Rajin, which no fence watches."""
    return PortCall(RAJIN, RAJIN_BERTH, berth_h, draft, 170)


TO_VOSTOCHNY = Sail((VOSTOCHNY.sea,), 10.0)
TO_CHONGJIN = Sail((CHONGJIN.sea,), 10.0)  # from Vostochny: 149 nm across open sea
TO_RAJIN = Sail((RAJIN.sea,), 10.0)  # from Vostochny: 124 nm
HOME_DPRK = Sail((DPRK_EXIT,), 10.5)  # out of range towards the DPRK's north-east coast
HOME_SOUTH = Sail((PASS_SOUTH,), 10.5)  # from Chongjin out of range down the coast
TO_BUSAN = Sail((SOUTH_EXIT,), 11.0)


def dprk_tanker(
    mmsi: int,
    name: str,
    imo6: int,
    callsign: str,
    size: tuple[int, int],
    light: float,
    part: Part,
    role: str,
    start_h: float,
    legs: tuple[Leg, ...],
    cargo: bool = True,
) -> Vessel:
    """A North Korean-flagged oil-products tanker (AIS type 80), in from the DPRK's coast."""
    return Vessel(
        mmsi, name, fictional_imo(imo6), callsign, 80, size, light, part, role, start_h,
        DPRK_EXIT, (TO_VOSTOCHNY, *legs), cargo,
    )  # fmt: skip


def other_tanker(
    mmsi: int,
    name: str,
    imo6: int,
    callsign: str,
    ship_type: int,
    size: tuple[int, int],
    role: str,
    start_h: float,
    call: PortCall,
    start: Point = SOUTH_EXIT,
    cargo: bool = True,
) -> Vessel:
    """A tanker that loads once at Vostochny, in ballast from `start`, then leaves for Busan."""
    legs = (Sail((VOSTOCHNY.sea,), 11.0), call, TO_BUSAN)
    light = round(call.draft_after - 2.9, 1)  # in ballast
    return Vessel(
        mmsi, name, fictional_imo(imo6), callsign, ship_type, size, light, "other_tanker", role,
        start_h, start, legs, cargo,
    )  # fmt: skip


def passer(
    mmsi: int,
    name: str,
    imo6: int,
    callsign: str,
    size: tuple[int, int],
    draft: float,
    role: str,
    start_h: float,
    kn: float,
    northbound: bool,
    heading_sensor: bool = True,
) -> Vessel:
    """A cargo ship (AIS type 70) along the coast straight through Chongjin's approaches."""
    start, path = (PASS_SOUTH, NORTHBOUND) if northbound else (PASS_NORTH, SOUTHBOUND)
    return Vessel(
        mmsi, name, fictional_imo(imo6), callsign, 70, size, draft, "passing", role, start_h,
        start, (Sail(path, kn),), True, heading_sensor,
    )  # fmt: skip


# The story, in hours after 2024-03-07T00:00Z. Products-berth stays never overlap (a test checks).
# Laid out as a table, one vessel per block, in the helpers' argument order: formatting it one
# argument per line would triple its length and hide the story.
# fmt: off
VESSELS: tuple[Vessel, ...] = (
    dprk_tanker(
        445990101, "KALMAEGI 4", 912345, "HMKA4", (108, 16), 4.8, "dprk_delivery",
        "DPRK tanker: loads at Vostochny and delivers to Chongjin, twice", 2,
        (
            load(14, 7.2), TO_CHONGJIN, chongjin(18, 4.8), TO_VOSTOCHNY, load(13, 7.1),
            TO_CHONGJIN, chongjin(20, 4.8, CHONGJIN_WEST_BERTH), HOME_SOUTH,
        ),
    ),
    dprk_tanker(
        445990102, "TURUMI 2", 912346, "HMTR2", (104, 15), 4.9, "dprk_delivery",
        "DPRK tanker: loads at Vostochny, delivers to Chongjin, comes back and loads again", 186,
        (load(15, 7.4), TO_CHONGJIN, chongjin(16, 4.9), TO_VOSTOCHNY, load(14, 7.3), HOME_DPRK),
    ),
    dprk_tanker(
        445990103, "SAEBIT 11", 912347, "HMSB11", (115, 17), 5.0, "dprk_tanker",
        "DPRK tanker: three loads at Vostochny for Rajin; dark for 2.5 h before the second", 26,
        (
            load(12, 7.4), TO_RAJIN, rajin(18, 5.0), TO_VOSTOCHNY, load(12, 7.3, dark_in_h=2.5),
            TO_RAJIN, rajin(18, 5.0), TO_VOSTOCHNY, load(12, 7.4), HOME_DPRK,
        ),
    ),
    dprk_tanker(
        445990104, "NARAE 8", 912348, "HMNR8", (101, 15), 4.6, "dprk_tanker",
        "DPRK tanker: three loads at Vostochny for Rajin; dark for 2.5 h after the first", 300,
        (
            load(14, 6.9, dark_out_h=2.5), TO_RAJIN, rajin(20, 4.6), TO_VOSTOCHNY, load(14, 7.0),
            TO_RAJIN, rajin(20, 4.6), TO_VOSTOCHNY, load(14, 6.9), HOME_DPRK,
        ),
    ),
    dprk_tanker(
        445990105, "HAEDOJI 5", 912349, "HMHD5", (112, 16), 4.7, "dprk_tanker",
        "DPRK tanker: two loads for Rajin; silent from 3 h out until moored, dark on leaving",
        104,
        (
            load(14, 7.1, dark_in_h=3.0), TO_RAJIN, rajin(16, 4.7), TO_VOSTOCHNY,
            load(14, 7.2, dark_out_h=2.0), HOME_DPRK,
        ),
        cargo=False,
    ),
    dprk_tanker(
        445990106, "MIRINAE 6", 912350, "HMMR6", (118, 18), 5.2, "dprk_edge",
        "DPRK tanker: a day at anchor 100 m inside Vostochny's west edge, GPS scatter of "
        "±150 m across it, then loads at the products berth", 262,
        (
            PortCall(
                VOSTOCHNY, PRODUCTS_BERTH, 12, 7.6, 212, anchorage=EDGE_ANCHORAGE, anchor_h=24,
                anchor_jitter_m=(30.0, 150.0),
            ),
            HOME_DPRK,
        ),
    ),
    dprk_tanker(
        445990107, "HANURI 7", 912351, "HMHN7", (106, 16), 4.7, "dprk_dark",
        "DPRK tanker: silent for 19.5 h from 34 km off Vostochny to 25 km off, loads unseen "
        "there, delivers to Chongjin", 44,
        (dark_load(13, 7.1, 3.5, 3.0), TO_CHONGJIN, chongjin(17, 4.7), HOME_SOUTH),
    ),
    dprk_tanker(
        445990108, "PADO 12", 912352, "HMPD12", (110, 16), 4.9, "dprk_dark",
        "DPRK tanker: silent for 14 h from 17 km off Vostochny and back, loads unseen there, "
        "delivers to Chongjin", 204,
        (
            dark_load(9, 7.4, 2.5, 2.5), TO_CHONGJIN, chongjin(15, 4.9, CHONGJIN_WEST_BERTH),
            HOME_SOUTH,
        ),
    ),
    other_tanker(
        273990201, "KEDROVAYA PAD", 923451, "UBKP7", 80, (120, 18),
        "Russian tanker: loads at Vostochny's second berth, leaves for Busan", 10,
        load(16, 8.4, SECOND_BERTH),
    ),
    other_tanker(
        273990202, "TIKHAYA BUKHTA", 923452, "UFTB3", 84, (117, 17),
        "Russian tanker: loads at the products berth while MIRINAE 6 waits at anchor", 270,
        load(14, 8.0),
    ),
    other_tanker(
        273990203, "SOBOLINY MYS", 923453, "UCSM5", 89, (110, 16),
        "Russian tanker: loads at the second berth, leaves for Busan", 130,
        load(14, 7.8, SECOND_BERTH), cargo=False,
    ),
    other_tanker(
        273990204, "ZELYONY OSTROV", 923454, "UBZO2", 80, (114, 17),
        "Russian tanker: loads at the second berth, leaves for Busan", 420,
        load(15, 8.2, SECOND_BERTH),
    ),
    other_tanker(
        636990301, "AMBER CORMORANT", 934561, "D5CM8", 80, (120, 18),
        "Liberian-flagged tanker: in from the east, loads once, leaves for Busan", 230,
        load(20, 8.6, SECOND_BERTH), EAST_EXIT,
    ),
    other_tanker(
        538990302, "CORAL PETREL", 934562, "V7CP4", 81, (119, 17),
        "Marshall Islands-flagged tanker: loads once, leaves for Busan", 330,
        load(18, 8.5, SECOND_BERTH),
    ),
    passer(
        273990401, "YANTARNY BEREG", 945671, "UBYB2", (96, 15), 5.9,
        "Russian cargo ship: southbound past Chongjin at 12 kn, never stopping", 40, 12.0, False,
    ),
    passer(
        445990402, "SONGGOL 9", 945672, "HMSG9", (84, 13), 5.2,
        "DPRK cargo ship: northbound past Chongjin at 10.5 kn; a watched flag, but a transit "
        "is no port call", 90, 10.5, True,
    ),
    passer(
        352990403, "LAPIS TERN", 945673, "3EXL6", (110, 17), 6.3,
        "Panamanian bulk carrier: northbound past Chongjin at 13 kn; no heading sensor", 260,
        13.0, True, heading_sensor=False,
    ),
    passer(
        412990404, "DONG HAI XING 8", 945674, "BQDX8", (98, 16), 6.0,
        "Chinese cargo ship: southbound past Chongjin at 11 kn", 335, 11.0, False,
    ),
)
# fmt: on
