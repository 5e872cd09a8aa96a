"""The alert record published on `<namespace>.alerts`, with its deterministic id."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

Severity = Literal["info", "warning", "critical"]
Status = Literal["active", "retracted"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")


def alert_id_for(kind: str, mmsi: int, identity: dict[str, Any]) -> str:
    """Same kind, vessel and identifying evidence give the same id, across replays and restarts."""
    canonical = orjson.dumps({"kind": kind, "mmsi": mmsi, **identity}, option=orjson.OPT_SORT_KEYS)
    return f"{kind}-{mmsi}-{hashlib.sha256(canonical).hexdigest()[:16]}"


class Alert(BaseModel):
    """One finding for operators; `at` is the event time it was found at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    kind: str
    severity: Severity
    mmsi: int | None  # None: no AIS vessel (a dark vessel seen by satellite)
    at: str
    title: str
    port: str | None = None
    route: str | None = None
    evidence: dict[str, Any]
    # A retraction record repeats the alert's id with status "retracted" (late data undid it).
    status: Status = "active"

    def to_json(self) -> bytes:
        """The bytes published on the alerts topic and printed by `detect`."""
        return orjson.dumps(self.model_dump(), option=orjson.OPT_SORT_KEYS)


def vessel_alert(
    kind: str,
    ev: Mapping[str, Any],
    identity: dict[str, Any],
    severity: Severity,
    at: str,
    title: str,
    evidence: dict[str, Any],
    **where: str | None,
) -> Alert:
    """An alert about the event's vessel: its id from the identity, its name, IMO and flag
    digits first in the evidence."""
    vessel = {"name": ev.get("name"), "imo": ev.get("imo"), "flag_mid": str(ev["mmsi"])[:3]}
    return Alert(
        alert_id=alert_id_for(kind, ev["mmsi"], identity),
        kind=kind,
        severity=severity,
        mmsi=ev["mmsi"],
        at=at,
        title=title,
        evidence={**vessel, **evidence},
        **where,
    )
