"""The integrity story: identities and positions that lie, in the Sea of Japan, March 2024.

From 2024-03-12T00:00Z over 36 hours, as normalized JSON lines (positions, static reports,
satellite scenes and their sightings, in time order), 26 vessels in these cases:

- identity_conflict: a DPRK tanker at Vostochny and a Sierra Leone tanker 270-500 km out at
  sea broadcast the same IMO number for the whole story; a DPRK cargo ship off Chongjin and a
  Chinese one 400 km away broadcast the same name and dimensions, and no IMO number;
- invalid_identity: a Russian tanker at Vostochny whose IMO number fails its check digit; a
  cargo ship at Vostochny whose MMSI's MID (420) is no country's; a Palau-flagged tanker at
  Chongjin under the IMO number of a tanker scrapped in 2019 (`integrity-status.csv`);
- identity_swap: a DPRK tanker falls silent at sea; four hours later, 60 km away, a Comoros
  tanker never seen before starts transmitting, of the same type and within 2 % of its size;
- position_tampering: a DPRK cargo ship reports 23 consecutive fixes up to 21 km inland on
  the DPRK's coast (`on_land`); another's track jumps three times in three hours to places
  40 km off and back (`jumps`); a DPRK tanker reports a position 44 km inside a Sentinel-1
  scene that saw a fishing vessel and two unidentified ships elsewhere, and nothing there
  (`not_in_imagery`);
- and what must raise none of that: two vessels with no IMO number and the same empty name,
  far apart; a re-flag in port (a DPRK tanker stops at Vostochny's second berth, a Togo-flagged
  one with its IMO number starts there 8 hours later); a single glitch; a DPRK tanker moored at
  Wrangel Bay's east quay, which the drawn coastline puts 450 m on land, and a Chinese ship at
  Chongjin's west berth; a DPRK cargo ship inside a scene that saw it, and a DPRK fishing boat
  in the same scene too small for it; a tanker of the swap's size already transmitting before
  the silence; three ships jumping together three times to the same spot (GNSS interference:
  an event, no alert); a bulk carrier with a bad IMO number far from every watched port (an
  event, no alert); a ship whose IMO number the status list says will be scrapped in May 2024.

The plan is this module's data: `PLAN` (the alerts, one per case) and `NEGATIVES` (the vessels
of each negative, which raise no alert of the integrity kinds). The functions below read each
case back off the plan with the rules restated (docs/detection.md, "Integrity"), never from
the code under test; the tests check the plan against them and the detector against the plan.

Static reports come a second after a vessel's first position and every 3 hours, as in the
other stories, except for two vessels whose first static report comes a second before it
(`STATIC_FIRST`: a receiver may hear either first): the tanker with the bad check digit and the
new identity.

MMSIs, names, call signs and IMO numbers are invented. The IMO numbers lie in the 4000000s,
below Lloyd's Register's series of ships' numbers (5000000 and up) and apart from the other
stories' (1000000s); every one carries a right check digit except the two that must not.
`integrity-status.csv` (the status list of the zombie) is as invented as the rest: real ones
come from lists of scrapped and lost ships (docs/identity-lists.md); none is bundled.

Regenerate both files (byte-identical for the same code) with `python -m
shipwatch.scenarios.integrity --out shipwatch/scenarios/data/integrity.jsonl --status
shipwatch/scenarios/data/integrity-status.csv`, and point SHIPWATCH_IDENTITY_STATUS_FILES at
the CSV to run it.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from pyais.constants import COUNTRY_MAPPING

from shipwatch.ais.records import Position, Static
from shipwatch.scenarios.at_sea import (  # at_sea's building blocks, private ones included
    PORT_EVERY,
    PORT_SCATTER_M,
    STATIC_EVERY_S,
    Ship,
    Track,
    _arriving,  # private in at_sea: a course timed to be somewhere at a given hour
    _Course,  # private in at_sea: the leg-by-leg planner every at-sea plan is laid out with
    _reports,  # private in at_sea: a track's report times, drawn from its generator
    sampled_position,
)
from shipwatch.scenarios.geo import (
    CHONGJIN,
    CHONGJIN_BERTH,
    CHONGJIN_WEST_BERTH,
    EDGE_ANCHORAGE,
    METRES_PER_NM,
    PORTS,
    PRODUCTS_BERTH,
    SECOND_BERTH,
    VOSTOCHNY,
    Point,
    distance_m,
    lerp,
    offset,
)
from shipwatch.scenarios.tracks import AT_ANCHOR, HOUR_S, MOORED

SEED = 20240312
T0 = datetime(2024, 3, 12, tzinfo=UTC)
END_H = 36.0  # every plan ends by then
SCENARIO_PATH = Path(__file__).parent / "data" / "integrity.jsonl"
STATUS_PATH = Path(__file__).parent / "data" / "integrity-status.csv"

# The integrity rules (docs/detection.md, "Integrity"; shipwatch/integrity/thresholds.py),
# restated so that the plan does not come from the code under test.
WATCHED_MID = "445"  # the story's watched vessels: DPRK-flagged
PORT_RADIUS_M = 50_000.0  # any vessel this near a watched port's fence is in scope too
FEASIBLE_KN = 25.0  # one ship cannot join two fixes faster than this ...
FEASIBLE_SLACK_M = 2_000.0  # ... allowing this much position error
SWAP_SIZE_TOLERANCE = 0.05  # a new identity's length and beam each within 5 %
SWAP_WINDOW_S = 48 * 3600.0  # ... starting this soon after the silence
SWAP_SPEED_KN = 15.0  # ... where the silent vessel could have got at this speed
SWAP_QUIET_S = 3600.0  # the plan's view of "silent": no report for this long (margin: 4 h)
ON_LAND_FIXES = 3  # consecutive fixes ...
ON_LAND_M = 1_000.0  # ... this far inland, outside every fence
JUMPS_MIN = 3  # impossible jumps ...
JUMPS_WINDOW_S = 6 * 3600.0  # ... within this long
INTERFERENCE_VESSELS = 3  # this many vessels jumping ...
INTERFERENCE_RADIUS_M = 50_000.0  # ... this near each other ...
INTERFERENCE_WINDOW_S = 3600.0  # ... in this long: GNSS interference, not tampering
SCENE_INSIDE_M = 1_000.0  # a position this far inside a scene's footprint ...
SIGHTING_MATCH_M = 1_000.0  # ... with no sighting of it this near (plus half the length)

# Where it happens.
EAST_QUAY = offset(PRODUCTS_BERTH, 0.0, 1500.0)  # Wrangel Bay's east side: drawn 450 m on land
X_ANCHORAGE = lerp(VOSTOCHNY.approach[1], VOSTOCHNY.approach[2], 0.4)  # in Nakhodka Bay
WRANGEL_ANCHORAGE = lerp(VOSTOCHNY.approach[2], VOSTOCHNY.approach[3], 0.3)  # at_sea's
CHONGJIN_LOOP = (CHONGJIN.sea, (41.4000, 130.3000), (41.6200, 130.6200))
# The swap: where the tanker falls silent (200 km from every port), and where the new one begins.
SILENT_AT = (40.9000, 134.0000)
NEW_AT = offset(SILENT_AT, -45_000.0, -40_000.0)  # 60 km south-west
SILENT_H, NEW_H = 10.0, 14.0
# On land: from 17 km off the DPRK's coast 60 km south of Chongjin, 21 km inland, back out.
COAST_IN, INLAND, COAST_OUT = (41.1500, 129.9200), (41.2300, 129.4700), (41.3000, 129.9500)
# GNSS interference: three ships 8 km apart on parallel courses, all placed at one spot.
JAM_CENTRE = (40.4500, 130.5000)
JAM_SPOT = offset(JAM_CENTRE, 20_000.0, -20_000.0)  # 28 km north-west of the middle line
JAM_H = (24.0, 25.5, 27.0)
# Satellite scenes: when (hours after T0), and where the vessels of each are then.
SCENE_A, SCENE_A_H = "S1A-20240312-0007", 20 + 17 / 60 + 39 / 3600  # 20:17:39Z
SCENE_B, SCENE_B_H = "S1A-20240313-0002", 29 + 41 / 60 + 7 / 3600  # 05:41:07Z next day
HIDDEN_AT = (39.5500, 132.1000)  # the tanker scene A does not see
FISHING_AT = (39.3500, 131.8000)  # the fishing vessel scene A sees
SEEN_AT = (38.9500, 134.4500)  # the cargo ship scene B sees
SMALL_AT = (38.8000, 134.9000)  # the fishing boat scene B is too coarse for
JUMPS_H = (18.0, 19.5, 21.0)  # the tampering vessel's three jumps
GLITCH_H = 12.0  # the single glitch


def imo_check(first6: int) -> int:
    """The check digit of an IMO number: its first six digits weighted 7 to 2, summed, the
    sum's last digit (the rule restated)."""
    return sum(int(d) * w for d, w in zip(f"{first6:06d}", range(7, 1, -1), strict=True)) % 10


def good_imo(first6: int) -> int:
    """A 7-digit IMO number with a right check digit."""
    return first6 * 10 + imo_check(first6)


def bad_imo(first6: int) -> int:
    """A 7-digit IMO number whose check digit is wrong."""
    return first6 * 10 + (imo_check(first6) + 5) % 10


def imo_valid(imo: int) -> bool:
    """Whether a 7-digit IMO number's check digit is right."""
    return 1_000_000 <= imo <= 9_999_999 and imo_check(imo // 10) == imo % 10


def mid_known(mmsi: int) -> bool:
    """Whether a ship station's MMSI begins with a country's MID (pyais's table)."""
    return int(str(mmsi).zfill(9)[:3]) in COUNTRY_MAPPING


@dataclass(frozen=True)
class Vessel:
    """A vessel's identity as its static reports give it, and its part in the story."""

    mmsi: int
    name: str
    imo: int | None
    callsign: str
    ship_type: int
    size: tuple[int, int]  # length, beam in metres
    draught: float
    part: str  # the case it is in; the tests pick vessels by it
    role: str

    @property
    def watched(self) -> bool:
        """The story's rule: DPRK-flagged (MID 445) vessels are watched."""
        return str(self.mmsi).startswith(WATCHED_MID)

    @property
    def ship(self) -> Ship:
        """at_sea's form of it, for its planner (whose IMO number is not this one's)."""
        length, beam = self.size
        return Ship(self.mmsi, self.name, 0, self.callsign, self.ship_type, (length, beam),
                    self.draught, self.part, self.role)  # fmt: skip


# The cast. MMSIs, names, IMO numbers and call signs are invented.
# fmt: off
SHARED_IMO = good_imo(471203)  # the IMO number two ships broadcast at once
REFLAG_IMO = good_imo(471217)  # the re-flagged tanker's, under both flags
ZOMBIE_IMO = good_imo(438815)  # a tanker scrapped in 2019 (integrity-status.csv)
LATER_SCRAPPED_IMO = good_imo(461102)  # a ship to be scrapped in May 2024
LOST_IMO = good_imo(442907)  # a ship lost in 2021; nobody broadcasts it
CONFLICT_AT_PORT = Vessel(
    445992201, "SONGAK 12", SHARED_IMO, "HMSG12", 80, (88, 13), 5.2, "imo_conflict",
    "DPRK tanker: at anchor in Vostochny's fence under an IMO number a ship far out at sea "
    "broadcasts too")
CONFLICT_AT_SEA = Vessel(
    667992202, "MARINE GRACE", SHARED_IMO, "9LMG2", 80, (118, 18), 7.4, "imo_conflict",
    "Sierra Leone tanker: 270-500 km from Vostochny, with the same IMO number")
NAME_OFF_CHONGJIN = Vessel(
    445992203, "HAEDANG 5", None, "HMHD5", 70, (84, 13), 5.0, "name_conflict",
    "DPRK cargo ship: round a loop off Chongjin, no IMO number, a name and size a ship "
    "400 km away has too")
NAME_AT_SEA = Vessel(
    412992204, "HAEDANG 5", None, "BQHD5", 70, (84, 13), 5.1, "name_conflict",
    "Chinese cargo ship: the same name and size, 400 km out at sea")
BAD_CHECK_DIGIT = Vessel(
    273992205, "PRIMORETS 14", bad_imo(452318), "UBPR4", 80, (80, 12), 4.9, "bad_imo",
    "Russian tanker: at anchor in Wrangel Bay, its IMO number failing its check digit")
NO_COUNTRY = Vessel(
    420992206, "STAR ORIENT", good_imo(452319), "T2SO6", 70, (102, 16), 6.0, "bad_mid",
    "cargo ship: in from sea to an anchorage in Vostochny's fence, its MMSI's MID (420) no "
    "country's")
ZOMBIE = Vessel(
    511992207, "SEA BREEZE 3", ZOMBIE_IMO, "T8SB3", 80, (96, 15), 5.6, "zombie",
    "Palau tanker: in to Chongjin's berth under the name and IMO number of a tanker scrapped "
    "in 2019")
SILENT = Vessel(
    445992208, "BAEKMA 3", good_imo(471208), "HMBM3", 80, (104, 16), 5.3, "swap_silent",
    "DPRK tanker: falls silent at sea at h 10, 200 km from every port")
NEW_IDENTITY = Vessel(
    620992209, "ASIA SPIRIT", good_imo(471209), "D6AS9", 80, (106, 16), 5.4, "swap_new",
    "Comoros tanker, never seen before: starts transmitting at h 14, 60 km from where the DPRK "
    "tanker fell silent")
ON_LAND = Vessel(
    445992210, "RAKWON 8", good_imo(471210), "HMRW8", 70, (78, 12), 4.6, "on_land",
    "DPRK cargo ship: its track runs 21 km inland on the DPRK's coast and back out")
JUMPER = Vessel(
    445992211, "JANGSAN 2", good_imo(471211), "HMJS2", 70, (72, 11), 4.2, "jumps",
    "DPRK cargo ship: three single fixes 35-40 km off its track in three hours")
HIDDEN = Vessel(
    445992212, "SAMHAE 6", good_imo(471212), "HMSH6", 80, (112, 17), 5.8, "not_in_imagery",
    "DPRK tanker: reports a position 44 km inside a satellite scene that saw nothing there")
ALREADY_THERE = Vessel(
    667992213, "BRIGHT HORIZON", good_imo(471213), "9LBH3", 80, (104, 16), 6.1, "swap_size_twin",
    "Sierra Leone tanker of the silent tanker's size: transmitting since h 0, within its reach "
    "after the silence")
REFLAG_BEFORE = Vessel(
    445992214, "CHOLSAN 9", REFLAG_IMO, "HMCS9", 80, (120, 18), 6.8, "reflag",
    "DPRK tanker: at Vostochny's second berth until h 8, then silent")
REFLAG_AFTER = Vessel(
    671992215, "GOLDEN JADE", REFLAG_IMO, "5VGJ5", 80, (120, 18), 6.8, "reflag",
    "Togo tanker: the same ship re-flagged, transmitting from the same berth from h 16")
AT_QUAY = Vessel(
    445992216, "YUSON 4", good_imo(471216), "HMYS4", 80, (90, 13), 6.3, "moored_near_shore",
    "DPRK tanker: moored all story at Wrangel Bay's east quay, 450 m inside the drawn land")
NAMELESS_WATCHED = Vessel(
    445992217, "", None, "", 30, (24, 6), 2.1, "no_imo_no_name",
    "DPRK fishing boat: no IMO number, an empty name; in scene B, too small for it")
NAMELESS_FAR = Vessel(
    412992218, "", None, "", 30, (24, 6), 2.2, "no_imo_no_name",
    "Chinese fishing boat: no IMO number, the same empty name and size, 350 km away")
GLITCH = Vessel(
    445992219, "PIRYU 1", good_imo(471219), "HMPR1", 70, (66, 10), 4.0, "single_glitch",
    "DPRK cargo ship: one fix 45 km off its track")
SEEN = Vessel(
    445992220, "SOKCHON 5", good_imo(471220), "HMSC5", 70, (92, 14), 5.5, "seen_in_scene",
    "DPRK cargo ship: inside scene B, which saw it")
JAMMED_1 = Vessel(
    445992221, "KALMA 2", good_imo(471221), "HMKM2", 70, (76, 12), 4.5, "gnss_interference",
    "DPRK cargo ship: placed at one spot three times with two other ships")
JAMMED_2 = Vessel(
    445992222, "KALMA 5", good_imo(471222), "HMKM5", 70, (82, 13), 4.8, "gnss_interference",
    "DPRK cargo ship: the same jumps, 8 km south-east of it")
JAMMED_3 = Vessel(
    412992223, "XIN HAI 21", good_imo(471223), "BQXH1", 70, (98, 16), 5.9, "gnss_interference",
    "Chinese cargo ship: the same jumps, 8 km north-west of it")
AT_CHONGJIN = Vessel(
    412992224, "HAI XING 12", LATER_SCRAPPED_IMO, "BQHX2", 70, (100, 16), 5.7, "in_port",
    "Chinese cargo ship: at Chongjin's west berth all story; the status list has it scrapped "
    "in May 2024, after the story")
FISHER = Vessel(
    412992225, "LU RONG YU 66", good_imo(471225), "BZLR6", 30, (44, 8), 3.0, "scene_fisher",
    "Chinese fishing vessel: adrift inside scene A, which saw it")
FAR_BAD_IMO = Vessel(
    440992226, "DONGBANG STAR", bad_imo(452326), "DSDB6", 70, (150, 24), 8.8, "far_bad_imo",
    "Korean bulk carrier: an IMO number failing its check digit, 300 km from every watched "
    "port")
# fmt: on
CAST = (
    CONFLICT_AT_PORT,
    CONFLICT_AT_SEA,
    NAME_OFF_CHONGJIN,
    NAME_AT_SEA,
    BAD_CHECK_DIGIT,
    NO_COUNTRY,
    ZOMBIE,
    SILENT,
    NEW_IDENTITY,
    ON_LAND,
    JUMPER,
    HIDDEN,
    ALREADY_THERE,
    REFLAG_BEFORE,
    REFLAG_AFTER,
    AT_QUAY,
    NAMELESS_WATCHED,
    NAMELESS_FAR,
    GLITCH,
    SEEN,
    JAMMED_1,
    JAMMED_2,
    JAMMED_3,
    AT_CHONGJIN,
    FISHER,
    FAR_BAD_IMO,
)  # fmt: skip


class StatusEntry(NamedTuple):
    """A line of the identity status list: imo,status,date,name,source."""

    imo: int
    status: str
    on: date
    name: str
    source: str


STATUS_SOURCE = "invented for the shipwatch integrity story"
STATUS = (
    StatusEntry(ZOMBIE_IMO, "scrapped", date(2019, 8, 14), ZOMBIE.name, STATUS_SOURCE),
    StatusEntry(LOST_IMO, "lost", date(2021, 11, 2), "NAM HAE 7", STATUS_SOURCE),
    StatusEntry(LATER_SCRAPPED_IMO, "scrapped", date(2024, 5, 20), AT_CHONGJIN.name,
                STATUS_SOURCE),
)  # fmt: skip


# The plan.
class ExpectedAlert(NamedTuple):
    """An alert the story must raise: kind, vessel, severity, `evidence.reason` (for the kinds
    that have one), `evidence.other_mmsi` (identity_conflict), `evidence.candidates`
    (identity_swap)."""

    kind: str
    mmsi: int
    severity: str
    reason: str | None = None
    other_mmsi: int | None = None
    candidates: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[str, int, str, str | None]:
        """What two alerts of the story are told apart by."""
        return self.kind, self.mmsi, self.severity, self.reason


INTEGRITY_KINDS = ("identity_conflict", "invalid_identity", "identity_swap", "position_tampering")
PLAN: tuple[ExpectedAlert, ...] = (
    ExpectedAlert("identity_conflict", CONFLICT_AT_PORT.mmsi, "critical",
                  other_mmsi=CONFLICT_AT_SEA.mmsi),
    ExpectedAlert("identity_conflict", NAME_OFF_CHONGJIN.mmsi, "critical",
                  other_mmsi=NAME_AT_SEA.mmsi),
    ExpectedAlert("invalid_identity", BAD_CHECK_DIGIT.mmsi, "warning", "imo_check_digit"),
    ExpectedAlert("invalid_identity", NO_COUNTRY.mmsi, "warning", "mid"),
    ExpectedAlert("invalid_identity", ZOMBIE.mmsi, "critical", "zombie"),
    ExpectedAlert("identity_swap", SILENT.mmsi, "critical", candidates=(NEW_IDENTITY.mmsi,)),
    ExpectedAlert("position_tampering", ON_LAND.mmsi, "warning", "on_land"),
    ExpectedAlert("position_tampering", JUMPER.mmsi, "warning", "jumps"),
    ExpectedAlert("position_tampering", HIDDEN.mmsi, "critical", "not_in_imagery"),
)  # fmt: skip
# The negatives: none of these vessels has an alert of an integrity kind.
NEGATIVES: dict[str, tuple[int, ...]] = {
    "no_imo_same_empty_name": (NAMELESS_WATCHED.mmsi, NAMELESS_FAR.mmsi),
    "sequential_reflag": (REFLAG_BEFORE.mmsi, REFLAG_AFTER.mmsi),
    "single_glitch": (GLITCH.mmsi,),
    "moored_near_shore": (AT_QUAY.mmsi, AT_CHONGJIN.mmsi),
    "seen_by_scene": (SEEN.mmsi, FISHER.mmsi),
    "smaller_than_scene_resolves": (NAMELESS_WATCHED.mmsi,),
    "already_transmitting": (ALREADY_THERE.mmsi,),
    "gnss_interference": (JAMMED_1.mmsi, JAMMED_2.mmsi, JAMMED_3.mmsi),
    "out_of_scope_bad_imo": (FAR_BAD_IMO.mmsi,),
    "scrapped_after_the_story": (AT_CHONGJIN.mmsi,),
    "other_side_out_of_scope": (CONFLICT_AT_SEA.mmsi, NAME_AT_SEA.mmsi, NEW_IDENTITY.mmsi),
}
# Vessels whose first static report comes a second before their first position (a receiver
# may hear either first): their identity is known from their first fix on.
STATIC_FIRST = frozenset({BAD_CHECK_DIGIT.mmsi, NEW_IDENTITY.mmsi})
# Events the story must make without an alert.
INTERFERENCE = (JAMMED_1.mmsi, JAMMED_2.mmsi, JAMMED_3.mmsi)  # gnss_interference
OUT_OF_SCOPE = ((FAR_BAD_IMO.mmsi, "imo_check_digit"),)  # invalid_identity events


# The tracks.
@dataclass
class Planned:
    """One vessel of the story: its identity, its plan in time, and the fixes it reports
    somewhere else than it is (one each: the next one is back on its track)."""

    vessel: Vessel
    track: Track
    jumps: tuple[tuple[float, Point], ...] = ()  # (from this time, the place claimed)

    @property
    def mmsi(self) -> int:
        """Its MMSI."""
        return self.vessel.mmsi


def _h(hours: float) -> float:
    return hours * HOUR_S


def _clip(course: _Course, end_h: float = END_H) -> Track:
    """The course's track, cut at `end_h` (a stretch under way then ends where it is)."""
    end = _h(end_h)
    track = course.track
    kept = []
    for s in track.stretches:
        if s.t0 >= end:
            break
        if s.t1 > end:
            b = lerp(s.a, s.b, (end - s.t0) / (s.t1 - s.t0)) if s.kn else s.b
            s = replace(s, t1=end, b=b)
        kept.append(s)
    track.stretches[:] = kept
    track.tl.motions[:] = kept
    track.tl.stays[:] = [replace(st, t1=min(st.t1, end)) for st in track.tl.stays if st.t0 < end]
    return track


def _moored(v: Vessel, at: Point, from_h: float, to_h: float, heading: int,
            status: int = MOORED) -> Track:  # fmt: skip
    c = _Course(v.ship, from_h, at)
    c.hold(to_h, "port", status, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, heading)
    return c.track


def _port_cases() -> list[Planned]:
    """Vostochny and Chongjin: the conflict's DPRK side, the bad IMO and MID, the zombie, the
    re-flag, the moored tanker, the Chinese ship at Chongjin, the name conflict's loop."""
    conflict = _Course(CONFLICT_AT_PORT.ship, 0.5, VOSTOCHNY.sea)
    conflict.into(VOSTOCHNY, 2, EDGE_ANCHORAGE)
    conflict.hold(END_H, "vostochny", AT_ANCHOR, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 200)
    no_country = _Course(NO_COUNTRY.ship, 0.3, VOSTOCHNY.sea)
    no_country.into(VOSTOCHNY, 2, X_ANCHORAGE)
    no_country.hold(END_H, "vostochny", AT_ANCHOR, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 190)
    zombie = _Course(ZOMBIE.ship, 0.8, CHONGJIN.sea)
    zombie.into(CHONGJIN, 1, CHONGJIN_BERTH)
    zombie.hold(END_H, "chongjin", MOORED, PORT_EVERY, (0.0, 0.1), PORT_SCATTER_M, 250)
    loop = _Course(NAME_OFF_CHONGJIN.ship, 1.0, CHONGJIN.sea)
    for _ in range(4):
        loop.sail(*CHONGJIN_LOOP[1:], CHONGJIN_LOOP[0], kn=7.0)
    return [
        Planned(CONFLICT_AT_PORT, conflict.track),
        Planned(NO_COUNTRY, no_country.track),
        Planned(ZOMBIE, zombie.track),
        Planned(NAME_OFF_CHONGJIN, _clip(loop)),
        Planned(BAD_CHECK_DIGIT, _moored(BAD_CHECK_DIGIT, WRANGEL_ANCHORAGE, 0.05, END_H, 245,
                                         AT_ANCHOR)),
        Planned(REFLAG_BEFORE, _moored(REFLAG_BEFORE, SECOND_BERTH, 0.1, 8.0, 215)),
        Planned(REFLAG_AFTER, _moored(REFLAG_AFTER, SECOND_BERTH, 16.0, END_H, 215)),
        Planned(AT_QUAY, _moored(AT_QUAY, EAST_QUAY, 0.2, END_H, 195)),
        Planned(AT_CHONGJIN, _moored(AT_CHONGJIN, CHONGJIN_WEST_BERTH, 0.15, END_H, 245)),
    ]  # fmt: skip


def _far_sides() -> list[Planned]:
    """The other sides of the conflicts, far out at sea, and the far bad IMO number."""
    imo_twin = _Course(CONFLICT_AT_SEA.ship, 0.3, (39.4000, 137.2000))
    imo_twin.sail((40.3000, 132.8000), (39.2000, 131.6000), kn=9.0)
    name_twin = _Course(NAME_AT_SEA.ship, 0.8, (39.0000, 133.0000))
    name_twin.sail((39.6000, 135.8000), (38.8000, 137.2000), kn=7.0)
    bulker = _Course(FAR_BAD_IMO.ship, 0.1, (38.6000, 131.0000))
    bulker.sail((38.9500, 136.0000), kn=11.0)
    return [
        Planned(CONFLICT_AT_SEA, _clip(imo_twin)),
        Planned(NAME_AT_SEA, _clip(name_twin)),
        Planned(FAR_BAD_IMO, _clip(bulker)),
    ]


def _swap() -> list[Planned]:
    """The DPRK tanker silent at SILENT_AT from h 10; the new tanker from h 14 at NEW_AT; the
    tanker of the same size under way since h 0, passing 60 km from SILENT_AT after h 14."""
    silent = _arriving(SILENT.ship, (41.9000, 135.3000), SILENT_AT, 10.0, SILENT_H)
    new = _Course(NEW_IDENTITY.ship, NEW_H, NEW_AT)
    new.sail((39.6000, 132.9000), (38.9000, 131.4000), kn=8.0)
    twin = _Course(ALREADY_THERE.ship, 0.05, (39.3000, 135.9000))
    twin.sail((40.6000, 133.2000), (41.4000, 131.6000), kn=9.0)
    return [
        Planned(SILENT, silent.track),
        Planned(NEW_IDENTITY, _clip(new)),
        Planned(ALREADY_THERE, _clip(twin)),
    ]


def _tampering() -> list[Planned]:
    """On land from about h 4.5; three jumps at JUMPS_H; one glitch at GLITCH_H."""
    land = _Course(ON_LAND.ship, 0.5, (40.7000, 130.6000))
    land.sail(COAST_IN, INLAND, COAST_OUT, (41.9000, 130.9000), (42.2000, 131.8000),
              (41.4000, 132.6000), (40.6000, 133.4000), (40.1000, 134.6000), kn=10.0)  # fmt: skip
    jumper = _Course(JUMPER.ship, 0.5, (42.2000, 138.0000))
    jumper.sail(
        (41.6000, 135.2000), (40.4000, 135.8000), (39.6000, 137.0000), (39.0000, 138.0000), kn=8.0
    )
    track = _clip(jumper)
    where = [track.tl.position_at(_h(t)) for t in JUMPS_H]
    jumps = (
        (_h(JUMPS_H[0]), offset(where[0], 35_000.0, 10_000.0)),
        (_h(JUMPS_H[1]), offset(where[1], -5_000.0, -40_000.0)),
        (_h(JUMPS_H[2]), offset(where[2], -30_000.0, 25_000.0)),
    )
    glitch = _Course(GLITCH.ship, 0.2, (38.6000, 133.0000))
    glitch.sail(
        (39.3000, 135.0000), (40.2000, 136.4000), (41.2000, 137.6000), (41.9000, 138.6000), kn=9.0
    )
    glitch_track = _clip(glitch)
    off = offset(glitch_track.tl.position_at(_h(GLITCH_H)), 45_000.0, 0.0)
    return [
        Planned(ON_LAND, _clip(land)),
        Planned(JUMPER, track, jumps),
        Planned(GLITCH, glitch_track, ((_h(GLITCH_H), off),)),
    ]


def _jammed() -> list[Planned]:
    """Three ships north-east at 7 kn on lines 8 km apart, through JAM_CENTRE's area from
    h 20; each placed at JAM_SPOT once at each of JAM_H (a few minutes apart)."""
    out = []
    for i, v in enumerate((JAMMED_1, JAMMED_2, JAMMED_3)):
        side = (0.0, 5_660.0, -5_660.0)[i]  # metres off the middle line, to the south-east
        through = offset(JAM_CENTRE, -side, side)
        start = offset(through, -50_000.0, -50_000.0)
        c = _arriving(v.ship, start, through, 7.0, 25.5)
        c.sail(offset(through, 120_000.0, 120_000.0), kn=7.0)
        jumps = tuple((_h(t) + 240.0 * i, JAM_SPOT) for t in JAM_H)
        out.append(Planned(v, _clip(c), jumps))
    return out


def _scenes() -> list[Planned]:
    """Scene A's tanker and fishing vessel, scene B's cargo ship and fishing boat; the far
    fishing boat of the same empty name."""
    hidden = _arriving(HIDDEN.ship, (38.8500, 130.9000), HIDDEN_AT, 10.0, SCENE_A_H)
    hidden.sail((40.3000, 133.8000), (40.9000, 135.2000), kn=10.0)
    fisher = _arriving(FISHER.ship, (38.7000, 130.6000), FISHING_AT, 8.0, 16.0)
    fisher.drift(offset(FISHING_AT, 2_500.0, 2_000.0), 24.0)
    fisher.sail((38.7000, 130.6000), kn=8.0)
    seen = _arriving(SEEN.ship, (38.4000, 132.2000), SEEN_AT, 9.0, SCENE_B_H)
    seen.sail((39.6000, 136.2000), kn=9.0)
    small = _arriving(NAMELESS_WATCHED.ship, (38.5000, 133.4000), SMALL_AT, 6.0, SCENE_B_H)
    small.sail((39.1000, 136.0000), kn=6.0)
    far = _Course(NAMELESS_FAR.ship, 0.4, (41.7000, 136.4000))
    for _ in range(3):
        far.sail((41.9000, 137.3000), (41.5000, 136.2000), kn=6.0)
    return [
        Planned(HIDDEN, _clip(hidden)),
        Planned(FISHER, _clip(fisher)),
        Planned(SEEN, _clip(seen)),
        Planned(NAMELESS_WATCHED, _clip(small)),
        Planned(NAMELESS_FAR, _clip(far)),
    ]


@cache
def story() -> tuple[Planned, ...]:
    """Every vessel's plan, in MMSI order."""
    plans = [*_port_cases(), *_far_sides(), *_swap(), *_tampering(), *_jammed(), *_scenes()]
    return tuple(sorted(plans, key=lambda p: p.mmsi))


def plan_of(mmsi: int) -> Planned:
    """One vessel's plan."""
    return next(p for p in story() if p.mmsi == mmsi)


# Scenes and their sightings.
class Scene(NamedTuple):
    """A satellite image: when, the ring it covered ((lat, lon), not closed), what it sees."""

    scene_id: str
    t: int
    ring: tuple[Point, ...]
    source: str
    min_length_m: float


class SceneSighting(NamedTuple):
    """A ship a scene saw: where, how long, and the vessel really there (None: no AIS one)."""

    sighting_id: str
    scene_id: str
    t: int
    at: Point
    length_m: float
    ship: int | None


@cache
def scenes() -> tuple[Scene, ...]:
    """Two Sentinel-1 frames, about 170 by 90 km, over the open sea."""
    return (
        Scene(SCENE_A, round(_h(SCENE_A_H)),
              ((39.0500, 131.4500), (39.1500, 132.9500), (40.0000, 132.8500), (39.9000, 131.3500)),
              "sentinel-1", 40.0),
        Scene(SCENE_B, round(_h(SCENE_B_H)),
              ((38.4500, 133.9500), (38.5500, 135.3000), (39.3000, 135.2000), (39.2000, 133.8500)),
              "sentinel-1", 40.0),
    )  # fmt: skip


@cache
def scene_sightings() -> tuple[SceneSighting, ...]:
    """Scene A: the fishing vessel, and two ships no AIS vessel is near (none near the tanker);
    scene B: the cargo ship."""
    a, b = (s.t for s in scenes())
    fisher = plan_of(FISHER.mmsi).track.tl.position_at(a)
    seen = plan_of(SEEN.mmsi).track.tl.position_at(b)
    return (
        SceneSighting("s1a-20240312-0007-01", SCENE_A, a, offset(fisher, 20.0, -25.0), 46.0,
                      FISHER.mmsi),
        SceneSighting("s1a-20240312-0007-02", SCENE_A, a, (39.8200, 132.6200), 88.0, None),
        SceneSighting("s1a-20240312-0007-03", SCENE_A, a, (39.2800, 132.5500), 131.0, None),
        SceneSighting("s1a-20240313-0002-01", SCENE_B, b, offset(seen, 30.0, 25.0), 95.0,
                      SEEN.mmsi),
    )  # fmt: skip


# Geometry the restated rules need.
def _local(origin: Point, p: Point) -> tuple[float, float]:
    """p in metres east and north of origin (flat, fine below a few hundred km)."""
    north = (p[0] - origin[0]) * 111_195.0
    east = (p[1] - origin[1]) * 111_195.0 * math.cos(math.radians(origin[0]))
    return east, north


def inside_m(ring: Sequence[Point], p: Point) -> float:
    """How far p lies inside the ring (negative: outside), in metres."""
    pts = [_local(p, q) for q in ring]
    inside = False
    nearest = math.inf
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
        if (y1 > 0) != (y2 > 0) and x1 - y1 * (x2 - x1) / (y2 - y1) > 0:
            inside = not inside
        dx, dy = x2 - x1, y2 - y1
        f = max(0.0, min(1.0, -(x1 * dx + y1 * dy) / (dx * dx + dy * dy)))
        nearest = min(nearest, math.hypot(x1 + f * dx, y1 + f * dy))
    return nearest if inside else -nearest


def port_distance_m(at: Point) -> float:
    """The plan's distance to the nearest watched port (its approach waypoints, within a few
    km of its fence; the cases keep far from PORT_RADIUS_M)."""
    return min(p.distance_m(at) for p in PORTS if p.fenced)


def reachable(a: Point, ta: float, b: Point, tb: float, kn: float, slack_m: float) -> bool:
    """Whether one ship could be at both (the feasibility test, symmetric)."""
    return distance_m(a, b) <= abs(tb - ta) * kn * METRES_PER_NM / 3600 + slack_m


# The outcome, read off the plan.
def reported(p: Planned) -> list[tuple[int, Point, bool]]:
    """The vessel's reports: (time, where it claims to be, whether that is a jump)."""
    rng = random.Random(_seed_of(p.vessel))
    times = _reports(p.track, rng)
    jumped = _jump_indices(times, p.jumps)
    return [
        (t, jumped[i] if i in jumped else p.track.tl.position_at(t), i in jumped)
        for i, t in enumerate(times)
    ]


def _jump_indices(times: Sequence[int], jumps: Sequence[tuple[float, Point]]) -> dict[int, Point]:
    out = {}
    for t, at in jumps:
        i = next(i for i, r in enumerate(times) if r >= t)
        out[i] = at
    return out


def in_scope(p: Planned) -> bool:
    """Watched, or every report within PORT_RADIUS_M of a watched port."""
    return p.vessel.watched or all(port_distance_m(at) <= PORT_RADIUS_M for _, at, _ in reported(p))


def invalid_identities() -> list[tuple[int, str]]:
    """Every vessel's invalid identities, in scope or not: (MMSI, reason)."""
    scrapped = {e.imo: e for e in STATUS}
    out = []
    for p in story():
        v = p.vessel
        if v.imo is not None and not imo_valid(v.imo):
            out.append((v.mmsi, "imo_check_digit"))
        if not mid_known(v.mmsi):
            out.append((v.mmsi, "mid"))
        entry = scrapped.get(v.imo) if v.imo is not None else None
        if entry is not None and entry.on < (T0 + timedelta(seconds=p.track.start)).date():
            out.append((v.mmsi, "zombie"))
    return out


def _groups() -> dict[str, list[Planned]]:
    """The identity groups: by valid IMO number, and by non-empty name with dimensions."""
    groups: dict[str, list[Planned]] = {}
    for p in story():
        v = p.vessel
        if v.imo is not None and imo_valid(v.imo):
            groups.setdefault(f"i:{v.imo}", []).append(p)
        if v.name.strip():
            groups.setdefault(f"n:{v.name}|{v.size[0]}|{v.size[1]}", []).append(p)
    return {k: ps for k, ps in groups.items() if len(ps) > 1}


def conflicts() -> list[tuple[str, int, int]]:
    """Pairs of a group one ship cannot be (hourly fixes compared, as the rule does):
    (group, lower MMSI, higher MMSI)."""
    out = []
    for key, members in sorted(_groups().items()):
        for a, b in combinations(members, 2):
            fa = _hourly(a)
            fb = _hourly(b)
            if any(
                not reachable(pa, ta, pb, tb, FEASIBLE_KN, FEASIBLE_SLACK_M)
                for ta, pa in fa
                for tb, pb in fb
                if abs(ta - tb) <= 48 * 3600
            ):
                lo, hi = sorted((a.mmsi, b.mmsi))
                out.append((key, lo, hi))
    return out


def _hourly(p: Planned) -> list[tuple[float, Point]]:
    """One report an hour (the first of each), jumps left out."""
    seen: dict[int, tuple[float, Point]] = {}
    for t, at, jump in reported(p):
        if not jump:
            seen.setdefault(t // 3600, (t, at))
    return list(seen.values())


def silences() -> list[tuple[Planned, float, Point]]:
    """Watched vessels that fall silent at sea for good before the story ends: (plan, last
    report's time, where)."""
    out = []
    for p in story():
        if not p.vessel.watched:
            continue
        t, at, _ = reported(p)[-1]
        at_sea = port_distance_m(at) > 20_000.0
        if _h(END_H) - t > SWAP_QUIET_S and at_sea:
            out.append((p, float(t), at))
    return out


def _same_size(a: Vessel, b: Vessel) -> bool:
    return (
        a.ship_type == b.ship_type
        and abs(a.size[0] - b.size[0]) <= SWAP_SIZE_TOLERANCE * a.size[0]
        and abs(a.size[1] - b.size[1]) <= SWAP_SIZE_TOLERANCE * a.size[1]
    )


def swap_candidates(silent: Planned, t: float, at: Point) -> list[int]:
    """Vessels of the silent one's type and size (within 5 %) that first report after the
    silence began, within the window, where it could have got to at 15 kn."""
    out = []
    for p in story():
        if p is silent or not _same_size(silent.vessel, p.vessel):
            continue
        t1, first, _ = reported(p)[0]
        if t < t1 <= t + SWAP_WINDOW_S and reachable(at, t, first, t1, SWAP_SPEED_KN, 0.0):
            out.append(p.mmsi)
    return out


def inland_runs(inland_m: Any, inside_fence: Any) -> list[tuple[int, int]]:
    """Each vessel's longest run of consecutive reports more than ON_LAND_M inland and
    outside every fence (jumps left out): (MMSI, fixes). `inland_m(lat, lon)` measures on
    the bundled coastline, `inside_fence(lat, lon)` tells the fences (the test passes both)."""
    out = []
    for p in story():
        run = best = 0
        for _, (lat, lon), jump in reported(p):
            if jump:
                continue
            far = (inland_m(lat, lon) or 0.0) > ON_LAND_M and not inside_fence(lat, lon)
            run = run + 1 if far else 0
            best = max(best, run)
        out.append((p.mmsi, best))
    return out


def jump_findings() -> list[tuple[int, list[tuple[int, Point]]]]:
    """Vessels with JUMPS_MIN jumps or more within JUMPS_WINDOW_S: (MMSI, their jumps)."""
    out = []
    for p in story():
        jumps = [(t, at) for t, at, jump in reported(p) if jump]
        if any(
            sum(1 for u, _ in jumps if t <= u <= t + JUMPS_WINDOW_S) >= JUMPS_MIN for t, _ in jumps
        ):
            out.append((p.mmsi, jumps))
    return out


def interfered() -> set[int]:
    """The jumping vessels with INTERFERENCE_VESSELS or more (themselves included) jumping
    within INTERFERENCE_RADIUS_M and INTERFERENCE_WINDOW_S of one of their jumps."""
    everyone = [(p.mmsi, t, at) for p in story() for t, at, jump in reported(p) if jump]
    out = set()
    for mmsi, jumps in jump_findings():
        for t, at in jumps:
            near = {
                m for m, u, where in everyone
                if abs(u - t) <= INTERFERENCE_WINDOW_S
                and distance_m(at, where) <= INTERFERENCE_RADIUS_M
            }  # fmt: skip
            if len(near) >= INTERFERENCE_VESSELS:
                out.add(mmsi)
    return out


def not_in_imagery() -> list[tuple[str, int]]:
    """(scene, MMSI) of watched vessels more than SCENE_INSIDE_M inside a scene's footprint
    at its time, longer than it resolves, with no sighting of it near their plan position."""
    out = []
    for scene in scenes():
        for p in story():
            v = p.vessel
            if not v.watched or not p.track.reporting(scene.t):
                continue
            at = p.track.tl.position_at(scene.t)
            if inside_m(scene.ring, at) <= SCENE_INSIDE_M or v.size[0] <= scene.min_length_m:
                continue
            seen = any(
                s.scene_id == scene.scene_id
                and distance_m(s.at, at) <= SIGHTING_MATCH_M + s.length_m / 2
                for s in scene_sightings()
            )
            if not seen:
                out.append((scene.scene_id, v.mmsi))
    return out


# From the plan to records.
def _seed_of(v: Vessel) -> int:
    return SEED * 1_000_000_000 + v.mmsi % 1_000_000_000


def _static(v: Vessel, t: int) -> Static:
    return Static(
        mmsi=v.mmsi, ts=T0 + timedelta(seconds=t), imo=v.imo, name=v.name,
        callsign=v.callsign or None, ship_type=v.ship_type, length=v.size[0], beam=v.size[1],
        draught=v.draught,
    )  # fmt: skip


def records_of(p: Planned) -> list[Position | Static]:
    """The vessel's positions and static reports: a static report a second after its first
    position (a second before it for the vessels of STATIC_FIRST) and a second after the first
    position every STATIC_EVERY_S after that; the noise as at_sea's."""
    rng = random.Random(_seed_of(p.vessel))
    times = _reports(p.track, rng)  # the same draws as `reported`'s
    jumped = _jump_indices(times, p.jumps)
    stretches, i = p.track.stretches, 0
    first = times[0] - 1 if p.mmsi in STATIC_FIRST else times[0] + 1
    out: list[Position | Static] = [_static(p.vessel, first)]
    last_static = times[0]
    for n, t in enumerate(times):
        while stretches[i].t1 < t:
            i += 1
        at = jumped.get(n) or p.track.tl.position_at(t)
        ts = T0 + timedelta(seconds=t)
        out.append(sampled_position(p.mmsi, ts, at, stretches[i], rng))
        if t - last_static >= STATIC_EVERY_S:
            out.append(_static(p.vessel, t + 1))
            last_static = t
    return out


def _iso(t: int) -> str:
    return (T0 + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def scene_records() -> list[tuple[int, int, str, dict[str, Any]]]:
    """Scenes and sightings as JSON objects: (time, rank, id, object)."""
    out: list[tuple[int, int, str, dict[str, Any]]] = []
    for s in scenes():
        ring = [[round(lon, 5), round(lat, 5)] for lat, lon in (*s.ring, s.ring[0])]
        footprint = {"type": "Polygon", "coordinates": [ring]}
        scene = {
            "kind": "scene", "scene_id": s.scene_id, "ts": _iso(s.t), "footprint": footprint,
            "source": s.source, "min_length_m": s.min_length_m,
        }  # fmt: skip
        out.append((s.t, 2, s.scene_id, scene))
    for g in scene_sightings():
        sighting = {
            "kind": "sighting", "sighting_id": g.sighting_id, "ts": _iso(g.t),
            "lat": round(g.at[0], 5), "lon": round(g.at[1], 5), "length_m": g.length_m,
            "source": "sentinel-1", "scene_id": g.scene_id,
        }  # fmt: skip
        out.append((g.t, 3, g.sighting_id, sighting))
    return out


def lines() -> list[dict[str, Any]]:
    """Every record of the file as its JSON object, in time order (positions before statics
    before scenes before sightings at the same second, then by MMSI or id)."""
    rank = {"position": 0, "static": 1}
    keyed: list[tuple[int, int, str, dict[str, Any]]] = [
        (round((r.ts - T0).total_seconds()), rank[r.kind], str(r.mmsi), r.model_dump(mode="json"))
        for p in story()
        for r in records_of(p)
    ]
    keyed += scene_records()
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def render() -> bytes:
    """The whole file: one normalized JSON record a line."""
    return b"".join(orjson.dumps(obj) + b"\n" for obj in lines())


def render_status() -> bytes:
    """The identity status list: imo,status,date,name,source."""
    rows = ["imo,status,date,name,source"]
    rows += [f"{e.imo},{e.status},{e.on.isoformat()},{e.name},{e.source}" for e in STATUS]
    return ("\n".join(rows) + "\n").encode()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the story and its status list."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=SCENARIO_PATH, help="JSON lines file")
    parser.add_argument("--status", type=Path, default=STATUS_PATH, help="status list (CSV)")
    args = parser.parse_args(argv)
    for path, data in ((args.out, render()), (args.status, render_status())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        count = data.count(b"\n")
        print(f"wrote {path}: {count} lines, {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
