"""The JSON Schema of every topic's records, generated from `pipeline.event_types`.

`python -m shipwatch.pipeline.schemas --write` writes `schemas/<topic>.schema.json`; `--check`
exits 1 naming every file that is not what a fresh generation gives. `validator(topic)` checks one
JSON-decoded record against the topic's type, as the tests do with real outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from shipwatch.pipeline import event_types as et

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
SUFFIX = ".schema.json"


@dataclass(frozen=True)
class TopicRecords:
    """The type of one topic's record values, and what they are."""

    type: Any
    description: str


TOPICS: dict[str, TopicRecords] = {
    "positions": TopicRecords(
        et.PublishedPosition, "A normalized AIS position report, keyed by MMSI."
    ),
    "statics": TopicRecords(
        et.PublishedStatic,
        "Normalized AIS static and voyage data, keyed by MMSI: what the source gives, "
        "null for the rest.",
    ),
    "sightings": TopicRecords(
        et.ImageryRecord,
        "A satellite sighting (a vessel detected in an image, e.g. Sentinel-1 SAR), keyed by "
        "sighting_id, or a satellite scene (what an image covered, and when), keyed by "
        "scene_id: no MMSI.",
    ),
    "nearby": TopicRecords(
        et.PublishedPosition,
        "Internal: the positions near the fences (for the live page's map), as on positions.",
    ),
    "history": TopicRecords(
        et.Frame,
        "Internal: frames of the positions the vessel pages keep (every one in a fence's map "
        "area, elsewhere one per vessel every few minutes and at turns), each as on positions.",
    ),
    "frames": TopicRecords(
        et.Frame,
        "Internal: a batch of normalized records, each exactly as on positions or statics.",
    ),
    "geofence-events": TopicRecords(
        et.GeofenceEvent,
        "A vessel's fence and track events (enter, stop, exit, gap, gap_filled, glitch, "
        "identity) and static-data events (draught, vessel, identity), numbered per vessel "
        "by seq, keyed by MMSI.",
    ),
    "voyage-events": TopicRecords(
        et.VoyageEvent,
        "A vessel's port calls, voyages, deliveries, AIS gaps, dark port calls, identity "
        "changes and gap retractions, keyed by MMSI; and at sea: encounters (one per side "
        "of the pair), loitering, and decided satellite sightings (mmsi null when no AIS "
        "vessel matches; near a watched port, a dark vessel with its port and candidates).",
    ),
    "deliveries": TopicRecords(
        et.Delivery,
        "Internal: the delivery voyage events on a watched route, keyed by route, for the "
        "cap totals.",
    ),
    "alerts": TopicRecords(
        et.PublishedAlert,
        'One finding for operators; a retraction repeats the alert_id with status "retracted".',
    ),
    "dead-letters": TopicRecords(
        et.DeadLetter,
        "A rejected input or undeliverable record, with its reason, where it came from and "
        "its original bytes.",
    ),
    "alert-state": TopicRecords(
        et.AlertState,
        "The analysts' triage of one alert, keyed by alert_id, on a compacted topic: each "
        "record is the alert's whole state after an action (acknowledged, assignee, false "
        "positive, notes, the last 50 actions, version); the newest record per key wins.",
    ),
    "feed-status": TopicRecords(
        et.FeedStatus,
        "Each live source of `shipwatch feed`, every few seconds, keyed by its name: connected, "
        "messages per second, its last message, reconnects and clock offset (the live page).",
    ),
}
# Topics without a schema, and why.
UNDESCRIBED = {
    "ais-raw": "input as received: NMEA 0183 sentence lines (text, not JSON), normalized "
    'JSON records, or CSV rows wrapped as {"format", "row"}; ais.decoder decides and '
    "dead-letters what it refuses",
    "sea": "internal: the sea stage's working frames (tick samples, pair observations, "
    "sightings and watched fixes, keyed by area cell, pair or the watched key); their shape "
    "belongs to sea/ and changes with it; what comes out is on voyage-events",
}


class _Published(GenerateJsonSchema):
    """Serialization schemas in which a model's defaulted fields are required too."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        """`model_dump` writes every field, defaulted or not; a TypedDict's as declared."""
        if self.mode == "serialization" and field["type"] == "model-field":
            excluded = field.get("serialization_exclude") or field.get("serialization_exclude_if")
            return not excluded
        return super().field_is_required(field, total)


@cache
def _adapter(topic: str) -> TypeAdapter[Any]:
    if topic not in TOPICS:
        raise KeyError(f"no record type for topic {topic!r}; known: {', '.join(sorted(TOPICS))}")
    return TypeAdapter(TOPICS[topic].type)


def schema(topic: str) -> dict[str, Any]:
    """The JSON Schema of the topic's record values."""
    generated = _adapter(topic).json_schema(mode="serialization", schema_generator=_Published)
    # The topic's own title and description replace a model's (which speak of Python).
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": DIALECT,
        "title": f"<namespace>.{topic}",
        "description": TOPICS[topic].description,
        **generated,
    }


def render(topic: str) -> str:
    """The file text of the topic's schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema(topic), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def path_of(topic: str, directory: Path = SCHEMAS_DIR) -> Path:
    """Where the topic's schema file lives."""
    return directory / f"{topic}{SUFFIX}"


def stale(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """The schema files that are missing, differ from a fresh generation, or name no topic."""
    out = [
        path_of(t, directory)
        for t in sorted(TOPICS)
        if not path_of(t, directory).is_file()
        or path_of(t, directory).read_text(encoding="utf-8") != render(t)
    ]
    wanted = {path_of(t, directory) for t in TOPICS}
    out.extend(p for p in sorted(directory.glob(f"*{SUFFIX}")) if p not in wanted)
    return out


def write(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Regenerate every schema file (and drop those of no topic); returns what changed."""
    changed = stale(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for topic in sorted(TOPICS):
        path_of(topic, directory).write_text(render(topic), encoding="utf-8")
    wanted = {path_of(t, directory) for t in TOPICS}
    for path in changed:
        if path not in wanted:
            path.unlink()
    return changed


def validator(topic: str) -> Callable[[Any], Any]:
    """A function that validates one JSON-decoded record of the topic (raises ValidationError)."""
    adapter = _adapter(topic)

    def validate(record: Any) -> Any:
        # Strict and through JSON, as a consumer sees the record: "3" is no int, while arrays
        # may be tuples and strings times (strict Python mode would refuse both).
        return adapter.validate_json(orjson.dumps(record), strict=True)

    return validate


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m shipwatch.pipeline.schemas --write | --check [--dir DIR]`."""
    parser = argparse.ArgumentParser(
        prog="python -m shipwatch.pipeline.schemas",
        description="The JSON Schemas of the topics' records.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="regenerate the schema files")
    action.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.write:
        for path in write(args.dir):
            print(f"wrote {path}" if path.exists() else f"removed {path}")
        return 0
    outdated = stale(args.dir)
    for path in outdated:
        print(f"stale: {path}", file=sys.stderr)
    if outdated:
        print("regenerate with: python -m shipwatch.pipeline.schemas --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
