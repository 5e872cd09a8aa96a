"""Exceptions of the history package."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class HistoryError(ShipwatchError):
    """Base of every error raised by the history package."""
