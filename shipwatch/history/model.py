"""What one vessel's page and exports are made of, as read from the history store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fix:
    """One kept position: ISO time, coordinates, speed and course (None when not reported)."""

    ts: str
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None
    heading: float | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to a vessel, at event time `at` (ISO 8601, UTC).

    `source` says where it comes from: "event" (a geofence or voyage event as published),
    "alert" (an alert as published, with its triage state under "triage" when there is one)
    or "identity" (a change of name, IMO, call sign, ship type, draught or destination seen in
    the static reports: `record` is {"field", "old", "new"})."""

    at: str
    kind: str
    source: str
    record: Record


@dataclass(frozen=True, slots=True)
class VesselHistory:
    """Everything the store holds about one vessel over a time range, oldest first."""

    mmsi: int
    identity: Record  # the latest known static fields (name, imo, callsign, ...), flag
    track: list[Fix] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    cargo: Record = field(default_factory=dict)  # the estimate and what it rests on

    @property
    def alerts(self) -> list[Record]:
        """The vessel's alerts as published (with "triage" where triaged), oldest first."""
        return [entry.record for entry in self.timeline if entry.source == "alert"]

    @property
    def events(self) -> list[Record]:
        """The vessel's geofence and voyage events as published, oldest first."""
        return [entry.record for entry in self.timeline if entry.source == "event"]
