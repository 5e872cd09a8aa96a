"""The history's rows from the records the topics carry: fixes, statics, events and alerts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from shipwatch.ais.timefmt import EventTimes, epoch_of

Record = dict[str, Any]
_epoch = EventTimes()  # a feed's fixes share their seconds: each ISO time parsed once
# When an event happened, by kind where its own time field says it best; else the first of
# EVENT_TIMES it carries. A voyage sits at its departure, between the two port calls; a dark
# port call at the start of the AIS gap that hid it.
EVENT_TIME_OF = {
    "voyage": "departed_at",
    "delivery": "arrived_at",
    "port_call": "arrived_at",
    "dark_port_call": "window_start",
}
EVENT_TIMES = ("at", "started_at", "from_at", "arrived_at", "departed_at", "ts")
# What makes a later record of the same event replace the earlier one (a port call is published
# on arrival with `departed_at` null, again on leaving); other events are kept as published.
EVENT_IDENTITY = {
    "port_call": ("port", "arrived_at"),
    "encounter": ("other_mmsi", "started_at"),
    "loitering": ("started_at",),
    "voyage": ("origin", "departed_at"),
}
IDENTITY_FIELDS = (
    "name",
    "imo",
    "callsign",
    "ship_type",
    "length",
    "beam",
    "draught",
    "destination",
)


@dataclass(slots=True)
class Batch:
    """One poll's rows, ready for one transaction, with the offsets they bring the store to."""

    fixes: list[tuple[int, float, float, float, Any, Any, Any]] = field(default_factory=list)
    statics: list[tuple[int, float, Record]] = field(default_factory=list)
    events: list[tuple[int, float, str, bytes, bytes]] = field(default_factory=list)
    alerts: list[tuple[str, float, list[int], bytes]] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    skipped: int = 0  # values that were not records of their topic (already dead-lettered)

    def rows(self) -> int:
        """The rows gathered so far (offsets aside)."""
        return len(self.fixes) + len(self.statics) + len(self.events) + len(self.alerts)

    def add(self, topic: str, value: bytes | None) -> None:
        """Parse one value of a history topic (`history` frames, `statics`, `*-events`,
        `alerts`); a value that is not a record of its topic is counted in `skipped`."""
        try:
            record = orjson.loads(value) if value else None
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
            if topic == "history":
                self._fixes(record["records"])
            elif topic == "statics":
                self.statics.append((int(record["mmsi"]), epoch_of(record["ts"]), identity(record)))
            elif topic == "alerts":
                self.alerts.append(alert_row(record, value or b""))
            else:
                row = event_row(record, value or b"")
                if row is not None:
                    self.events.append(row)
                    other = record.get("other_mmsi")
                    if record.get("kind") == "identity_conflict" and isinstance(other, int):
                        self.events.append((other, *row[1:]))  # on both vessels' timelines
        except (TypeError, KeyError, ValueError, orjson.JSONDecodeError):
            self.skipped += 1

    def _fixes(self, records: list[Record]) -> None:
        for record in records:  # one bad record costs itself, not its frame
            try:
                self.fixes.append(fix_row(record))
            except (TypeError, KeyError, ValueError):
                self.skipped += 1


def fix_row(r: Record) -> tuple[int, float, float, float, Any, Any, Any]:
    """(mmsi, t, lat, lon, sog, cog, heading) of a position record."""
    return (
        int(r["mmsi"]),
        _epoch(r["ts"]),
        float(r["lat"]),
        float(r["lon"]),
        r.get("sog"),
        r.get("cog"),
        r.get("heading"),
    )


def event_time(record: Record) -> str:
    """The ISO time an event stands at on a timeline."""
    own = EVENT_TIME_OF.get(record.get("kind", ""))
    if own and isinstance(record.get(own), str):
        return str(record[own])
    for name in EVENT_TIMES:
        value = record.get(name)
        if isinstance(value, str):
            return value
    raise KeyError("no event time")


def event_row(record: Record, raw: bytes) -> tuple[int, float, str, bytes, bytes] | None:
    """(mmsi, t, kind, key, record) of an event; None for an event of no vessel."""
    mmsi = record.get("mmsi")
    if mmsi is None and record.get("kind") == "sighting":
        mmsi = record.get("matched_mmsi")  # a satellite sighting matched to an AIS vessel
    if not isinstance(mmsi, int):
        return None
    kind = str(record["kind"])
    names = EVENT_IDENTITY.get(kind)
    identity = orjson.dumps([kind, *[record.get(n) for n in names]]) if names else raw
    key = hashlib.blake2b(identity, digest_size=12).digest()
    return mmsi, epoch_of(event_time(record)), kind, key, raw


def alert_row(record: Record, raw: bytes) -> tuple[str, float, list[int], bytes]:
    """(alert_id, t, the vessels it concerns, record): its own MMSI, or a dark vessel's (or an
    identity swap's) candidates, and an encounter's or an identity conflict's other vessel."""
    alert_id = record["alert_id"]
    if not isinstance(alert_id, str):
        raise TypeError("alert_id")
    vessels = [record["mmsi"]] if isinstance(record.get("mmsi"), int) else []
    evidence = record.get("evidence") or {}
    for candidate in evidence.get("candidates") or []:
        if isinstance(candidate, int):
            vessels.append(candidate)
    other = evidence.get("other")
    if isinstance(other, dict) and isinstance(other.get("mmsi"), int):
        vessels.append(other["mmsi"])
    if isinstance(evidence.get("other_mmsi"), int):  # the other side of an identity conflict
        vessels.append(evidence["other_mmsi"])
    return alert_id, epoch_of(record["at"]), sorted(set(vessels)), raw


def identity(report: Record) -> Record:
    """The identity fields a static report gives (null ones left out): all the store merges of
    it, and all a batch keeps until its transaction (a report's other fields are a dozen more
    objects each)."""
    return {name: report[name] for name in IDENTITY_FIELDS if report.get(name) is not None}


def identity_changes(
    known: Record | None, report: Record
) -> tuple[Record, list[tuple[str, Any, Any]]]:
    """The identity after a static report, and (field, old, new) for each value it changed.

    A field the report leaves null keeps its value: a source that omits it has not cleared it."""
    merged = dict(known or {})
    changes = []
    for name in IDENTITY_FIELDS:
        new = report.get(name)
        if new is None or (isinstance(new, str) and not new.strip()):
            continue
        old = merged.get(name)
        if old != new:
            if old is not None:
                changes.append((name, old, new))
            merged[name] = new
    return merged, changes
