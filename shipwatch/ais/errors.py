"""Exceptions of the ais package."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class AisError(ShipwatchError):
    """Base of every error raised by the ais package."""


class Rejected(AisError):
    """One input unit cannot become a record; `reason` is a short, bounded label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class UnknownFormat(AisError):
    """A file's format cannot be recognised from its content."""


class BadColumns(AisError):
    """A `--columns` mapping is malformed or names columns the file does not have."""
