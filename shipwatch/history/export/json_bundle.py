"""The JSON bundle export: everything the subject's alerts were decided on (pure)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shipwatch.history.export.selection import (
    WINDOW_MARGIN,
    Subject,
    fix_json,
    iso,
    jsonable,
    select,
)
from shipwatch.history.model import VesselHistory

# Bumped when the bundle's keys change meaning, so that archived bundles stay readable.
FORMAT_VERSION = 1


def bundle(
    history: VesselHistory,
    subject: Subject,
    rules: dict[str, Any] | None = None,
    *,
    generated_at: str,
) -> dict[str, Any]:
    """Everything the subject's alerts were decided on, as one JSON-ready dict."""
    selection = select(history, subject)
    window = (
        None
        if selection.window is None
        else {"from": iso(selection.window[0]), "to": iso(selection.window[1])}
    )
    timeline = [
        {"at": entry.at, "kind": entry.kind, "source": entry.source, "record": entry.record}
        for entry in selection.timeline
    ]
    result = {
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at,
        "subject": subject.as_json(),
        "mmsi": history.mmsi,
        "identity": history.identity,
        "window": window,
        "window_margin_h": WINDOW_MARGIN / timedelta(hours=1),
        "alerts": selection.alerts,
        "timeline": timeline,
        "track": [fix_json(fix) for fix in selection.track],
        "cargo": history.cargo,
        "rules": rules,
    }
    cleaned: dict[str, Any] = jsonable(result)
    return cleaned
