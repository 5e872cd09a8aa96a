"""The bundled reference scenario: March 2024, DPRK tankers loading at Vostochny, with noise.

From 2024-03-07T00:00Z over three weeks: six North Korean tankers call repeatedly at Vostochny's
oil-products berth and two of them deliver to Chongjin, among Russian and other tankers loading
for elsewhere, coasters passing Chongjin without stopping, a tanker at anchor right at a fence
edge with GPS scatter across it, tankers going dark near Vostochny, and duplicated and late rows.
The cast and plans are in `scenarios.fleet`; `expected_alerts()` reads the alerts off the plans.

Regenerate the bundled file (byte-identical for the same code) with
`python -m scenarios.reference --out scenarios/data/reference.csv`.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scenarios.fleet import VESSELS, Vessel
from scenarios.tracks import rows_of

__all__ = ["SCENARIO_PATH", "VESSELS", "ExpectedAlert", "Vessel", "expected_alerts", "render"]

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
LOADED_MIN_M = 0.5  # a draught rise this large is cargo (the plans' rises are 1.9 m or more)
WATCHED_ROUTES = {("vostochny", "chongjin"): "vostochny-chongjin"}


@dataclass(frozen=True, order=True)
class ExpectedAlert:
    """An alert the scenario must raise: `place` is the port, or the route of a voyage."""

    kind: str
    mmsi: int
    place: str


def expected_alerts() -> list[ExpectedAlert]:
    """Every alert the plans call for, sorted."""
    out: list[ExpectedAlert] = []
    for vessel in VESSELS:
        watched = str(vessel.mmsi).startswith(WATCHED_MID)
        draft, previous = vessel.draft, ""  # previous: the last fenced port called at
        for call in vessel.calls():
            loaded = call.draft_after - draft >= LOADED_MIN_M
            draft = call.draft_after
            if not call.port.fenced:
                continue  # the detector sees only fenced ports: no call to it, no voyage
            port = call.port.id
            if watched and port in LOADING_PORTS:
                out.append(ExpectedAlert("watchlist_port_call", vessel.mmsi, port))
                if loaded:
                    out.append(ExpectedAlert("watchlist_port_call", vessel.mmsi, port))
            # Each call is over before the next begins, and the whole story is three weeks long,
            # inside the route's 30-day window: consecutive calls make a voyage.
            route = WATCHED_ROUTES.get((previous, port)) if previous else None
            if route is not None:
                out.append(ExpectedAlert("sanctioned_voyage", vessel.mmsi, route))
            previous = port
    return sorted(out)


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
