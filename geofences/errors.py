"""Exceptions of the geofences package."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class GeofenceError(ShipwatchError):
    """A geofence file or folder is unusable; the message names the file and the problem."""
