"""One message of the raw topic to records: the single decoder that ingest, decode and detect share.

A raw message is a normalized JSON record (it has a lowercase `kind`), a CSV row wrapped by the
file reader as `{"format": "<dialect>", "row": {column: text}}`, or a live feed's message as the
JSON it arrived in: an aisstream.io message (`MessageType`, `MetaData`, or its `{"error": ...}`)
or an AISHub vessel (uppercase `MMSI`, `LATITUDE`, `TIME`, ...; or its reply header `ERROR`).
The shape is told by a few key lookups, after the normalized record's own. All are stateless.
NMEA sentences need state (multi-sentence messages, time from earlier lines):
`ais.decoder.StreamDecoder` handles them and hands everything else to `decode_message`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from shipwatch.ais import aishub_json, aisstream_json, dma_csv, mapped_csv, noaa_csv
from shipwatch.ais.errors import Rejected
from shipwatch.ais.normalized_json import decode_record
from shipwatch.ais.records import AnyRecord, Imagery
from shipwatch.ais.values import Nulled

MAX_MESSAGE_BYTES = 64 * 1024
# A row's records; the invalid optional fields it set to null are appended to the list.
ROW_DECODERS: dict[str, Callable[[Mapping[str, str], Nulled], Sequence[AnyRecord]]] = {
    "noaa": noaa_csv.decode_row,
    "dma": dma_csv.decode_row,
    "csv": mapped_csv.decode_row,
}

# MMSI ranges that are not ships (base stations 00MID..., aids to navigation 99MID...,
# SAR aircraft 111MID..., handhelds 8MID...): ITU-R M.585.
VESSEL_MMSI_MIN = 200_000_000
VESSEL_MMSI_MAX = 799_999_999


def is_vessel_mmsi(mmsi: int) -> bool:
    """True when the MMSI belongs to a ship station."""
    return VESSEL_MMSI_MIN <= mmsi <= VESSEL_MMSI_MAX


def decode_message(payload: bytes, nulled: Nulled | None = None) -> list[AnyRecord]:
    """Decode one raw message; raises Rejected with a bounded reason.

    An invalid optional field (heading 360, SOG "fast", ...) becomes null and the record is
    kept; the names of those fields are appended to `nulled`, for an accepted message only."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Rejected("too_large", f"{len(payload)} bytes")
    text = payload.strip()
    if not text:
        raise Rejected("empty", "empty message")
    if text[:1] in (b"!", b"\\", b"$"):
        # One sentence alone may be part of a multi-sentence message and has no time.
        raise Rejected("unsupported_format", "NMEA needs the stateful ais.decoder.StreamDecoder")
    if text[:1] not in (b"{", b"["):  # an array is JSON, just not a record: bad_json below
        raise Rejected("unknown_format", f"not JSON: {text[:40]!r}")
    try:
        obj: Any = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Rejected("bad_json", str(exc)) from exc
    if not isinstance(obj, dict):
        raise Rejected("bad_json", f"not a JSON object but a {type(obj).__name__}")
    records: list[AnyRecord]
    dropped: Nulled = []  # handed on only once the message is accepted
    if "row" in obj and "format" in obj:
        decoder = ROW_DECODERS.get(str(obj["format"]))
        row = obj["row"]
        if decoder is None or not isinstance(row, dict):
            raise Rejected("unknown_format", f"CSV dialect {obj['format']!r}")
        cells = {str(k): "" if v is None else str(v) for k, v in row.items()}
        records = [*decoder(cells, dropped)]
    elif "kind" in obj:
        records = [decode_record(obj, dropped)]
    elif "MessageType" in obj or "MetaData" in obj or "error" in obj:
        records = [*aisstream_json.decode(obj, dropped)]
    elif "MMSI" in obj or "ERROR" in obj:
        records = [*aishub_json.decode(obj, dropped)]
    else:
        records = [decode_record(obj, dropped)]  # Rejected: unsupported_kind
    first = records[0]
    if not isinstance(first, Imagery) and not is_vessel_mmsi(first.mmsi):
        raise Rejected("not_a_vessel", f"MMSI {first.mmsi} is not a ship station")
    if dropped and nulled is not None:  # a satellite sighting or scene (no MMSI) is kept
        nulled.extend(dropped)
    return records
