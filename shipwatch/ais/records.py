"""The normalized records of the contract: positions, static/voyage data, satellite sightings
and the scenes (image footprints) they come from."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from shipwatch.ais.geojson import Footprint, checked_footprint

Mmsi = Annotated[int, Field(ge=1, le=999_999_999)]
# A satellite detection's or scene's own id, e.g. S1A-20240308-0001 or GFW's detect_id.
ImageryId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


def iso(ts: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix, the one time format of every record."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # AIS began in the 2000s: earlier is garbled
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # a receiver's time past this is garbled
EARLIEST_T, LATEST_T = EARLIEST.timestamp(), LATEST.timestamp()
# A time this far past our clock is no fix yet: a garbled year or a receiver's clock. Taken in,
# it would carry its partition's event-time progress days ahead, and every decision waiting on
# a watermark would be made before the real fixes came.
FUTURE_TOLERANCE_S = 86_400.0


def time_allowed(t: float) -> bool:
    """Whether epoch seconds `t` can be a record's time: from 1970 to 2099, and at most
    FUTURE_TOLERANCE_S ahead of our clock."""
    return EARLIEST_T <= t < LATEST_T and t <= time.time() + FUTURE_TOLERANCE_S


def utc(value: datetime) -> datetime:
    """A record's time in UTC (feeds without an offset are UTC by AIS convention), from 1970 to
    a day past our clock; ValueError otherwise."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:  # an offset carried it past year 1 or 9999
        raise ValueError("outside the calendar once in UTC") from exc
    if not time_allowed(value.timestamp()):
        if EARLIEST <= value < LATEST:
            raise ValueError(f"{value.isoformat()} is more than a day ahead of our clock")
        raise ValueError(f"{value.isoformat()} is before 1970 or after 2099")
    return value


# Every record's time: read in UTC, written as ISO 8601 with a Z.
UtcTime = Annotated[datetime, AfterValidator(utc), PlainSerializer(iso, return_type=str)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mmsi: Mmsi
    ts: UtcTime


class Position(_Record):
    """A position report; unavailable values are None."""

    kind: Literal["position"] = "position"
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sog: float | None = Field(default=None, ge=0, le=102.2)  # knots
    cog: float | None = Field(default=None, ge=0, lt=360)  # degrees true
    heading: int | None = Field(default=None, ge=0, le=359)  # degrees true
    nav_status: int | None = Field(default=None, ge=0, le=15)


class Static(_Record):
    """Static and voyage data; only what the source gives is set."""

    kind: Literal["static"] = "static"
    imo: int | None = Field(default=None, ge=1, le=9_999_999)
    name: str | None = Field(default=None, max_length=120)
    callsign: str | None = Field(default=None, max_length=20)
    ship_type: int | None = Field(default=None, ge=0, le=255)
    length: float | None = Field(default=None, gt=0, le=600)  # metres
    beam: float | None = Field(default=None, gt=0, le=100)  # metres
    draught: float | None = Field(default=None, gt=0, le=30)  # metres
    destination: str | None = Field(default=None, max_length=120)
    eta: str | None = None


class Sighting(BaseModel):
    """A vessel seen by a satellite (a SAR or optical detection): no MMSI, only where and when.

    Not a `_Record`: it names no vessel. Its fields, in this order, are its JSON form's keys.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["sighting"] = "sighting"
    sighting_id: ImageryId
    ts: UtcTime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    length_m: float | None = Field(default=None, gt=0, le=600)  # estimated from the image
    source: str | None = Field(default=None, max_length=60)  # e.g. "sentinel-1"
    # The scene (`Scene`) the detection was made in; not written when unknown, so that a
    # sighting without one keeps the JSON form it always had.
    scene_id: ImageryId | None = None

    @model_serializer(mode="wrap")
    def _scene_id_when_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("scene_id", "") is None:
            del data["scene_id"]
        return data


class Scene(BaseModel):
    """What a satellite image covered, and when: where an absence of sightings is evidence.

    Not a `_Record`: it names no vessel. Its fields, in this order, are its JSON form's keys.
    Every field is checked, none nulled: a bad footprint or size floor would make (or hide)
    `not_in_imagery` alerts, so a bad scene is rejected with its reason.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["scene"] = "scene"
    scene_id: ImageryId
    ts: UtcTime  # the acquisition time (the image's middle, for a long strip)
    footprint: Annotated[Footprint, PlainValidator(checked_footprint)]  # GeoJSON, [lon, lat]
    source: str | None = Field(default=None, max_length=60)  # e.g. "sentinel-1"
    # Vessels this long or shorter may be missed by the image: their absence proves nothing.
    min_length_m: float | None = Field(default=None, gt=0, le=600)


Record = Position | Static  # the records of a vessel (`.mmsi`): what tracks and frames carry
AnyRecord = Position | Static | Sighting | Scene  # every record an input may give
Imagery = Sighting | Scene  # the records of no vessel: keyed by their own id, not an MMSI

# The fields a record is still worth having without: an invalid value in one of them becomes
# null (and is counted), where an invalid required field rejects the input.
OPTIONAL_FIELDS: dict[type[AnyRecord], frozenset[str]] = {
    Position: frozenset({"sog", "cog", "heading", "nav_status"}),
    Static: frozenset(Static.model_fields) - {"kind", "mmsi", "ts"},
    Sighting: frozenset({"length_m", "source", "scene_id"}),
    Scene: frozenset(),
}
# Every optional field name, in the order of the records' fields (the metric's label values).
OPTIONAL_FIELD_NAMES = tuple(
    dict.fromkeys(
        name
        for model in OPTIONAL_FIELDS
        for name in model.model_fields
        if name in OPTIONAL_FIELDS[model]
    )
)
