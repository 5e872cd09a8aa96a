"""Errors of the live feeds: a source that cannot be used as given."""

from __future__ import annotations

from shipwatch.errors import ShipwatchError


class FeedError(ShipwatchError):
    """A feed source or its settings are unusable; the message says what to change."""


class TooManyRequests(FeedError):
    """The service refuses us for reconnecting or polling too often."""
