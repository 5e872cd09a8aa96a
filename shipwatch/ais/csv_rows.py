"""CSV lines of a file to raw-topic payloads: `{"format": <dialect>, "row": {column: text}}`."""

from __future__ import annotations

import csv
from collections.abc import Mapping

import orjson

from shipwatch.ais import mapped_csv, noaa_csv
from shipwatch.ais.errors import BadColumns, Rejected

# The column holding the MMSI, the raw topic's key, in each dialect.
MMSI_COLUMN = {"noaa": "MMSI", "dma": "MMSI", "csv": "mmsi"}


class CsvRows:
    """The header, then one payload per row; the generic dialect renames through a mapping."""

    def __init__(self, dialect: str, columns: Mapping[str, str] | None = None) -> None:
        if dialect == "csv" and not columns:
            raise BadColumns("a generic CSV needs --columns mmsi=...,ts=...,lat=...,lon=...")
        self.dialect = dialect
        self.columns = dict(columns or {})
        self.header: list[str] | None = None

    def add(self, text: str) -> tuple[bytes, bytes | None] | None:
        """The payload and key of a row; None for the header line; Rejected `bad_csv`."""
        try:
            cells = next(csv.reader([text]))
        except (csv.Error, StopIteration) as exc:
            raise Rejected("bad_csv", str(exc) or "no cells") from exc
        if self.header is None:
            self.header = [c.strip() for c in cells]
            if self.dialect == "noaa":  # told from its header whatever its case: read it so
                canonical = {name.casefold(): name for name in noaa_csv.COLUMNS}
                self.header = [canonical.get(c.casefold(), c) for c in self.header]
            if self.dialect == "csv":
                mapped_csv.check_header(self.columns, self.header)
            return None
        if len(cells) != len(self.header):
            raise Rejected("bad_csv", f"{len(cells)} columns, header has {len(self.header)}")
        # Unnamed columns (a pandas index saved along) carry nothing.
        row = {name: value for name, value in zip(self.header, cells, strict=True) if name}
        if self.dialect == "csv":
            row = {field: row[column] for field, column in self.columns.items()}
        mmsi = row.get(MMSI_COLUMN.get(self.dialect, "MMSI"), "").strip()
        payload = orjson.dumps({"format": self.dialect, "row": row})
        return payload, mmsi.encode() if mmsi.isdigit() else None
