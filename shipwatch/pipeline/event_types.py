"""The records published on each topic, as types: what the emitters really produce.

TypedDicts for the dict records (fence events, voyage events, dead letters, frames, sightings and
scenes); the pydantic models `Position`, `Static` and `Alert` for the rest. Every TypedDict
refuses keys it does not name (`extra="forbid"`), so validating real outputs against these
types proves that the types and the emitters agree. `pipeline.schemas` publishes them as JSON
Schemas.
"""

# No `from __future__ import annotations` here: with string annotations the TypedDicts'
# runtime `__required_keys__` would count every `NotRequired` field as required.

from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, with_config

# pydantic refuses `typing.TypedDict` before Python 3.12.
from typing_extensions import TypedDict

from alerts.models import Alert
from shipwatch.ais.records import Mmsi, Position, Static

__all__ = [
    "AisGap",
    "AlertState",
    "DarkCandidate",
    "DarkPortCall",
    "DarkPortCallConfirmed",
    "DarkPortCallEvent",
    "DarkSighting",
    "DeadLetter",
    "Delivery",
    "Encounter",
    "FenceDraught",
    "FenceEnter",
    "FenceExit",
    "FenceGap",
    "FenceGapFilled",
    "FenceGlitch",
    "FenceIdentity",
    "FenceIdentityImo",
    "FenceIdentityName",
    "FenceIdentityPosition",
    "FenceStop",
    "FenceVessel",
    "FileLine",
    "FileSource",
    "Frame",
    "GapCandidate",
    "GapRetracted",
    "GeofenceEvent",
    "IdentityChange",
    "IdentityChangeImo",
    "IdentityChangeName",
    "IdentityChangePosition",
    "ImageryRecord",
    "KafkaOffset",
    "KafkaSource",
    "Loitering",
    "NormalizedRecord",
    "PortCall",
    "PublishedAlert",
    "PublishedPosition",
    "PublishedStatic",
    "SceneMultiPolygon",
    "ScenePolygon",
    "SceneRecord",
    "SightingEvent",
    "SightingEventKind",
    "SightingRecord",
    "TriageAction",
    "TriageAssignee",
    "TriageMark",
    "TriageNote",
    "VoyageEvent",
]

_closed = with_config(ConfigDict(extra="forbid", use_attribute_docstrings=True))

ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
Time = Annotated[str, Field(pattern=ISO_UTC, description="ISO 8601 in UTC, Z suffix")]
Seq = Annotated[int, Field(ge=1, description="the vessel's fence-event number, 1, 2, ...")]
Stay = Literal["stop", "gap", "dwell"]
LatLon = tuple[float, float]
Imo = Annotated[int, Field(ge=1, le=9_999_999)]


def _emitted_whole(model: type[BaseModel]) -> AfterValidator:
    """Refuse a record that leaves out a field: `model_dump` always writes every one."""
    names = frozenset(model.model_fields)

    def check(value: BaseModel) -> BaseModel:
        missing = sorted(names - value.model_fields_set)
        if missing:
            raise ValueError(f"a published record has every field; missing {missing}")
        return value

    return AfterValidator(check)


# The models' JSON forms (`model_dump(mode="json")`): defaulted fields are written too.
PublishedPosition = Annotated[Position, _emitted_whole(Position)]
PublishedStatic = Annotated[Static, _emitted_whole(Static)]
PublishedAlert = Annotated[Alert, _emitted_whole(Alert)]
NormalizedRecord = Annotated[PublishedPosition | PublishedStatic, Field(discriminator="kind")]


# --- sightings: satellite detections (ais.records.Sighting as ais.json_form.as_json writes it) -


@_closed
class SightingRecord(TypedDict):
    """A vessel seen by a satellite (SAR or optical): where and when, no MMSI."""

    kind: Literal["sighting"]
    sighting_id: Annotated[str, Field(min_length=1, max_length=120)]
    """the detection's own id, e.g. S1A-20240308-0001 or GFW's detect_id"""
    ts: Time
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    length_m: Annotated[float, Field(gt=0, le=600)] | None
    """estimated from the image, metres; null when the source gives none"""
    source: Annotated[str, Field(max_length=60)] | None
    """the satellite or provider, e.g. sentinel-1; null when not given"""
    scene_id: NotRequired[Annotated[str, Field(min_length=1, max_length=120)]]
    """the scene (image) the detection was made in; absent when not given"""


LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
Ring = Annotated[list[LonLat], Field(min_length=4)]


@_closed
class ScenePolygon(TypedDict):
    """A GeoJSON Polygon: closed rings of [lon, lat], the first the outline, the rest holes."""

    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]


@_closed
class SceneMultiPolygon(TypedDict):
    """A GeoJSON MultiPolygon: polygons, each as a Polygon's coordinates."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


@_closed
class SceneRecord(TypedDict):
    """What a satellite image covered, and when (ais.records.Scene as ais.json_form.as_json
    writes it): no MMSI, keyed by scene_id on `sightings`."""

    kind: Literal["scene"]
    scene_id: Annotated[str, Field(min_length=1, max_length=120)]
    """the scene's own id, e.g. S1A-20240312-0007; sightings name it as their scene_id"""
    ts: Time
    """the acquisition time"""
    footprint: Annotated[ScenePolygon | SceneMultiPolygon, Field(discriminator="type")]
    """what the image covered: a valid polygon of at most 1,000,000 km2"""
    source: Annotated[str, Field(max_length=60)] | None
    """the satellite or provider, e.g. sentinel-1; null when not given"""
    min_length_m: Annotated[float, Field(gt=0, le=600)] | None
    """vessels this long or shorter may not show in the image; null when not given"""


ImageryRecord = Annotated[SightingRecord | SceneRecord, Field(discriminator="kind")]


# --- geofence-events: geofences.tracker and geofences.static_reports, numbered -------------


class _FenceEvent(TypedDict):
    mmsi: Mmsi
    at: Time
    seq: Seq


@_closed
class FenceEnter(_FenceEvent):
    """A fix inside a fence the vessel was not in."""

    kind: Literal["enter"]
    fence: str
    observed_entry: bool
    """seen outside shortly before (less than the port-gap time)"""


class _VisitSummary(_FenceEvent):
    """What `geofences.tracker._summary` adds: the visit so far."""

    fence: str
    entered_at: Time
    observed_entry: bool
    dwell_s: int
    stopped_s: int
    longest_gap_s: int


@_closed
class FenceStop(_VisitSummary):
    """The visit became a stay (once per visit); the summary so far."""

    kind: Literal["stop"]
    stayed: Stay
    """stopped long enough, silent long enough inside, or inside long enough"""


@_closed
class FenceExit(_VisitSummary):
    """A fix beyond the fence's exit buffer; the visit's summary."""

    kind: Literal["exit"]
    stayed: Stay | None
    """null: the visit was a transit"""


@_closed
class GapCandidate(TypedDict):
    """A watched port an AIS gap could hide a visit to."""

    fence: str
    role: Literal["loading", "discharge"]
    to_port_km: float
    from_port_km: float
    near: bool
    """either end of the gap within 50 km of the port"""
    feasible: bool
    spare_h: float


@_closed
class FenceGap(_FenceEvent):
    """An AIS gap between two fixes; `at` is its end."""

    kind: Literal["gap"]
    from_at: Time
    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    duration_s: int
    inside: list[str]
    """the fences the vessel was inside when it went silent"""
    candidates: list[GapCandidate]


@_closed
class FenceGapFilled(_FenceEvent):
    """A late fix inside the last gap: that gap was not one."""

    kind: Literal["gap_filled"]
    from_at: Time
    to_at: Time


@_closed
class FenceGlitch(_FenceEvent):
    """A fix that implies an impossible speed: kept out of every decision."""

    kind: Literal["glitch"]
    lat: float
    lon: float
    implied_kn: float
    jump_km: float


@_closed
class FenceIdentityPosition(_FenceEvent):
    """Glitches that agree with each other: a second transmitter using the MMSI."""

    kind: Literal["identity"]
    field: Literal["position"]
    old: LatLon
    """the last good [lat, lon]"""
    new: LatLon
    apart_km: int


@_closed
class FenceIdentityImo(_FenceEvent):
    """The MMSI reports another IMO number."""

    kind: Literal["identity"]
    field: Literal["imo"]
    old: Imo
    new: Imo


@_closed
class FenceIdentityName(_FenceEvent):
    """The MMSI reports another name."""

    kind: Literal["identity"]
    field: Literal["name"]
    old: str
    new: str


@_closed
class FenceDraught(_FenceEvent):
    """A draught change (metres), with the hull size the cargo estimate needs."""

    kind: Literal["draught"]
    draught: float
    previous: float | None
    length: float | None
    beam: float | None


@_closed
class FenceVessel(_FenceEvent):
    """What is known of the vessel changed."""

    kind: Literal["vessel"]
    imo: Imo | None
    name: str | None
    callsign: str | None
    ship_type: int | None


FenceIdentity = Annotated[
    FenceIdentityPosition | FenceIdentityImo | FenceIdentityName, Field(discriminator="field")
]
GeofenceEvent = Annotated[
    FenceEnter
    | FenceStop
    | FenceExit
    | FenceGap
    | FenceGapFilled
    | FenceGlitch
    | FenceIdentity
    | FenceDraught
    | FenceVessel,
    Field(discriminator="kind"),
]


# --- voyage-events: voyages.machine (every one gets the vessel's imo and name) ------------


class _VoyageEvent(TypedDict):
    mmsi: Mmsi
    imo: Imo | None
    name: str | None


@_closed
class PortCall(_VoyageEvent):
    """A stay in a fence: published on the stay with `departed_at` null, again on leaving."""

    kind: Literal["port_call"]
    port: str
    arrived_at: Time
    departed_at: Time | None
    stayed: Stay
    confidence: Annotated[int, Field(ge=2, le=4)]
    """GFW's visit confidence: stay + observed entry + observed exit"""
    stopped_s: int
    longest_gap_s: int
    draught_arrival: NotRequired[float | None]
    """on departure only"""
    draught_departure: NotRequired[float | None]
    """on departure only"""


@_closed
class Voyage(_VoyageEvent):
    """Two consecutive port calls at different ports, published on arrival."""

    kind: Literal["voyage"]
    origin: str
    destination: str
    origin_arrived_at: Time
    origin_dark: bool
    departed_at: Time
    arrived_at: Time
    transit_s: int
    origin_draught_before: float | None
    origin_draught_after: float | None
    loaded: bool


@_closed
class Delivery(_VoyageEvent):
    """A call that ended lighter than it began, after a call elsewhere (also on `deliveries`)."""

    kind: Literal["delivery"]
    origin: str
    origin_arrived_at: Time
    origin_dark: bool
    port: str
    arrived_at: Time
    departed_at: Time
    draught_before: float | None
    draught_after: float | None
    discharged_m: float
    length: float | None
    beam: float | None


# `from` is a Python keyword: only the functional form can name that key.
_GapEnds = TypedDict("_GapEnds", {"from": LatLon, "to": LatLon})


@_closed
class AisGap(_VoyageEvent, _GapEnds):
    """An AIS gap, `from` and `to` its ends as [lat, lon]."""

    kind: Literal["ais_gap"]
    from_at: Time
    to_at: Time
    duration_s: int
    near: list[str]
    """the watched ports within 50 km of either end"""
    inside: list[str]
    """the fences the vessel was inside when it went silent"""


@_closed
class DarkPortCall(_VoyageEvent):
    """An AIS gap that leaves time for a hidden visit to a watched port."""

    kind: Literal["dark_port_call"]
    port: str
    window_start: Time
    window_end: Time
    to_port_km: float
    from_port_km: float
    spare_h: float
    gap_h: float


@_closed
class DarkPortCallConfirmed(_VoyageEvent):
    """A changed draught reported soon after a dark call: cargo moved while unseen."""

    kind: Literal["dark_port_call"]
    port: str
    window_start: Time
    window_end: Time
    gap_h: float
    draught_before: float
    draught_after: float
    draught_change: float
    reported_at: Time


@_closed
class IdentityChangePosition(_VoyageEvent):
    """The tracker's `identity` event on `position`: two transmitters, one MMSI."""

    kind: Literal["identity_change"]
    at: Time
    field: Literal["position"]
    old: LatLon
    new: LatLon
    apart_km: int


@_closed
class IdentityChangeImo(_VoyageEvent):
    """The MMSI reports another IMO number."""

    kind: Literal["identity_change"]
    at: Time
    field: Literal["imo"]
    old: Imo
    new: Imo


@_closed
class IdentityChangeName(_VoyageEvent):
    """The MMSI reports another name."""

    kind: Literal["identity_change"]
    at: Time
    field: Literal["name"]
    old: str
    new: str


@_closed
class GapRetracted(_VoyageEvent):
    """Late positions filled an AIS gap: its `ais_gap` and dark calls are withdrawn."""

    kind: Literal["gap_retracted"]
    filled_at: Time
    from_at: Time
    to_at: Time
    near: list[str]
    dark: list[str]
    """the ports whose dark calls this gap had made"""
    confirmed: NotRequired[bool]
    """present (true) when a draught change had confirmed those dark calls"""


# --- at sea (sea/): encounters, loitering, sightings; also on voyage-events ---------------

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Knots = Annotated[float, Field(ge=0)]


@_closed
class Encounter(_VoyageEvent):
    """Two vessels close and slow at sea (sea.encounters): one event per side of the pair.

    Published when it has lasted the minimum time (`ended_at` null), again when they part.
    """

    kind: Literal["encounter"]
    other_mmsi: Mmsi
    started_at: Time
    ended_at: Time | None
    """null while it goes on"""
    lat: Lat
    lon: Lon
    """the pair's mean position"""
    min_distance_m: Annotated[int, Field(ge=0)]
    median_sog: Knots
    """this vessel's median speed over the ground in the encounter, knots"""
    other_median_sog: Knots
    duration_s: Annotated[int, Field(ge=0)]
    draught_before: float | None
    """this vessel's draught reported before the encounter, metres"""
    draught_after: float | None
    """its latest draught reported during the encounter, metres"""
    other_name: str | None
    other_imo: Imo | None
    other_flag_mid: Annotated[str, Field(pattern=r"^\d{3}$")]
    """the first three digits of the other MMSI (its flag's MID)"""


@_closed
class Loitering(_VoyageEvent):
    """A vessel slow at sea, clear of every fence, long enough (sea.sampler).

    Published when it has lasted the minimum time (`ended_at` null), again when it ends.
    """

    kind: Literal["loitering"]
    started_at: Time
    ended_at: Time | None
    """null while it goes on"""
    lat: Lat
    lon: Lon
    """its mean position while loitering"""
    median_sog: Knots
    duration_s: Annotated[int, Field(ge=0)]


class _Sighting(TypedDict):
    """A satellite sighting, decided: matched to an AIS vessel in its cell or not."""

    kind: Literal["sighting"]
    mmsi: Mmsi | None
    """the matched vessel (the record's key), null when none matches"""
    sighting_id: Annotated[str, Field(min_length=1, max_length=120)]
    ts: Time
    lat: Lat
    lon: Lon
    matched_mmsi: Mmsi | None
    distance_m: Annotated[float, Field(ge=0)] | None
    """from the matched vessel's interpolated position, metres; null when unmatched"""
    length_m: Annotated[float, Field(gt=0, le=600)] | None
    source: Annotated[str, Field(max_length=60)] | None


@_closed
class SightingEvent(_Sighting):
    """A sighting matched to an AIS vessel, or unmatched away from every watched port."""


@_closed
class DarkCandidate(TypedDict):
    """A silent watched vessel that could have reached the sighting."""

    mmsi: Mmsi
    last_seen_at: Time
    last_seen_km: float
    """from its last fix before the silence to the sighting"""
    """the end of its silence; null while it is still silent"""


@_closed
class DarkSighting(_Sighting):
    """An unmatched sighting at or near a watched port: a dark vessel (mmsi null)."""

    port: str
    port_role: Literal["loading", "discharge", "watch"]
    port_distance_m: Annotated[int, Field(ge=0)]
    candidates: list[Mmsi]
    """the MMSIs of candidate_details, in the same order"""
    candidate_details: list[DarkCandidate]


def _sighting_shape(value: Any) -> str:
    # Both shapes have kind "sighting"; only the port fields tell them apart.
    return "dark" if isinstance(value, dict) and "port" in value else "plain"


SightingEventKind = Annotated[
    Annotated[SightingEvent, Tag("plain")] | Annotated[DarkSighting, Tag("dark")],
    Discriminator(_sighting_shape),
]


def _dark_call_shape(value: Any) -> str:
    # Both shapes have kind "dark_port_call"; only the draught fields tell them apart.
    return "confirmed" if isinstance(value, dict) and "draught_change" in value else "feasible"


DarkPortCallEvent = Annotated[
    Annotated[DarkPortCall, Tag("feasible")] | Annotated[DarkPortCallConfirmed, Tag("confirmed")],
    Discriminator(_dark_call_shape),
]
# --- integrity (integrity/, sea/swaps.py, sea/scenes.py): identities and positions that lie --


@_closed
class IntegrityFix(TypedDict):
    """One vessel's fix an identity finding compared."""

    at: Time
    lat: Lat
    lon: Lon


@_closed
class IdentityConflict(_VoyageEvent):
    """Two MMSIs broadcast one IMO (or one name and size) where one ship could not be both
    (integrity.identity_groups): one event per pair; `mmsi` is the lower MMSI."""

    kind: Literal["identity_conflict"]
    other_mmsi: Mmsi
    other_name: str | None
    by: Literal["imo", "name"]
    key: str
    """the group: `i:<imo>` or `n:<name>|<length>|<beam>`"""
    at: Time
    fix: IntegrityFix
    other_fix: IntegrityFix
    distance_km: Annotated[float, Field(ge=0)]
    hours_apart: Annotated[float, Field(ge=0)]
    implied_kn: Annotated[float, Field(ge=0)] | None
    """null when the two fixes are at one time (no finite speed joins them)"""
    port: str | None
    """the watched port within the scope radius of this vessel's fix, if any"""
    other_port: str | None


@_closed
class IdentityStatusRef(TypedDict):
    """A status list's entry for an IMO (a scrapped or lost ship)."""

    status: str
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    source: str | None


@_closed
class InvalidIdentity(_VoyageEvent):
    """An IMO failing its check digit, an MMSI of no country, or a zombie IMO."""

    kind: Literal["invalid_identity"]
    reason: Literal["imo_check_digit", "mid", "zombie"]
    at: Time
    lat: Lat
    lon: Lon
    port: str | None
    status: NotRequired[IdentityStatusRef | None]
    """zombie: the status list's entry"""
    told_before: NotRequired[bool]
    """present (true) when found earlier out of scope: told again on coming near a port"""


@_closed
class SwapCandidate(TypedDict):
    """A new identity that could be the silent vessel."""

    mmsi: Mmsi
    name: str | None
    imo: Imo | None
    first_seen_at: Time
    lat: Lat
    lon: Lon
    distance_km: float
    """from the silent vessel's last fix"""
    ship_type: int
    length: float
    beam: float


@_closed
class IdentitySwap(_VoyageEvent):
    """A watched vessel fell silent at sea and a new identity of its type and size appeared
    within its reach (sea.swaps); `mmsi` is the silent vessel."""

    kind: Literal["identity_swap"]
    silent_since: Time
    last_lat: Lat | None
    last_lon: Lon | None
    ship_type: int
    length: float
    beam: float
    at: Time
    lat: Lat
    lon: Lon
    candidates: list[Mmsi]
    candidate_details: list[SwapCandidate]
    port: str | None


class _Tampering(_VoyageEvent):
    kind: Literal["position_tampering"]
    at: Time
    lat: Lat
    lon: Lon
    port: str | None


@_closed
class TamperingOnLand(_Tampering):
    """Consecutive fixes far inland, outside every fence (integrity.vessel_checks)."""

    reason: Literal["on_land"]
    fixes: int
    inland_m: Annotated[int, Field(ge=0)]
    since: Time
    first_lat: Lat
    first_lon: Lon


@_closed
class Jump(TypedDict):
    """A fix the tracker held out as impossible."""

    at: Time
    lat: Lat
    lon: Lon
    jump_km: float


@_closed
class TamperingJumps(_Tampering):
    """Repeated impossible jumps that other vessels near it did not make."""

    reason: Literal["jumps"]
    jumps: list[Jump]
    window_h: float


@_closed
class SceneSighting(TypedDict):
    """A sighting of the same scene elsewhere (no AIS vessel matched it)."""

    sighting_id: str
    lat: Lat
    lon: Lon
    distance_km: float


@_closed
class TamperingNotInImagery(_Tampering):
    """A satellite scene covered the vessel's AIS position and saw no one there."""

    reason: Literal["not_in_imagery"]
    scene_id: str
    scene_source: str | None
    inside_m: Annotated[int, Field(ge=0)]
    length: float
    sightings_elsewhere: list[SceneSighting]


def _tampering_shape(value: Any) -> str:
    return str(value.get("reason")) if isinstance(value, dict) else "on_land"


PositionTampering = Annotated[
    Annotated[TamperingOnLand, Tag("on_land")]
    | Annotated[TamperingJumps, Tag("jumps")]
    | Annotated[TamperingNotInImagery, Tag("not_in_imagery")],
    Discriminator(_tampering_shape),
]


@_closed
class GnssInterference(_VoyageEvent):
    """A vessel's jumps shared with others near it at the time: interference, not tampering."""

    kind: Literal["gnss_interference"]
    at: Time
    lat: Lat
    lon: Lon
    vessels: list[Mmsi]
    jumps: list[Jump]


IdentityChange = Annotated[
    IdentityChangePosition | IdentityChangeImo | IdentityChangeName, Field(discriminator="field")
]
VoyageEvent = Annotated[
    PortCall
    | Voyage
    | Delivery
    | AisGap
    | DarkPortCallEvent
    | IdentityChange
    | GapRetracted
    | Encounter
    | Loitering
    | SightingEventKind
    | IdentityConflict
    | InvalidIdentity
    | IdentitySwap
    | PositionTampering
    | GnssInterference,
    Field(discriminator="kind"),
]


# --- dead-letters: pipeline.dead_letters -------------------------------------------------


@_closed
class KafkaOffset(TypedDict):
    """Where a rejected message was read."""

    topic: str
    partition: int
    offset: int


@_closed
class KafkaSource(KafkaOffset):
    """Where a rejected message was read; a multi-sentence one lists every part."""

    parts: NotRequired[list[KafkaOffset]]


@_closed
class FileLine(TypedDict):
    """The file and line a rejected input came from (`replay`)."""

    file: str
    line: int


@_closed
class FileSource(FileLine):
    """The file and line a rejected input came from; a multi-sentence one lists every part."""

    parts: NotRequired[list[FileLine]]


@_closed
class DeadLetter(TypedDict):
    """A rejected input with its reason, where it came from, and its original bytes."""

    reason: str
    """a short label: bad_nmea, bad_checksum, invalid_field, internal_error, webhook_failed, ..."""
    detail: Annotated[str, Field(max_length=500)]
    stage: str
    """where it was refused: replay, ingest, track, voyage, alert, cap or webhook"""
    source: KafkaSource | FileSource
    raw: str | None
    """the bytes as UTF-8 text; null when they are not UTF-8"""
    raw_b64: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
    """the exact bytes, base64 (their first 256 KiB when there are more: see raw_size)"""
    raw_size: NotRequired[int]
    """only for an input over 256 KiB, cut to its first 256 KiB above: its whole size"""
    raw_sha256: NotRequired[str]
    """only with raw_size: the SHA-256 of the whole input, hex"""
    rejected_at: Time


# --- frames: batches of normalized records -----------------------------------------------


@_closed
class EventTimeProgress(TypedDict):
    """A source partition's event-time progress (shipwatch.watermarks.Progress)."""

    l: int  # noqa: E741 - the level: 0 raw partitions, 1 frames, 2 sea
    s: int  # the source partition
    n: int  # partitions at that level
    t: float | None  # the newest event time applied there
    i: bool  # idle: quiet, and nothing left to read


@_closed
class Frame(TypedDict):
    """A batch of normalized records, each exactly as on `positions` or `statics`, then the
    sending raw partition's progress, which covers them (a frame may carry only that)."""

    records: list[NormalizedRecord]
    progress: NotRequired[EventTimeProgress]


# --- alert-state: triage.board (compacted, keyed by alert_id) ----------------------------

TriageName = Annotated[str, Field(min_length=1, max_length=100)]


@_closed
class TriageMark(TypedDict):
    """Who set a flag (acknowledged, false positive), and when."""

    by: TriageName
    at: Time


@_closed
class TriageAssignee(TypedDict):
    """Who the alert is assigned to, by whom, and when."""

    name: TriageName
    by: TriageName
    at: Time


@_closed
class TriageNote(TypedDict):
    """A free-text note (at most 2,000 characters)."""

    by: TriageName
    at: Time
    text: Annotated[str, Field(min_length=1, max_length=2000)]


@_closed
class TriageAction(TypedDict):
    """One action of the alert's history; `assignee` only for assign."""

    action: Literal["acknowledge", "assign", "unassign", "note", "false_positive", "reopen"]
    by: TriageName
    at: Time
    assignee: NotRequired[TriageName]


@_closed
class AlertState(TypedDict):
    """An alert's whole triage state after an action (compaction keeps the newest per key)."""

    alert_id: Annotated[str, Field(min_length=1, max_length=300)]
    acknowledged: TriageMark | None
    assignee: TriageAssignee | None
    false_positive: TriageMark | None
    notes: Annotated[list[TriageNote], Field(max_length=50)]
    """the last 50 notes, oldest first"""
    actions: Annotated[list[TriageAction], Field(max_length=50)]
    """the last 50 actions, oldest first"""
    updated_at: Time
    version: Annotated[int, Field(ge=1)]
    """1 for the first action, one more for each; two records of one version: a concurrent
    write from another worker replaced the other (last write wins)"""


@_closed
class FeedStatus(TypedDict):
    """One live source of `shipwatch feed`, as it stood (every few seconds, keyed by source)."""

    source: Annotated[str, Field(min_length=1, max_length=300)]
    connected: bool
    """connected (a listener: listening)"""
    messages_per_s: Annotated[float, Field(ge=0)]
    """messages received per second since the previous status"""
    last_message_at: Time | None
    """when the source's last message came (null: none yet)"""
    reconnects: Annotated[int, Field(ge=0)]
    clock_offset_s: float | None
    """median of the source's tag-block time minus the receive time (null: no tag blocks)"""
    at: Time
