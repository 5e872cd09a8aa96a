"""Shared fixtures: the bundled fences as a core, and a detector factory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from alerts.context import RuleContext
from geofences.index import FenceIndex
from shipwatch.ais.records import Record
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import BUNDLED_GEOFENCES

Run = Callable[[Iterable[Record]], list[tuple[str, dict[str, Any]]]]


@pytest.fixture(scope="session")
def core() -> tuple[FenceIndex, RuleContext]:
    """The bundled fences and rule context, built once."""
    return build_core(BUNDLED_GEOFENCES)


@pytest.fixture
def run_detector(core: tuple[FenceIndex, RuleContext]) -> Run:
    """Run records through a fresh detector; returns (stream, record) pairs in order."""

    def run(records: Iterable[Record]) -> list[tuple[str, dict[str, Any]]]:
        detector = Detector(*core)
        return [(o.stream, o.record) for r in records for o in detector.process(r)]

    return run
