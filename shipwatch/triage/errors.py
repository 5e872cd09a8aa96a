"""Exceptions of the triage package."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class TriageError(ShipwatchError):
    """Base of every error raised by the triage package; the message says why."""


class NotWritten(TriageError):
    """A triage record was not written: the topic's writer is down or the broker refused it."""
