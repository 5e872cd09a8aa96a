"""Building the pure core from settings: the one place that loads fences for every entry point."""

from __future__ import annotations

from pathlib import Path

from alerts.rules import RuleContext
from geofences.index import FenceIndex
from geofences.loader import load_dir


def build_core(geofences_dir: Path) -> tuple[FenceIndex, RuleContext]:
    """The fence index and the rule context for a geofence folder."""
    fences = load_dir(geofences_dir)
    return FenceIndex(fences), RuleContext(fence_roles={f.id: f.role for f in fences})
