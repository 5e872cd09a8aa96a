"""docs/reference.md lists every setting, and nothing that is not one."""

from __future__ import annotations

import re
from pathlib import Path

from shipwatch.settings import Settings

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "reference.md"
NOT_SETTINGS = {"SHIPWATCH_KAFKA_CACHE"}  # read by the broker launcher from the environment


def test_the_reference_lists_every_setting() -> None:
    listed = set(re.findall(r"SHIPWATCH_[A-Z0-9_]+", REFERENCE.read_text(encoding="utf-8")))
    fields = {f"SHIPWATCH_{name.upper()}" for name in Settings.model_fields}
    assert fields - listed == set(), "settings missing from docs/reference.md"
    assert listed - fields - NOT_SETTINGS == set(), "docs/reference.md names no such setting"
