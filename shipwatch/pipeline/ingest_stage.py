"""The ingest stage over a batch: raw messages in, records routed to their topics out.

Decodes a batch of one raw partition's messages (NMEA through the partition's stateful decoder,
JSON and CSV rows through the stateless fast path), and routes each record: one message per
record on `positions` or `statics` for outside consumers, positions in a fence's map area also
on `nearby`, the fixes the vessel pages keep on `history`, and every record into a frame of its
vessel's partition for the track stage. Every rejected input becomes a dead letter with its
source. Pure: the binding sends what it returns. A satellite sighting names no vessel, nor does
a satellite scene (what an image covered): each goes to `sightings` for outside readers, keyed
by its own id, and into a frame (spread by that id) so that the track stage passes it on to the
sea stage behind the same event-time progress as the AIS around it.
"""

from __future__ import annotations

import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from shipwatch.ais.decoder import Accepted, Refused, StreamDecoder
from shipwatch.ais.errors import Rejected
from shipwatch.ais.json_form import JsonRecord, as_json, decode_json_published, json_bytes
from shipwatch.ais.nmea import NMEA_STARTS
from shipwatch.ais.outputs import Input
from shipwatch.ais.timefmt import EventTimes
from shipwatch.history.thinning import Thinner
from shipwatch.pipeline.dead_letters import dead_letter
from shipwatch.pipeline.frames import FRAME_MAX_RECORDS, frame_of, frames_of
from shipwatch.watermarks import RAW_LEVEL, Progress

KeyValue = tuple[bytes | None, bytes]
# The records of no vessel, by kind: the field that keys them on `sightings` and spreads them
# over the frames.
IMAGERY_IDS = {"sighting": "sighting_id", "scene": "scene_id"}
_epoch = EventTimes()  # for the history's thinning: a batch's fixes share their seconds


class RawMessage(Protocol):
    """One message of the raw topic, as Kafka clients give it (aiokafka's ConsumerRecord)."""

    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def timestamp(self) -> int: ...  # the Kafka timestamp, epoch milliseconds


@dataclass(frozen=True, slots=True)
class Routing:
    """Where records go: the frame partition of a vessel, and whether a fix is on the map."""

    frame_partition: Callable[[int], int]
    on_map: Callable[[float, float], bool]
    history: Thinner | None = None  # which fixes the vessel pages keep; None: no history
    frame_count: int = 1  # partitions of `frames`: each is told every raw partition's progress
    raw_count: int = 1  # partitions of the raw topic: the sources of event-time progress
    beat_s: float = 1.0  # a frames partition with no record from a raw partition is told its
    # progress at most this often (wall clock): a frame of its own per raw batch would cost


@dataclass(slots=True)
class Routed:
    """What one batch produces, by topic; `rejected` counts the dead letters by reason,
    `invalid_fields` the invalid optional values set to null (records kept) by field."""

    positions: list[tuple[int, bytes]] = field(default_factory=list)  # (mmsi, record)
    statics: list[tuple[int, bytes]] = field(default_factory=list)
    nearby: list[tuple[int, bytes]] = field(default_factory=list)
    history: list[tuple[int, bytes]] = field(default_factory=list)  # (partition, frame)
    # (sighting_id or scene_id, record): satellite sightings and scenes
    sightings: list[tuple[str, bytes]] = field(default_factory=list)
    frames: list[tuple[int, bytes]] = field(default_factory=list)  # (partition, frame)
    dead_letters: list[KeyValue] = field(default_factory=list)
    latest: float | None = None  # the newest event time among the batch's records
    rejected: dict[str, int] = field(default_factory=dict)
    invalid_fields: dict[str, int] = field(default_factory=dict)


def _internal_error(exc: Exception) -> Rejected:
    return Rejected("internal_error", "".join(traceback.format_exception_only(exc)).strip())


class IngestStage:
    """Decodes and routes raw batches; keeps one stateful NMEA decoder per raw partition."""

    def __init__(self, topic: str, routing: Routing) -> None:
        self.topic = topic
        self.routing = routing
        self.decoders: dict[int, StreamDecoder] = {}
        # Each raw partition's progress (the newest event time read), and when each frames
        # partition was last told it.
        self.progress: dict[int, float] = {}
        self.told: dict[tuple[int, int], tuple[float | None, bool, float]] = {}
        self.kept: list[
            tuple[int, bytes]
        ] = []  # this batch's fixes for the history, framed at its end

    def forget(self, partition: int) -> None:
        """Drop a partition's open multipart messages and progress: it moved to another worker."""
        self.decoders.pop(partition, None)
        self.progress.pop(partition, None)
        for told in [k for k in self.told if k[0] == partition]:
            del self.told[told]

    def resume(self, partition: int, t: float | None) -> None:
        """Take up a raw partition where its last owner left it: `t` is the progress committed
        with its offset (what every record before that offset made it). Without it, a
        partition read to its end before it moved would be told as never having applied
        anything, and a watermark of idle sources would stay at the others' times."""
        old = self.progress.get(partition)
        if t is not None and (old is None or t > old):
            self.progress[partition] = t

    def heartbeat(
        self, partition: int, idle: bool, now: float, every: bool = False
    ) -> list[tuple[int, bytes]]:
        """Frames telling every frames partition this raw partition's progress (and whether it
        is idle: quiet, and nothing left to read): where idleness changed, where the progress
        did and it was last told `beat_s` ago, or (`every`) everywhere."""
        t = self.progress.get(partition)
        header = self._header(partition, t, idle)
        out = []
        for frames_partition in range(self.routing.frame_count):
            if every or self._due(partition, frames_partition, t, idle, now):
                self.told[(partition, frames_partition)] = (t, idle, now)
                out.append((frames_partition, frame_of([], header)))
        return out

    def _due(
        self, partition: int, frames_partition: int, t: float | None, idle: bool, now: float
    ) -> bool:
        """Whether a frames partition must be told a raw partition's word without a record to
        carry it: never told, idleness changed, or the progress moved `beat_s` after the last."""
        told = self.told.get((partition, frames_partition))
        return (
            told is None
            or told[1] != idle
            or (told[0] != t and now - told[2] >= self.routing.beat_s)
        )

    def idle_told(self, partition: int) -> bool:
        """Whether the frames partitions were last told this raw partition is idle."""
        return any(v[1] for k, v in self.told.items() if k[0] == partition)

    def _header(self, partition: int, t: float | None, idle: bool) -> bytes:
        progress = Progress(RAW_LEVEL, partition, self.routing.raw_count, t, idle)
        return orjson.dumps(progress.to_json())

    def batch(self, partition: int, messages: Sequence[RawMessage], now: float = 0.0) -> Routed:
        """Decode one partition's messages in order and route what they give; the frames carry
        the partition's progress after their records, and a frames partition that got none
        is told it in a frame of its own (at most every `beat_s`)."""
        out = Routed()
        framed: dict[int, list[bytes]] = {}
        nulled: list[str] = []  # the batch's invalid optional fields: appended to only if any
        decoder = self.decoders.setdefault(partition, StreamDecoder())
        for message in messages:
            try:
                self._message(message, decoder, out, framed, nulled)
            except Exception as exc:  # a bug must cost one message, never the partition
                item = Input(message.value or b"", self._source(message))
                self.reject(out, Refused(_internal_error(exc), (item,)), message.key)
        for name in nulled:
            out.invalid_fields[name] = out.invalid_fields.get(name, 0) + 1
        if messages:  # time out this partition's incomplete multiparts by the input's clock
            for expired in decoder.expire(messages[-1].timestamp / 1000):
                if isinstance(expired, Refused):
                    self.reject(out, expired, None)
        t = self.progress.get(partition)
        if out.latest is not None and (t is None or out.latest > t):
            t = self.progress[partition] = out.latest
        header = self._header(partition, t, False)
        for frame_partition in sorted({*framed, *range(self.routing.frame_count)}):
            blobs = framed.get(frame_partition, [])
            if not blobs and not self._due(partition, frame_partition, t, False, now):
                continue  # nothing new for it, or told soon enough
            self.told[(partition, frame_partition)] = (t, False, now)
            out.frames += [(frame_partition, f) for f in frames_of(blobs, header)]
        # The history's readers take every partition and need no order: a frame per thousand
        # kept fixes, on the partition of its first vessel (spread like the vessels).
        kept = self.kept
        for start in range(0, len(kept), FRAME_MAX_RECORDS):
            chunk = kept[start : start + FRAME_MAX_RECORDS]
            out.history.append(
                (self.routing.frame_partition(chunk[0][0]), frame_of([b for _, b in chunk]))
            )
        kept.clear()
        return out

    def _message(
        self,
        message: RawMessage,
        decoder: StreamDecoder,
        out: Routed,
        framed: dict[int, list[bytes]],
        nulled: list[str],
    ) -> None:
        """Decode one raw message and route what it gives (its rejections as dead letters)."""
        value = message.value or b""
        if value.lstrip()[:1] in NMEA_STARTS:
            source = self._source(message)
            for result in decoder.feed(value, message.timestamp / 1000, source):
                if isinstance(result, Accepted):
                    for record in result.records:
                        self._route(as_json(record), out, framed)
                    if result.nulled:
                        nulled += result.nulled
                elif isinstance(result, Refused):
                    self.reject(out, result, message.key)
            return  # Skipped: a valid sentence that carries nothing we track
        try:
            records, published = decode_json_published(value, nulled)
        except Rejected as exc:  # a bug is `batch`'s: it costs this message all the same
            self.reject(out, Refused(exc, (Input(value, self._source(message)),)), message.key)
            return
        if published:  # the common case of a JSON feed: its bytes go on as they came
            self._route(records[0], out, framed, value)
            return
        for json_record in records:
            self._route(json_record, out, framed)

    def finish(self, partition: int) -> Routed:
        """Dead-letter a quiet partition's incomplete multiparts: no more parts are coming."""
        out = Routed()
        decoder = self.decoders.get(partition)
        for result in decoder.finish() if decoder else []:
            if isinstance(result, Refused):
                self.reject(out, result, None)
        return out

    def _source(self, message: RawMessage) -> dict[str, object]:
        return {"topic": self.topic, "partition": message.partition, "offset": message.offset}

    def _route(
        self,
        record: JsonRecord,
        out: Routed,
        framed: dict[int, list[bytes]],
        published: bytes | None = None,  # the record's bytes when it came in its published form
    ) -> None:
        t = _epoch(record["ts"])
        if out.latest is None or t > out.latest:
            out.latest = t
        kind = record["kind"]
        if kind in IMAGERY_IDS:  # no MMSI: no track, spread over the frames by its own id
            blob = json_bytes(record)
            own_id = record[IMAGERY_IDS[kind]]
            out.sightings.append((own_id, blob))
            spread = zlib.crc32(own_id.encode())
            framed.setdefault(self.routing.frame_partition(spread), []).append(blob)
            return
        mmsi = record["mmsi"]
        blob = json_bytes(record) if published is None else published
        if kind == "position":
            out.positions.append((mmsi, blob))
            on_map = self.routing.on_map(record["lat"], record["lon"])
            if on_map:
                out.nearby.append((mmsi, blob))
            history = self.routing.history
            if history is not None and history.keep(mmsi, t, record["cog"], on_map):
                self.kept.append((mmsi, blob))
        else:
            out.statics.append((mmsi, blob))
        framed.setdefault(self.routing.frame_partition(mmsi), []).append(blob)

    @staticmethod
    def reject(out: Routed, refused: Refused, key: bytes | None) -> None:
        """Add a dead letter for a refused input, with its reason, source and bytes."""
        error = refused.error
        value = dead_letter(error.reason, error.detail, refused.raw, refused.source, "ingest")
        out.dead_letters.append((key, value))
        out.rejected[error.reason] = out.rejected.get(error.reason, 0) + 1
