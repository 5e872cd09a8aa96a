"""The bundled reference scenario: March 2024, DPRK tankers loading at Vostochny, with noise.

From 2024-03-07T00:00Z over three weeks: six North Korean tankers call repeatedly at Vostochny's
oil-products berth and two of them deliver to Chongjin; two more load there with their AIS off
for 14 h and more (dark calls) and deliver to Chongjin too; among them Russian and other tankers
loading for elsewhere, coasters passing Chongjin without stopping, a tanker at anchor right at a
fence edge with GPS scatter across it, tankers going dark for a few hours near Vostochny, and
duplicated and late rows. The cast and plans are in `scenarios.fleet`; `expected_alerts()`,
`expected_deliveries()` and `expected_cap_alerts()` read the outcome off the plans. Rajin is no
fence: to the at-sea rules, a watched tanker's long stay there is loitering at sea.

Regenerate the bundled file (byte-identical for the same code) with
`python -m scenarios.reference --out scenarios/data/reference.csv`.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from shipwatch.scenarios.fleet import VESSELS, PortCall, Vessel
from shipwatch.scenarios.geo import PORTS, Point, distance_m
from shipwatch.scenarios.tracks import HOUR_S, T0, Timeline, rows_of, timeline

__all__ = [
    "SCENARIO_PATH",
    "VESSELS",
    "DarkCall",
    "ExpectedAlert",
    "ExpectedCapAlert",
    "ExpectedDelivery",
    "Vessel",
    "clear_of_fences",
    "dark_calls",
    "expected_alerts",
    "expected_cap_alerts",
    "expected_deliveries",
    "loitering_stays",
    "render",
]

SEED = 20240307
SCENARIO_PATH = Path(__file__).parent / "data" / "reference.csv"
HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,"
    "VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
)
DUPLICATE_SHARE = 0.02  # rows repeated exactly, right after or a few rows later
DUPLICATE_AFTER_MAX = 5  # rows between a row and its repeat, at most
LATE_SHARE = 0.01  # rows that arrive late
# How late, in seconds of event time: within the tracker's ten minutes of allowed lateness, so
# that late rows exercise its reordering without changing a single alert.
LATE_S = (120, 570)

# The story's rules, stated here on their own so that the expected alerts do not come from the
# code under test: DPRK-flagged ships (MID 445) are watched; a watched ship's call at Vostochny,
# where they load, is alerted on arrival and again on leaving loaded; a voyage from Vostochny to
# Chongjin is the sanctioned route.
WATCHED_MID = "445"
LOADING_PORTS = frozenset({"vostochny"})
LOADED_MIN_M = 0.5  # a draught change this large is cargo (the plans' changes are 1.9 m or more)
WATCHED_ROUTES = {("vostochny", "chongjin"): "vostochny-chongjin"}
ROUTE_WINDOW_S = 30 * 86_400  # from leaving the origin to arriving at the destination
# Going dark (docs/detection.md, the rule table): a silence of 6 h or more is an AIS gap, alerted
# when one of its ends is within 50 km of a watched port; it is a dark call at a port when both
# ends are within 150 km of it and the silence leaves time to sail there and back at 12 kn and
# stay 4 h. A dark call is a call: it can start a voyage, and a delivery after it.
GAP_MIN_S = 6 * 3600
NEAR_PORT_M = 50_000.0
DARK_RADIUS_M = 150_000.0
DARK_SPEED_MPS = 12 * 1852 / 3600
DARK_STAY_S = 4 * 3600
# The cargo estimate: length x beam x draught change x block coefficient x seawater density
# gives tonnes, times barrels per tonne; the UN cap is counted per route and calendar year.
BLOCK_COEFFICIENT = 0.8
SEAWATER_T_PER_M3 = 1.025
BARRELS_PER_TONNE = 7.5
UN_CAP_BBL = 500_000.0  # a year's refined products to the DPRK: the default cap
CAP_SHARES = (0.5, 0.8, 1.0)
# At sea (docs/detection.md, "At sea"): a vessel slow (median below 2 kn) for 2 h or more at
# least 10 km from every fence is loitering, alerted once per stay for watched vessels. The
# plans' stays are still (0-0.1 kn) and hours long; a silence within one ends its run.
FENCE_CLEARANCE_M = 10_000.0
LOITER_MIN_S = 2 * 3600
# Identity swaps (docs/detection.md, "Integrity"): a watched vessel falls silent (here: its
# track ends, for good) and within 48 h a vessel never seen before starts where the silent one
# could have got to at 15 kn, with the same ship type and length and beam within 5 %. Tankers
# leaving for the DPRK coast and others coming from it at the same point do just that.
SWAP_WINDOW_S = 48 * 3600
SWAP_SILENT_S = 1800  # silent at least this long before the new identity's first fix
SWAP_SPEED_MPS = 15 * 1852 / 3600
SWAP_SLACK_M = 1000.0
SWAP_SIZE = 0.05


@dataclass(frozen=True, order=True)
class ExpectedAlert:
    """An alert the scenario must raise: `place` is the port, or the route of a voyage; None
    for an alert at sea (loitering), which has neither."""

    kind: str
    mmsi: int
    place: str | None


@dataclass(frozen=True, order=True)
class ExpectedDelivery:
    """A discharge on a watched route, after a call (seen or dark) at its origin."""

    departed_h: float  # hours after T0 the vessel left the berth
    mmsi: int
    route: str
    discharged_m: float
    barrels: int


@dataclass(frozen=True)
class ExpectedCapAlert:
    """A share of the cap that the running total of deliveries crosses, and whose did."""

    share: float
    severity: str
    mmsi: int


@dataclass(frozen=True)
class DarkCall:
    """A silence of the plan long enough to be an AIS gap, and what the rules make of it."""

    t0: float  # seconds after T0
    t1: float
    start: Point
    end: Point
    near: tuple[str, ...]  # ports within NEAR_PORT_M of either end, in id order
    ports: tuple[str, ...]  # ports a visit to was feasible: dark calls


@dataclass(frozen=True)
class _Call:
    """A call the detector can know of: seen (with its plan) or dark (inferred from a gap)."""

    t0: float
    t1: float
    port: str
    plan: PortCall | None  # None for a dark call


def dark_calls(tl: Timeline) -> list[DarkCall]:
    """The plan's silences of GAP_MIN_S or more, judged by the rules restated above."""
    out = []
    for t0, t1 in tl.dark:
        if t1 - t0 < GAP_MIN_S:
            continue
        start, end = tl.position_at(t0), tl.position_at(t1)
        near, ports = [], []
        for port in PORTS:
            if not port.fenced:
                continue
            to_port, from_port = port.distance_m(start), port.distance_m(end)
            if min(to_port, from_port) <= NEAR_PORT_M:
                near.append(port.id)
            spare = t1 - t0 - (to_port + from_port) / DARK_SPEED_MPS - DARK_STAY_S
            if max(to_port, from_port) <= DARK_RADIUS_M and spare >= 0:
                ports.append(port.id)
        out.append(DarkCall(t0, t1, start, end, tuple(near), tuple(ports)))
    return out


def clear_of_fences(at: Point) -> bool:
    """The plan's view of "at sea": at least FENCE_CLEARANCE_M from every fenced port (measured
    to its nearest approach waypoint; a test checks no stay comes anywhere near the limit)."""
    return all(port.distance_m(at) >= FENCE_CLEARANCE_M for port in PORTS if port.fenced)


def loitering_stays(tl: Timeline) -> list[tuple[float, float]]:
    """The stretches of the plan's stays at sea that AIS shows for LOITER_MIN_S or more:
    (t0, t1) in seconds after T0, one loitering event each."""
    out = []
    for stay in tl.stays:
        if not clear_of_fences(stay.at):
            continue
        cuts = sorted(
            (max(t0, stay.t0), min(t1, stay.t1))
            for t0, t1 in tl.dark
            if t0 < stay.t1 and t1 > stay.t0
        )
        start = stay.t0
        for t0, t1 in [*cuts, (stay.t1, stay.t1)]:
            if t0 - start >= LOITER_MIN_S:
                out.append((start, t0))
            start = max(start, t1)
    return out


def _known_calls(vessel: Vessel, tl: Timeline) -> list[_Call]:
    """The calls the detector can know of, in time order: the fenced calls AIS shows and the
    dark calls. A hidden call is silent from sea point to sea point (more than 5 km outside its
    fence): the detector never sees it, and knows of it only through its gap."""
    calls = [
        _Call(span.t0, span.t1, plan.port.id, plan)
        for plan, span in zip(vessel.calls(), tl.calls, strict=True)
        if plan.port.fenced and span.hidden is None
    ]
    calls += [_Call(d.t0, d.t1, port, None) for d in dark_calls(tl) for port in d.ports]
    return sorted(calls, key=lambda c: c.t0)


def _voyages(vessel: Vessel) -> list[tuple[_Call, _Call]]:
    """Consecutive known calls at different ports: (origin, destination)."""
    calls = _known_calls(vessel, timeline(vessel))
    return [(a, b) for a, b in pairwise(calls) if a.port != b.port]


def expected_alerts() -> list[ExpectedAlert]:
    """Every alert the plans call for at the default cap (which the story stays far below)."""
    out: list[ExpectedAlert] = []
    for vessel in VESSELS:
        if not str(vessel.mmsi).startswith(WATCHED_MID):
            continue  # alerts are about watched vessels only
        tl = timeline(vessel)
        for dark in dark_calls(tl):
            if dark.near:
                out.append(ExpectedAlert("ais_gap", vessel.mmsi, dark.near[0]))
            out += [ExpectedAlert("dark_port_call", vessel.mmsi, port) for port in dark.ports]
        for call in _known_calls(vessel, tl):
            if call.plan is None or call.port not in LOADING_PORTS:
                continue
            out.append(ExpectedAlert("watchlist_port_call", vessel.mmsi, call.port))
            if call.plan.draft_after - tl.draft_at(call.t0) >= LOADED_MIN_M:
                out.append(ExpectedAlert("watchlist_port_call", vessel.mmsi, call.port))
        # The story is three weeks long, so every voyage is within the route's 30-day window;
        # checked all the same.
        for origin, destination in _voyages(vessel):
            route = WATCHED_ROUTES.get((origin.port, destination.port))
            if route is not None and destination.t0 - origin.t1 <= ROUTE_WINDOW_S:
                out.append(ExpectedAlert("sanctioned_voyage", vessel.mmsi, route))
        # Long stays at unfenced Rajin are loitering at sea to the rules.
        out += [ExpectedAlert("loitering", vessel.mmsi, None) for _ in loitering_stays(tl)]
        out += [ExpectedAlert("identity_swap", vessel.mmsi, None) for _ in swapped_for(vessel)]
    return sorted(out)


def swapped_for(gone: Vessel) -> list[Vessel]:
    """The vessels that could be `gone` under a new identity, once its track has ended."""
    tl = timeline(gone)
    end_t = tl.motions[-1].t1
    end = tl.position_at(end_t)
    found = []
    for new in VESSELS:
        start_t = new.start_h * HOUR_S
        if new is gone or not end_t + SWAP_SILENT_S < start_t <= end_t + SWAP_WINDOW_S:
            continue
        reach = (start_t - end_t) * SWAP_SPEED_MPS + SWAP_SLACK_M
        same = new.ship_type == gone.ship_type and all(
            abs(a - b) <= SWAP_SIZE * max(a, b) for a, b in zip(new.size, gone.size, strict=True)
        )
        if same and distance_m(end, new.start) <= reach:
            found.append(new)
    return found


def barrels(length_m: float, beam_m: float, change_m: float) -> int:
    """The cargo estimate of a draught change (docs/detection.md), in barrels."""
    tonnes = length_m * beam_m * abs(change_m) * BLOCK_COEFFICIENT * SEAWATER_T_PER_M3
    return round(tonnes * BARRELS_PER_TONNE)


def expected_deliveries() -> list[ExpectedDelivery]:
    """Every delivery on a watched route, in the order the vessels left the berth: a seen call
    that ends 0.5 m lighter or more than it began, after a call at the route's origin."""
    out = []
    for vessel in VESSELS:
        tl = timeline(vessel)
        for origin, call in _voyages(vessel):
            route = WATCHED_ROUTES.get((origin.port, call.port))
            if call.plan is None or route is None:
                continue
            change = round(call.plan.draft_after - tl.draft_at(call.t0), 2)
            if change <= -LOADED_MIN_M:
                length, beam = vessel.size
                departed_h = round(call.t1 / HOUR_S, 2)
                estimate = barrels(length, beam, change)
                out.append(ExpectedDelivery(departed_h, vessel.mmsi, route, -change, estimate))
    return sorted(out)


def expected_cap_alerts(
    cap_bbl: float, shares: tuple[float, ...] = CAP_SHARES
) -> list[ExpectedCapAlert]:
    """The shares of `cap_bbl` that the deliveries' running total crosses (per route and
    calendar year), in order, each with the delivery that crossed it."""
    out = []
    totals: dict[tuple[str, int], float] = {}
    for d in expected_deliveries():
        key = (d.route, (T0 + timedelta(hours=d.departed_h)).year)
        before = totals.get(key, 0.0)
        after = totals[key] = before + d.barrels
        for share in sorted(shares):
            if before < share * cap_bbl <= after:
                severity = "critical" if share >= 1 else "warning"
                out.append(ExpectedCapAlert(share, severity, d.mmsi))
    return out


def clean_rows(seed: int = SEED) -> list[tuple[int, int, str]]:
    """Every vessel's rows merged in time order: (seconds after T0, MMSI, CSV line)."""
    return sorted(row for vessel in VESSELS for row in rows_of(vessel, seed))


def disorder(rows: Sequence[tuple[int, int, str]], rng: random.Random) -> list[str]:
    """The lines in arrival order: a few arriving late, a few repeated."""
    arrival: list[tuple[int, int, int, str]] = []
    for i, (t, _, line) in enumerate(rows):
        late = rng.randint(*LATE_S) if rng.random() < LATE_SHARE else 0
        # A late row arrives after every row whose time is at most its own plus the delay.
        arrival.append((t + late, int(late > 0), i, line))
    arrival.sort()
    keyed: list[tuple[float, str]] = []
    for pos, (_, _, _, line) in enumerate(arrival):
        keyed.append((float(pos), line))
        if rng.random() < DUPLICATE_SHARE:
            later = 0 if rng.random() < 0.5 else rng.randint(1, DUPLICATE_AFTER_MAX)
            keyed.append((pos + later + 0.5, line))
    keyed.sort(key=lambda k: k[0])
    return [line for _, line in keyed]


def render(seed: int = SEED) -> str:
    """The whole CSV file's text."""
    lines = disorder(clean_rows(seed), random.Random(seed))
    return "\n".join([HEADER, *lines]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the scenario file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SCENARIO_PATH, help="CSV file to write")
    args = parser.parse_args(argv)
    data = render().encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    rows = data.count(b"\n") - 1
    print(f"wrote {args.out}: {rows} rows, {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
