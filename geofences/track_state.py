"""The per-vessel state of the fence tracker, and its table (JSON) form.

The pipeline composes it with the at-sea part (shipwatch.pipeline.vessel_state): the tracker's
functions are generic in the state type, so they keep whatever subclass they are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import orjson

from shipwatch.ais.json_form import json_bytes

# Every stored state starts so when the vessel is in no fence: a scan of the table for the
# vessels inside each fence then needs to parse only the few that are in one.
OUTSIDE_EVERY_FENCE = b'{"visits":{}'


@dataclass(frozen=True, slots=True)
class Fix:
    """A position reduced to what the core needs; `t` is event time in epoch seconds."""

    mmsi: int
    t: float
    lat: float
    lon: float
    sog: float | None


@dataclass(slots=True)
class Visit:
    """An open stay inside one fence."""

    entered_t: float
    observed_entry: bool
    stopped: bool = False
    stopped_s: float = 0.0
    longest_gap_s: float = 0.0
    stayed: str | None = None  # why it counts as a stay: "stop", "gap" or "dwell"


@dataclass(slots=True)
class TrackState:
    """Everything the tracker remembers about one vessel."""

    last_t: float | None = None
    last_lat: float = 0.0
    last_lon: float = 0.0
    visits: dict[str, Visit] = field(default_factory=dict)
    newest_t: float | None = None  # newest event time seen, applied or pending
    pending: list[tuple[float, float, float, float | None]] = field(default_factory=list)
    suspect: tuple[float, float, float] | None = None  # last fix held out as a glitch
    vessel: dict[str, Any] = field(default_factory=dict)  # latest static data
    static_t: float | None = None  # event time of the latest static report applied
    glitches: list[float] | None = None  # last glitch [t, lat, lon] and the run it belongs to
    last_gap: list[float] | None = None  # [t, lat, lon] x 2 of the last gap: late data may fill it
    # Number of the vessel's last event: a consumer drops what it has seen when input is
    # processed again after a restart (at-least-once), as the same events get the same numbers.
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the state table."""
        return {
            "visits": {k: _visit_dict(v) for k, v in self.visits.items()},
            "last_t": self.last_t,
            "last_lat": self.last_lat,
            "last_lon": self.last_lon,
            "newest_t": self.newest_t,
            "pending": [list(p) for p in self.pending],
            "suspect": list(self.suspect) if self.suspect else None,
            "vessel": self.vessel,
            "static_t": self.static_t,
            "last_gap": self.last_gap,
            "glitches": self.glitches,
            "seq": self.seq,
        }

    def to_json(self) -> bytes:
        """The table value: `to_dict` as JSON, "visits" first (see OUTSIDE_EVERY_FENCE)."""
        return json_bytes(self.to_dict())  # kept as long as the vessel is tracked

    @classmethod
    def from_json(cls, value: bytes) -> Self:
        """Inverse of to_json."""
        return cls.from_dict(orjson.loads(value))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of to_dict."""
        visits = {k: Visit(**v) for k, v in data.get("visits", {}).items()}
        pending = [(p[0], p[1], p[2], p[3]) for p in data.get("pending", [])]
        return cls(
            last_t=data.get("last_t"),
            last_lat=data.get("last_lat", 0.0),
            last_lon=data.get("last_lon", 0.0),
            visits=visits,
            newest_t=data.get("newest_t"),
            pending=pending,
            suspect=tuple(data["suspect"]) if data.get("suspect") else None,
            vessel=dict(data.get("vessel") or {}),
            static_t=data.get("static_t"),
            glitches=data.get("glitches"),
            last_gap=data.get("last_gap"),
            seq=data.get("seq", 0),
        )


S = TypeVar("S", bound=TrackState)  # a tracker state, or the pipeline's state composed from one


def _visit_dict(v: Visit) -> dict[str, Any]:
    return {
        "entered_t": v.entered_t,
        "observed_entry": v.observed_entry,
        "stopped": v.stopped,
        "stopped_s": v.stopped_s,
        "longest_gap_s": v.longest_gap_s,
        "stayed": v.stayed,
    }


def fences_of(value: bytes) -> list[str]:
    """The fences a stored state (`to_json`) is inside; cheap for the many in none."""
    if value.startswith(OUTSIDE_EVERY_FENCE):
        return []
    visits: dict[str, Any] = orjson.loads(value).get("visits") or {}
    return list(visits)
