"""The patches refuse a Faust they were not written for, and the pin says the same version."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import faust
import pytest

import streams.faust_patches as patches

ROOT = Path(__file__).resolve().parents[4]


def test_the_pin_is_the_version_the_patches_were_written_for() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [pin] = [d for d in config["project"]["dependencies"] if d.startswith("faust-streaming")]
    assert pin.split("#")[0].strip() == f"faust-streaming=={patches.PATCHED_VERSION}"
    assert faust.__version__ == patches.PATCHED_VERSION


def test_another_faust_fails_the_import_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faust, "__version__", "0.16.0")
    monkeypatch.delitem(sys.modules, "streams.faust_patches")
    with pytest.raises(ImportError, match=r"written for faust-streaming 0\.15\.3, not 0\.16\.0"):
        importlib.import_module("streams.faust_patches")
