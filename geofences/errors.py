"""Exceptions of the geofences package."""

from __future__ import annotations


class GeofenceError(Exception):
    """A geofence file or folder is unusable; the message names the file and the problem."""
