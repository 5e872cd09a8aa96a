"""From a vessel's plan to timed motion, and from that motion to AIS rows with realistic noise."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shipwatch.scenarios.fleet import PortCall, Sail, Vessel
from shipwatch.scenarios.geo import METRES_PER_NM, Point, bearing_deg, distance_m, lerp, offset

T0 = datetime(2024, 3, 7, tzinfo=UTC)
HOUR_S = 3600.0
# Reporting: MarineCadastre-like thinning of the raw class A rate, with receiver-time jitter.
SEA_REPORT_S, SEA_REPORT_JITTER_S = 360, 40
PORT_REPORT_S, PORT_REPORT_JITTER_S = 600, 60
APPROACH_KN = 8.5  # from a port's sea point to its first approach waypoint
HARBOUR_KN = 6.0  # between approach waypoints
BERTHING_KN = 3.0  # the last stretch to an anchorage or a berth
DRAFT_CHANGE_AT = 0.7  # share of a berth stay after which the crew enters the new draught
UNDER_WAY, AT_ANCHOR, MOORED = 0, 1, 5  # AIS navigational status
SEA_SCATTER_M = (15.0, 15.0)
BERTH_SCATTER_M = (8.0, 8.0)


@dataclass(frozen=True)
class Motion:
    """A stretch of a trip: under way from a to b, or holding at a (then a == b and kn == 0)."""

    t0: float
    t1: float
    a: Point
    b: Point
    kn: float
    status: int
    scatter_m: tuple[float, float] = SEA_SCATTER_M  # GPS scatter (north, east)
    heading: int = 0  # held while not under way
    swing: int = 0  # how far the heading wanders while holding (an anchored ship swings)


@dataclass(frozen=True)
class Stay:
    """Where and when a vessel held still: for checks of berth use and of the story."""

    port: str
    at: Point
    t0: float
    t1: float


@dataclass(frozen=True)
class CallSpan:
    """When a port call's stays began and ended, and the silence that hides it, if any."""

    t0: float  # the first stay (at anchor or at the berth) begins
    t1: float  # the vessel leaves the berth
    hidden: tuple[float, float] | None = None  # [t0, t1) of the silence covering the call


@dataclass
class Timeline:
    """A vessel's planned motion in seconds after T0, with its draught changes and silences."""

    motions: list[Motion] = field(default_factory=list)
    drafts: list[tuple[float, float]] = field(default_factory=list)  # (from t, draught)
    dark: list[tuple[float, float]] = field(default_factory=list)  # [t0, t1) without reports
    stays: list[Stay] = field(default_factory=list)
    calls: list[CallSpan] = field(default_factory=list)  # one per port call of the plan

    def position_at(self, t: float) -> Point:
        """Where the plan puts the vessel at time t (without GPS scatter)."""
        m = next((m for m in self.motions if m.t0 <= t <= m.t1), None)
        if m is None:
            raise ValueError(f"the plan does not cover t = {t}")
        return lerp(m.a, m.b, (t - m.t0) / (m.t1 - m.t0)) if m.kn else m.a

    def draft_at(self, t: float) -> float:
        """The draught the vessel reports at time t."""
        i = bisect_right([d[0] for d in self.drafts], t) - 1
        return self.drafts[max(i, 0)][1]

    def is_dark(self, t: float) -> bool:
        """Whether the vessel is silent at time t."""
        return any(t0 <= t < t1 for t0, t1 in self.dark)


class _Planner:
    """Walks a plan leg by leg, keeping the current time and position."""

    def __init__(self, timeline: Timeline, start_h: float, start: Point) -> None:
        self.tl, self.t, self.pos = timeline, start_h * HOUR_S, start
        self.motions = timeline.motions

    def go(self, to: Point, kn: float) -> None:
        seconds = distance_m(self.pos, to) / METRES_PER_NM / kn * HOUR_S
        if seconds == 0:
            return  # already there; a zero-length motion has no course to sample
        self.motions.append(Motion(self.t, self.t + seconds, self.pos, to, kn, UNDER_WAY))
        self.t, self.pos = self.t + seconds, to

    def hold(
        self,
        port: str,
        hours: float,
        status: int,
        scatter: tuple[float, float],
        heading: int,
        swing: int,
    ) -> Stay:
        end = self.t + hours * HOUR_S
        self.motions.append(
            Motion(self.t, end, self.pos, self.pos, 0.0, status, scatter, heading, swing)
        )
        stay = Stay(port, self.pos, self.t, end)
        self.tl.stays.append(stay)
        self.t = end
        return stay

    def call(self, c: PortCall) -> None:
        port = c.port
        sea_in = self.t
        if self.pos != port.sea:
            raise ValueError(f"a call at {port.id} must start from its sea point")
        self.go(port.approach[0], APPROACH_KN)
        rest = port.approach[1:]
        first: Stay | None = None
        if c.anchorage is not None:
            for p in port.approach[1 : port.anchorage_after]:
                self.go(p, HARBOUR_KN)
            self.go(c.anchorage, BERTHING_KN)
            first = self.hold(port.id, c.anchor_h, AT_ANCHOR, c.anchor_jitter_m, c.heading, 12)
            rest = port.approach[port.anchorage_after :]
        for p in rest:
            self.go(p, HARBOUR_KN)
        self.go(c.berth, BERTHING_KN)
        berth = self.hold(port.id, c.berth_h, MOORED, BERTH_SCATTER_M, c.heading, 1)
        first = first or berth
        self.tl.drafts.append((berth.t0 + DRAFT_CHANGE_AT * (berth.t1 - berth.t0), c.draft_after))
        silence = (first.t0 - c.dark_in_h * HOUR_S, berth.t1 + c.dark_out_h * HOUR_S)
        if c.hidden:
            self.tl.dark.append(silence)
        else:
            if c.dark_in_h:
                self.tl.dark.append((silence[0], first.t0))
            if c.dark_out_h:
                self.tl.dark.append((berth.t1, silence[1]))
        for p in [*reversed(port.approach[1:]), port.approach[0]]:
            self.go(p, HARBOUR_KN)
        self.go(port.sea, APPROACH_KN)
        if c.hidden and not silence[0] <= sea_in < self.t <= silence[1]:
            raise ValueError(
                f"a hidden call at {port.id} must be silent from sea point to sea point"
            )
        self.tl.calls.append(CallSpan(first.t0, berth.t1, silence if c.hidden else None))


def timeline(vessel: Vessel) -> Timeline:
    """The vessel's plan laid out in time."""
    tl = Timeline(drafts=[(0.0, vessel.draft)])
    planner = _Planner(tl, vessel.start_h, vessel.start)
    for leg in vessel.legs:
        if isinstance(leg, Sail):
            for p in leg.path:
                planner.go(p, leg.kn)
        else:
            planner.call(leg)
    return tl


def _stamp(t: int) -> str:
    return (T0 + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S")


def _row(vessel: Vessel, m: Motion, t: int, draft: float, rng: random.Random) -> str:
    if m.kn:
        lat, lon = lerp(m.a, m.b, (t - m.t0) / (m.t1 - m.t0))
        sog = m.kn + rng.uniform(-0.3, 0.3)
        cog = bearing_deg(m.a, m.b) + rng.uniform(-1.5, 1.5)
        heading = round(cog + rng.uniform(-2.5, 2.5)) % 360
    else:
        lat, lon = m.a
        # At rest GPS speed is a few hundredths of a knot and the course is noise.
        sog = 0.1 if rng.random() < 0.3 else 0.0
        cog = rng.uniform(0.0, 360.0)
        heading = (m.heading + rng.randint(-m.swing, m.swing)) % 360
    north, east = m.scatter_m
    lat, lon = offset((lat, lon), rng.uniform(-north, north), rng.uniform(-east, east))
    cargo = str(vessel.ship_type) if vessel.cargo else ""
    return ",".join(
        (
            str(vessel.mmsi), _stamp(t), f"{lat:.5f}", f"{lon:.5f}", f"{sog:.1f}",
            f"{round(cog, 1) % 360:.1f}", str(heading if vessel.heading_sensor else 511),
            vessel.name, f"IMO{vessel.imo}", vessel.callsign, str(vessel.ship_type),
            str(m.status), str(vessel.size[0]), str(vessel.size[1]), f"{draft:.1f}", cargo, "A",
        )
    )  # fmt: skip


def rows_of(vessel: Vessel, seed: int) -> list[tuple[int, int, str]]:
    """The vessel's AIS rows as (seconds after T0, MMSI, CSV line), in time order."""
    # One generator per vessel: editing one vessel's plan leaves every other track unchanged.
    rng = random.Random(seed * 1_000_000_000 + vessel.mmsi)
    tl = timeline(vessel)
    out: list[tuple[int, int, str]] = []
    motions = tl.motions
    t, end, i = int(motions[0].t0), motions[-1].t1, 0
    while t <= end:
        while motions[i].t1 < t:
            i += 1
        m = motions[i]
        if not tl.is_dark(t):
            out.append((t, vessel.mmsi, _row(vessel, m, t, tl.draft_at(t), rng)))
        if m.kn:
            t += SEA_REPORT_S + rng.randint(-SEA_REPORT_JITTER_S, SEA_REPORT_JITTER_S)
        else:
            t += PORT_REPORT_S + rng.randint(-PORT_REPORT_JITTER_S, PORT_REPORT_JITTER_S)
    return out
