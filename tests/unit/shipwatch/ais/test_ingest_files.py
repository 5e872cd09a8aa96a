"""Whole files of any bytes, in any format: decoded items or one clear format error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.dma_csv import COLUMNS
from shipwatch.ais.errors import AisError
from shipwatch.ais.files import FORMATS
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files
from tests.fixtures.ais_input import VALID

LINES = st.lists(
    st.binary(max_size=60)
    | st.sampled_from([v.encode() for v in VALID] + [",".join(COLUMNS).encode()]),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(LINES, st.sampled_from(FORMATS), st.sampled_from([b"\n", b"\r\n"]))
def test_any_file_gives_items_or_a_clear_error(lines: list[bytes], fmt: str, newline: bytes):
    columns = {"mmsi": "MMSI", "ts": "# Timestamp", "lat": "Latitude", "lon": "Longitude"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_bytes(newline.join(lines))
        tally = Tally()
        try:
            items = list(decode_files([path], fmt, tally, columns if fmt == "csv" else None))
        except AisError:
            return  # an unknown format or a header without the mapped columns: said clearly
    assert all(isinstance(i, Decoded | Failed) for i in items)
    failed = [i for i in items if isinstance(i, Failed)]
    assert all(f.error.reason != "internal_error" for f in failed), failed
    assert sum(tally.rejected.values()) == len(failed)
