"""Records in their published JSON form, made without pydantic where that is plainly safe.

pydantic validates and dumps a position in about 17 µs; the ingest hot path has about 50 µs for
everything. A JSON position whose every field is already of the exact type and in range (the
common case) is checked here by hand in about 2 µs; anything else, even a value pydantic would
coerce, goes through the models, so the two paths accept, refuse and print alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from shipwatch.ais.errors import Rejected
from shipwatch.ais.raw_message import MAX_MESSAGE_BYTES, decode_message, is_vessel_mmsi
from shipwatch.ais.records import AnyRecord, Position, Scene, Sighting, iso, time_allowed
from shipwatch.ais.timefmt import EventTimes

JsonRecord = dict[str, Any]  # a record as published on `positions` / `statics` / `sightings`
# (where scenes go too)

_POSITION_FIELDS = frozenset(Position.model_fields)
_ISO_Z_LEN = len("2024-03-07T00:00:00Z")
_times = EventTimes()  # the canonical times already found valid, and their epoch seconds


def json_bytes(obj: Any) -> bytes:
    """`orjson.dumps`, as a bytes object of its own size.

    orjson hands back its 4 KiB working buffer as the result. Kept for a while, thousands of
    them (a batch's records, the table's states) cost 4 KiB each, and a batch of 5,000 touches
    20 MB of fresh memory: the copy costs 0.2 µs and saves 3 µs a record in a batch."""
    return bytes(memoryview(orjson.dumps(obj)))


def as_json(record: AnyRecord) -> JsonRecord:
    """`record.model_dump(mode="json")`, written out: a third of the cost."""
    if isinstance(record, Position):
        return {
            "mmsi": record.mmsi,
            "ts": iso(record.ts),
            "kind": "position",
            "lat": record.lat,
            "lon": record.lon,
            "sog": record.sog,
            "cog": record.cog,
            "heading": record.heading,
            "nav_status": record.nav_status,
        }
    if isinstance(record, Sighting):
        sighting = {
            "kind": "sighting",
            "sighting_id": record.sighting_id,
            "ts": iso(record.ts),
            "lat": record.lat,
            "lon": record.lon,
            "length_m": record.length_m,
            "source": record.source,
        }
        if record.scene_id is not None:  # written only when known, as the model dumps it
            sighting["scene_id"] = record.scene_id
        return sighting
    if isinstance(record, Scene):
        return {
            "kind": "scene",
            "scene_id": record.scene_id,
            "ts": iso(record.ts),
            "footprint": record.footprint,  # already normalized (ais.geojson); never changed
            "source": record.source,
            "min_length_m": record.min_length_m,
        }
    return record.model_dump(mode="json")  # statics are rare: the model's own dump


_REAL = (float, int)


def plain_position(obj: dict[str, Any]) -> JsonRecord | None:
    """The JSON form of a position that needs no coercion and passes every check; else None."""
    return _record_of(obj) if _plain(obj) else None


def _record_of(obj: dict[str, Any]) -> JsonRecord:
    sog, cog = obj.get("sog"), obj.get("cog")
    return {
        "mmsi": obj["mmsi"],
        "ts": obj["ts"],
        "kind": "position",
        "lat": float(obj["lat"]),
        "lon": float(obj["lon"]),
        "sog": None if sog is None else float(sog),
        "cog": None if cog is None else float(cog),
        "heading": obj.get("heading"),
        "nav_status": obj.get("nav_status"),
    }


def _plain(obj: dict[str, Any]) -> bool:
    """Whether a position needs no coercion and passes every check."""
    # Written flat on purpose: this runs for every position of the world's feed.
    if not _POSITION_FIELDS.issuperset(obj):
        return False
    get: Callable[[str], Any] = obj.get
    mmsi, ts, lat, lon = get("mmsi"), get("ts"), get("lat"), get("lon")
    sog, cog, heading, status = get("sog"), get("cog"), get("heading"), get("nav_status")
    if type(mmsi) is not int or not 1 <= mmsi <= 999_999_999:
        return False
    if type(lat) not in _REAL or type(lon) not in _REAL:
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    if sog is not None and (type(sog) not in _REAL or not 0 <= sog <= 102.2):
        return False
    if cog is not None and (type(cog) not in _REAL or not 0 <= cog < 360):
        return False
    if heading is not None and (type(heading) is not int or not 0 <= heading <= 359):
        return False
    if status is not None and (type(status) is not int or not 0 <= status <= 15):
        return False
    # Only the canonical form is taken as is: the models would print any other the same way.
    if type(ts) is not str or len(ts) != _ISO_Z_LEN or ts[-1] != "Z" or ts[10] != "T":
        return False
    if ts[4] != "-" or ts[7] != "-" or ts[13] != ":" or ts[16] != ":":
        return False  # 20 characters can also be a week date or a time without colons
    try:
        t = _times(ts)  # a feed's fixes share their seconds: each time is parsed once
    except (ValueError, OverflowError):
        return False
    return time_allowed(t)


def decode_json_form(payload: bytes, nulled: list[str] | None = None) -> list[JsonRecord]:
    """`decode_message` in the published JSON form; raises Rejected the same way, and names
    the optional fields it set to null in `nulled` the same way.

    Statics, sightings and scenes (rare) take the models' path through `decode_message`; so does a
    position with an invalid optional field (the fast path has nothing to null)."""
    return decode_json_published(payload, nulled)[0]


def decode_json_published(
    payload: bytes, nulled: list[str] | None = None
) -> tuple[list[JsonRecord], bool]:
    """`decode_json_form`, and whether the payload is already its one record's published form,
    so that its bytes can be published as they came.

    That form: exactly the published keys (in any order), every value as `plain_position` takes
    it, the coordinates, speed and course already floats, so that the bytes parse to the very
    record the published form would. It spares a replayed JSON feed's positions a second
    serialization."""
    if len(payload) <= MAX_MESSAGE_BYTES and payload[:1] == b"{":
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            obj = None  # decode_message below names the error
        if isinstance(obj, dict) and obj.get("kind") == "position" and _plain(obj):
            mmsi = obj["mmsi"]
            if not is_vessel_mmsi(mmsi):
                raise Rejected("not_a_vessel", f"MMSI {mmsi} is not a ship station")
            if _published(obj, payload):
                return [obj], True  # equal to its published record, key order aside
            return [_record_of(obj)], False
    return [as_json(r) for r in decode_message(payload, nulled)], False


def _published(obj: dict[str, Any], payload: bytes) -> bool:
    if len(obj) != len(_POSITION_FIELDS) or payload[-1:] != b"}":
        return False  # a key left out, or bytes after the object (a newline)
    sog, cog = obj["sog"], obj["cog"]
    return (
        type(obj["lat"]) is float
        and type(obj["lon"]) is float
        and (sog is None or type(sog) is float)
        and (cog is None or type(cog) is float)
    )
