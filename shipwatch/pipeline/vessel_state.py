"""One vessel's state in the tracks table: the fence tracker's, with what the at-sea rules keep.

The two parts belong to two stages (geofences and shipwatch.sea) that know nothing of each
other; they meet here, where the track stage runs both over the same positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from geofences.track_state import TrackState
from shipwatch.errors import readable_format
from shipwatch.sea.vessel_track import SeaTrack

# The format of the table value, written as "v" (last: a scan of the table reads "visits" first,
# geofences.track_state.OUTSIDE_EVERY_FENCE). A value without it is version 1. A change a reader
# could take for something else (a field of a positional list such as "pending" or "sea", a
# unit) raises it, and `from_dict` reads every older version too: tests/data/upgrade keeps each
# release's values (docs/guarantees.md, "Upgrades keep state").
FORMAT = 1


@dataclass(slots=True)
class VesselState(TrackState):
    """The fence tracker's state, the vessel's last at-sea sample and its integrity checks'
    state (most vessels: neither)."""

    sea: SeaTrack | None = None
    integrity: dict[str, Any] | None = None  # shipwatch.integrity.vessel_checks (most: none)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the tracker's, with "sea" only when there is one, and "v"."""
        data = TrackState.to_dict(self)
        if self.sea is not None:
            data["sea"] = self.sea.to_list()
        if self.integrity:
            data["integrity"] = self.integrity
        data["v"] = FORMAT
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of to_dict; StateFormatError for a newer release's value."""
        readable_format(data.get("v"), FORMAT, "a tracks table value")
        state = super(VesselState, cls).from_dict(data)  # slots: no bare super()
        state.sea = SeaTrack.from_list(data["sea"]) if data.get("sea") else None
        state.integrity = data.get("integrity") or None
        return state
