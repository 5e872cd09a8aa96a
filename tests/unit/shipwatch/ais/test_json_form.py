"""The hand-checked JSON fast path against pydantic: the same records, the same refusals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shipwatch.ais.errors import Rejected
from shipwatch.ais.json_form import (
    as_json,
    decode_json_form,
    decode_json_published,
    plain_position,
)
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.records import Position, Static

PLAIN = {
    "kind": "position",
    "mmsi": 273_000_001,
    "ts": "2024-03-07T00:00:00Z",
    "lat": 42.7,
    "lon": 133.0,
    "sog": 11.0,
    "cog": 123.4,
    "heading": 123,
    "nav_status": 0,
}


def plain_path(payload: bytes) -> list[dict[str, Any]] | str:
    """What the models make of a message: its records' JSON, or the rejection reason."""
    try:
        return [r.model_dump(mode="json") for r in decode_message(payload)]
    except Rejected as exc:
        return f"{exc.reason}: {exc.detail}"


def fast_path(payload: bytes) -> list[dict[str, Any]] | str:
    """The same through the fast path."""
    try:
        return decode_json_form(payload)
    except Rejected as exc:
        return f"{exc.reason}: {exc.detail}"


def test_a_plain_position_skips_the_models_and_prints_as_they_do() -> None:
    assert plain_position(dict(PLAIN)) is not None
    payload = orjson.dumps(PLAIN)
    assert fast_path(payload) == plain_path(payload)


@pytest.mark.parametrize(
    "change",
    [
        {"lat": 91.0},
        {"lon": "133.0"},  # pydantic coerces strings: the models decide
        {"heading": 5.0},
        {"heading": 360},
        {"cog": 360.0},
        {"sog": True},
        {"mmsi": 0},
        {"mmsi": 99_123_456},  # a base station: not a vessel
        {"ts": "2024-03-07T00:00:00+00:00"},
        {"ts": "2024-03-07 00:00:00"},
        {"ts": "2024-13-07T00:00:00Z"},
        {"ts": "2024-W10-4T00:00:00Z"},  # a week date, also 20 characters
        {"ts": "2024-03-07T000000.0Z"},  # a time without colons
        {"extra": 1},
        {"nav_status": 16},
    ],
)
def test_anything_unusual_gets_the_models_answer(change: dict[str, Any]) -> None:
    payload = orjson.dumps({**PLAIN, **change})
    assert fast_path(payload) == plain_path(payload)


numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-400, max_value=400),
    st.floats(min_value=-400, max_value=400, allow_nan=False),
    st.sampled_from(["1", "", "x"]),
)


@settings(max_examples=300, deadline=None)
@given(
    mmsi=st.one_of(st.integers(min_value=-1, max_value=1_000_000_000), st.sampled_from(["1"])),
    ts=st.sampled_from(
        ["2024-03-07T00:00:00Z", "2024-03-07T12:34:56Z", "2024-02-30T00:00:00Z", "2024-03-07"]
    ),
    lat=numbers,
    lon=numbers,
    sog=numbers,
    cog=numbers,
    heading=numbers,
    status=numbers,
    drop=st.sets(st.sampled_from(sorted(PLAIN))),
)
@example(
    mmsi=273_000_001,
    ts="2024-03-07T00:00:00Z",
    lat=0,
    lon=-0.0,
    sog=0,
    cog=0,
    heading=0,
    status=0,
    drop=set(),
)
def test_the_fast_path_agrees_with_the_models_on_any_position(
    mmsi: Any,
    ts: str,
    lat: Any,
    lon: Any,
    sog: Any,
    cog: Any,
    heading: Any,
    status: Any,
    drop: set[str],
) -> None:
    obj = {
        "kind": "position",
        "mmsi": mmsi,
        "ts": ts,
        "lat": lat,
        "lon": lon,
        "sog": sog,
        "cog": cog,
        "heading": heading,
        "nav_status": status,
    }
    payload = orjson.dumps({k: v for k, v in obj.items() if k not in drop or k == "kind"})
    assert fast_path(payload) == plain_path(payload)
    # Bytes passed on as they came must parse to the very record the models publish.
    try:
        records, published = decode_json_published(payload)
    except Rejected:
        return
    if published:
        assert [orjson.loads(payload)] == records == plain_path(payload)


def test_a_position_in_its_published_form_is_published_as_it_came() -> None:
    reordered = {k: PLAIN[k] for k in sorted(PLAIN)}  # the same keys in another order
    for obj in (PLAIN, reordered, {**PLAIN, "sog": None, "cog": None, "heading": None}):
        payload = orjson.dumps(obj)
        records, published = decode_json_published(payload)
        assert published and records == [orjson.loads(payload)] == plain_path(payload)


@pytest.mark.parametrize(
    "payload",
    [
        orjson.dumps({**PLAIN, "lat": 42}),  # an int: the published form has a float
        orjson.dumps({k: v for k, v in PLAIN.items() if k != "heading"}),  # a key left out
        orjson.dumps(PLAIN) + b"\n",  # bytes after the object
        b'{"kind": "static", "mmsi": 273000001, "ts": "2024-03-07T00:00:00Z"}',
    ],
)
def test_other_forms_are_published_in_the_published_form(payload: bytes) -> None:
    records, published = decode_json_published(payload)
    assert not published
    assert records == plain_path(payload)


def test_as_json_is_the_models_dump() -> None:
    position = Position.model_validate(PLAIN)
    static = Static(mmsi=273_000_001, ts=position.ts, name="KALMAEGI 4", draught=5.5)
    assert as_json(position) == position.model_dump(mode="json")
    assert list(as_json(position)) == list(position.model_dump(mode="json"))
    assert as_json(static) == static.model_dump(mode="json")


def test_other_messages_go_through_decode_message_unchanged() -> None:
    row = orjson.dumps({"format": "noaa", "row": {"MMSI": "1"}})
    assert fast_path(row) == plain_path(row)
    assert fast_path(b"not json") == plain_path(b"not json")
    assert fast_path(b"{broken") == plain_path(b"{broken")
