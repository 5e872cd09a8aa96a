"""Ingest of satellite scenes (issue 22): to `sightings` by scene_id and into a frame spread by
it, as a sighting; a bad scene is a dead letter with its reason and costs nothing else."""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import orjson

from shipwatch.pipeline.frames import records_of_frame
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.schemas import validator
from tests.fixtures.imagery import SCENE
from tests.fixtures.imagery import SIGHTING as PLAIN_SIGHTING

SIGHTING: dict[str, Any] = {**PLAIN_SIGHTING, "scene_id": "S1A-20240312-0007"}
POSITION: dict[str, Any] = {
    "kind": "position",
    "mmsi": 273_000_001,
    "ts": "2024-03-12T20:10:00Z",
    "lat": 42.5,
    "lon": 133.5,
    "sog": 0.2,
}
PARTITIONS = 5


def stage() -> IngestStage:
    routing = Routing(lambda key: key % PARTITIONS, lambda lat, lon: True)
    return IngestStage("ns.ais-raw", replace(routing, frame_count=PARTITIONS))


class Message:
    def __init__(self, offset: int, value: bytes) -> None:
        self.partition, self.offset, self.key, self.value = 0, offset, None, value
        self.timestamp = 1_710_274_659_000 + offset


def batch(*records: dict[str, Any] | bytes) -> Any:
    values = [r if isinstance(r, bytes) else orjson.dumps(r) for r in records]
    return stage().batch(0, [Message(i, v) for i, v in enumerate(values)])


def test_a_scene_goes_to_sightings_by_its_id_and_into_a_frame_spread_by_it() -> None:
    out = batch(POSITION, SCENE, SIGHTING)
    assert [(key, orjson.loads(blob)) for key, blob in out.sightings] == [
        ("S1A-20240312-0007", SCENE),
        ("S1A-20240312-0007-01", SIGHTING),
    ]
    for _, blob in out.sightings:
        validator("sightings")(orjson.loads(blob))
    assert [m for m, _ in out.positions] == [273_000_001]
    assert out.statics == [] and out.dead_letters == [] and out.history == []
    assert [m for m, _ in out.nearby] == [273_000_001]  # a scene is no fix on the map
    framed = {
        (partition, record["kind"]): record
        for partition, frame in out.frames
        for record in records_of_frame(frame)
    }
    spread = zlib.crc32(SCENE["scene_id"].encode()) % PARTITIONS
    # In its frame exactly as published, so that the track stage hands it to the sea stage.
    assert framed[(spread, "scene")] == SCENE
    assert framed[(273_000_001 % PARTITIONS, "position")] == {
        **POSITION, "cog": None, "heading": None, "nav_status": None,
    }  # fmt: skip
    assert out.latest == 1_710_274_659.0  # the scene's time moves the partition's progress


def test_bad_scenes_are_dead_letters_with_their_reason_and_the_batch_goes_on() -> None:
    bowtie = [[133.0, 42.0], [134.0, 43.0], [134.0, 42.0], [133.0, 43.0], [133.0, 42.0]]
    bad_shape = orjson.dumps({**SCENE, "footprint": {"type": "Polygon", "coordinates": [bowtie]}})
    no_time = orjson.dumps({k: v for k, v in SCENE.items() if k != "ts"})
    later = {**SCENE, "scene_id": "S1A-20240312-0008"}
    out = batch(bad_shape, POSITION, no_time, later)
    assert out.rejected == {"invalid_field": 1, "missing_field": 1}
    letters = [orjson.loads(value) for _, value in out.dead_letters]
    for letter in letters:
        validator("dead-letters")(letter)
    assert [(x["reason"], x["stage"]) for x in letters] == [
        ("invalid_field", "ingest"),
        ("missing_field", "ingest"),
    ]
    assert letters[0]["detail"].startswith("footprint: not a valid polygon: Self-intersection")
    assert letters[0]["raw"] == bad_shape.decode()
    assert letters[0]["source"] == {"topic": "ns.ais-raw", "partition": 0, "offset": 0}
    assert letters[1]["detail"].startswith("ts:")
    assert [key for key, _ in out.sightings] == ["S1A-20240312-0008"]
    assert [m for m, _ in out.positions] == [273_000_001]
