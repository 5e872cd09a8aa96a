"""The root of shipwatch's errors: each package's own error derives from `ShipwatchError`."""

from __future__ import annotations


class ShipwatchError(Exception):
    """Base of every error shipwatch reports to its user as one clear line."""
