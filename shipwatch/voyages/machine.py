"""Per-vessel voyage state machine: `step(state, fence_event) -> (state, voyage_events)`.

A fence visit becomes a `port_call` when the tracker says the vessel stayed (`stop`); it is
published then with `departed_at` null, and again with `departed_at` when the vessel leaves.
Two consecutive port calls at different ports make a `voyage`, published on arrival.
A visit that ends without a stay was a transit and makes nothing.
An AIS gap is published as `ais_gap`; when it could hide a visit to a watched port (the
tracker's feasibility test), also as a `dark_port_call`, which can start a voyage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipwatch.ais.timefmt import epoch_of
from shipwatch.cargo import CHANGE_MIN_M
from shipwatch.errors import readable_format
from shipwatch.voyages import draught

MAX_HISTORY = 8  # completed calls kept per vessel for evidence; older ones are pruned
# The format of the voyages table value, written as "v"; a value without it is version 1. A
# change a reader could take for something else ("draughts" and "hull" are positional lists)
# raises it, and `from_dict` reads every older version too (tests/data/upgrade).
FORMAT = 1


@dataclass(slots=True)
class Call:
    """A port call, open (departed_at None) or completed."""

    port: str
    arrived_at: str
    departed_at: str | None = None
    stayed: str | None = None
    observed_entry: bool = False
    qualified: bool = False
    dark: bool = False  # inferred from an AIS gap, not seen

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "port": self.port,
            "arrived_at": self.arrived_at,
            "departed_at": self.departed_at,
            "stayed": self.stayed,
            "observed_entry": self.observed_entry,
            "qualified": self.qualified,
            "dark": self.dark,
        }


@dataclass(slots=True)
class VoyageState:
    """Open visits by fence and the last port calls, newest last."""

    open: dict[str, Call] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    draughts: list[list[Any]] = field(default_factory=list)  # [ISO time, metres], bounded
    hull: list[float | None] = field(default_factory=lambda: [None, None])  # length, beam (m)
    vessel: dict[str, Any] = field(default_factory=dict)  # imo and name, for rules and alerts
    last_gap: dict[str, Any] | None = None  # the latest gap's findings, retractable
    last_seq: int = 0  # the tracker's number of the last fence event applied

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the state table."""
        return {
            "open": {k: c.to_dict() for k, c in self.open.items()},
            "calls": [c.to_dict() for c in self.calls],
            "draughts": self.draughts,
            "hull": self.hull,
            "vessel": self.vessel,
            "last_gap": self.last_gap,
            "last_seq": self.last_seq,
            "v": FORMAT,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoyageState:
        """Inverse of to_dict; StateFormatError for a newer release's value."""
        readable_format(data.get("v"), FORMAT, "a voyages table value")
        return cls(
            {k: Call(**c) for k, c in data.get("open", {}).items()},
            [Call(**c) for c in data.get("calls", [])],
            [list(r) for r in data.get("draughts", [])],
            list(data.get("hull") or [None, None]),
            dict(data.get("vessel") or {}),
            data.get("last_gap"),
            data.get("last_seq", 0),
        )


def confidence(call: Call, observed_exit: bool) -> int:
    """GFW's visit confidence: stay + entry + exit = 4, stay + one of them = 3, stay only = 2."""
    return 2 + int(call.observed_entry) + int(observed_exit)


def port_call_event(
    mmsi: int, call: Call, observed_exit: bool, ev: dict[str, Any]
) -> dict[str, Any]:
    """The contract's port_call record, with the stay's evidence."""
    return {
        "kind": "port_call",
        "mmsi": mmsi,
        "port": call.port,
        "arrived_at": call.arrived_at,
        "departed_at": call.departed_at,
        "stayed": call.stayed,
        "confidence": confidence(call, observed_exit),
        "stopped_s": ev.get("stopped_s"),
        "longest_gap_s": ev.get("longest_gap_s"),
    }


def voyage_event(mmsi: int, origin: Call, destination: Call, state: VoyageState) -> dict[str, Any]:
    """The contract's voyage record: from the previous call's departure to this arrival."""
    assert origin.departed_at is not None
    # Judged on arrival, hours after leaving: the crew's draught update has come in by then.
    cargo = draught.change_across(state.draughts, origin.arrived_at, destination.arrived_at)
    return {
        "kind": "voyage",
        "mmsi": mmsi,
        "origin": origin.port,
        "destination": destination.port,
        "origin_arrived_at": origin.arrived_at,
        "origin_dark": origin.dark,
        "departed_at": origin.departed_at,
        "arrived_at": destination.arrived_at,
        "transit_s": round(epoch_of(destination.arrived_at) - epoch_of(origin.departed_at)),
        "origin_draught_before": cargo["draught_before"],
        "origin_draught_after": cargo["draught_after"],
        "loaded": cargo["loaded"],
    }


def _on_stop(state: VoyageState, mmsi: int, ev: dict[str, Any]) -> list[dict[str, Any]]:
    fence = ev["fence"]
    call = state.open.get(fence)
    if call is None:  # the enter was before this state existed (e.g. history pruned)
        call = state.open[fence] = Call(
            fence, ev["entered_at"], observed_entry=ev["observed_entry"]
        )
    if call.qualified:
        return []
    call.qualified, call.stayed = True, ev["stayed"]
    out = [port_call_event(mmsi, call, False, ev)]
    previous = state.calls[-1] if state.calls else None
    if previous is not None and previous.port != fence and previous.departed_at is not None:
        out.append(voyage_event(mmsi, previous, call, state))
    return out


def _on_exit(state: VoyageState, mmsi: int, ev: dict[str, Any]) -> list[dict[str, Any]]:
    call = state.open.pop(ev["fence"], None)
    if call is None or not call.qualified:
        return []  # a transit: in and out without a stay
    call.departed_at = ev["at"]
    origin = state.calls[-1] if state.calls else None
    state.calls = [*state.calls, call][-MAX_HISTORY:]
    cargo = draught.change_across(state.draughts, call.arrived_at, call.departed_at)
    departed = port_call_event(mmsi, call, True, ev)
    departed["draught_arrival"] = cargo["draught_before"]
    departed["draught_departure"] = cargo["draught_after"]
    out = [departed]
    if origin is not None and origin.port != call.port and cargo["discharged"]:
        out.append(delivery_event(mmsi, origin, call, cargo, state.hull))
    return out


def delivery_event(
    mmsi: int, origin: Call, call: Call, cargo: dict[str, Any], hull: list[float | None]
) -> dict[str, Any]:
    """A call that ended lighter than it began, after a call elsewhere: cargo delivered."""
    return {
        "kind": "delivery",
        "mmsi": mmsi,
        "origin": origin.port,
        "origin_arrived_at": origin.arrived_at,
        "origin_dark": origin.dark,
        "port": call.port,
        "arrived_at": call.arrived_at,
        "departed_at": call.departed_at,
        "draught_before": cargo["draught_before"],
        "draught_after": cargo["draught_after"],
        "discharged_m": -cargo["draught_change"],
        "length": hull[0],
        "beam": hull[1],
    }


def _on_gap(state: VoyageState, mmsi: int, ev: dict[str, Any]) -> list[dict[str, Any]]:
    near = [c["fence"] for c in ev["candidates"] if c["near"]]
    out: list[dict[str, Any]] = [
        {
            "kind": "ais_gap",
            "mmsi": mmsi,
            "from_at": ev["from_at"],
            "to_at": ev["at"],
            "duration_s": ev["duration_s"],
            "from": [ev["from_lat"], ev["from_lon"]],
            "to": [ev["to_lat"], ev["to_lon"]],
            "near": near,
            "inside": ev["inside"],
        }
    ]
    state.last_gap = {"from_at": ev["from_at"], "to_at": ev["at"], "near": near, "dark": []}
    for c in ev["candidates"]:
        if not c["feasible"] or c["fence"] in ev["inside"]:
            continue  # a silence inside a fence is a port gap of a seen visit, not a dark call
        call = Call(c["fence"], ev["from_at"], ev["at"], "dark", qualified=True, dark=True)
        state.calls = [*state.calls, call][-MAX_HISTORY:]
        state.last_gap["dark"].append(c["fence"])
        out.append(
            {
                "kind": "dark_port_call",
                "mmsi": mmsi,
                "port": c["fence"],
                "window_start": ev["from_at"],
                "window_end": ev["at"],
                "to_port_km": c["to_port_km"],
                "from_port_km": c["from_port_km"],
                "spare_h": c["spare_h"],
                "gap_h": round(ev["duration_s"] / 3600, 1),
            }
        )
    # A draught reported just after the gap may have come before the fix that ended it (a
    # static report and a position a second apart often swap): it speaks of the call all the
    # same.
    for at, reported in state.draughts:
        if at > ev["at"]:
            out += _draught_across_dark_call(state, mmsi, at, reported)
    return out


DARK_DRAUGHT_WINDOW_S = 6 * 3600  # a draught report this soon after a dark call speaks of it


def _draught_across_dark_call(
    state: VoyageState, mmsi: int, at: str, reported: float
) -> list[dict[str, Any]]:
    """A changed draught reported soon after a dark call: cargo moved while unseen."""
    gap = state.last_gap
    if gap is None or not gap["dark"] or gap.get("confirmed") or at <= gap["to_at"]:
        return []
    if epoch_of(at) - epoch_of(gap["to_at"]) > DARK_DRAUGHT_WINDOW_S:
        return []
    before = draught.at_or_before(state.draughts, gap["from_at"])
    if before is None or abs(reported - before) < CHANGE_MIN_M:
        return []
    gap["confirmed"] = True
    change = round(reported - before, 2)
    return [
        {
            "kind": "dark_port_call",
            "mmsi": mmsi,
            "port": port,
            "window_start": gap["from_at"],
            "window_end": gap["to_at"],
            "gap_h": round((epoch_of(gap["to_at"]) - epoch_of(gap["from_at"])) / 3600, 1),
            "draught_before": before,
            "draught_after": reported,
            "draught_change": change,
            "reported_at": at,
        }
        for port in gap["dark"]
    ]


def _on_gap_filled(state: VoyageState, mmsi: int, ev: dict[str, Any]) -> list[dict[str, Any]]:
    gap = state.last_gap
    if gap is None or (gap["from_at"], gap["to_at"]) != (ev["from_at"], ev["to_at"]):
        return []
    state.last_gap = None
    state.calls = [
        c
        for c in state.calls
        if not (c.dark and (c.arrived_at, c.departed_at) == (gap["from_at"], gap["to_at"]))
    ]
    return [{"kind": "gap_retracted", "mmsi": mmsi, "filled_at": ev["at"], **gap}]


def step(state: VoyageState, ev: dict[str, Any]) -> tuple[VoyageState, list[dict[str, Any]]]:
    """Apply one fence event (enter, stop, exit, gap, draught, vessel, identity); a repeat
    (numbered at or below the last applied) gives the same state object back and nothing."""
    seq = ev.get("seq")
    if isinstance(seq, int) and seq <= state.last_seq:
        # Input processed again after a restart: applying it twice would reopen closed calls.
        return state, []
    state = VoyageState.from_dict(state.to_dict())  # callers may keep the old state
    if isinstance(seq, int):
        state.last_seq = seq
    out = _dispatch(state, int(ev["mmsi"]), ev)
    for voyage_ev in out:  # who the vessel is, as far as known: for rules and for people
        voyage_ev.setdefault("imo", state.vessel.get("imo"))
        voyage_ev.setdefault("name", state.vessel.get("name"))
    return state, out


def _dispatch(state: VoyageState, mmsi: int, ev: dict[str, Any]) -> list[dict[str, Any]]:
    kind = ev["kind"]
    if kind == "enter":
        observed = bool(ev.get("observed_entry"))
        state.open.setdefault(ev["fence"], Call(ev["fence"], ev["at"], observed_entry=observed))
        return []
    if kind == "stop":
        return _on_stop(state, mmsi, ev)
    if kind == "exit":
        return _on_exit(state, mmsi, ev)
    if kind == "gap":
        return _on_gap(state, mmsi, ev)
    if kind == "gap_filled":
        return _on_gap_filled(state, mmsi, ev)
    if kind == "draught":
        confirmed = _draught_across_dark_call(state, mmsi, ev["at"], ev["draught"])
        state.draughts = draught.record(state.draughts, ev["at"], ev["draught"])
        state.hull = [ev.get("length") or state.hull[0], ev.get("beam") or state.hull[1]]
        return confirmed
    if kind == "vessel":
        state.vessel = {"imo": ev.get("imo"), "name": ev.get("name")}
        return []
    if kind == "identity":
        return [{**{k: v for k, v in ev.items() if k != "seq"}, "kind": "identity_change"}]
    return []  # glitches and future kinds carry evidence only
