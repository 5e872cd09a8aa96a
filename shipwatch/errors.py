"""The root of shipwatch's errors: each package's own error derives from `ShipwatchError`."""

from __future__ import annotations


class ShipwatchError(Exception):
    """Base of every error shipwatch reports to its user as one clear line."""


class StateFormatError(ShipwatchError):
    """A stored record (a table value, the history database) in a format this release does not
    read: a newer release wrote it. Upgrades keep state; a downgrade past a format change does
    not (docs/guarantees.md, "Upgrades keep state")."""


def readable_format(found: object, newest: int, what: str) -> int:
    """The format version of a stored record from its version field `found`: None (no field:
    written before formats had versions) is version 1. A version past `newest`, the highest this
    release reads, or one that is not a whole number, raises StateFormatError naming `what`."""
    version = 1 if found is None else found
    if type(version) is not int or not 1 <= version <= newest:
        raise StateFormatError(
            f"{what} has format version {found!r}; this release reads versions 1 to {newest}: "
            "a newer shipwatch wrote it, so run that release (or a later one) on this state"
        )
    return version
