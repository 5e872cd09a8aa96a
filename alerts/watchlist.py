"""The vessels to watch: the DPRK flag, a user-editable file reloaded when it changes, and the
vessels of sanctions lists (alerts/sanctions.py) read once at start.

The file has one entry per line, `mmsi 445123456`, `imo 8912345` or `name CHON MA SAN 7`;
`#` starts a comment. Names compare case- and space-insensitively. A sanctions entry matches
by IMO number, or by name (also punctuation-insensitively, and cut to AIS's 20 characters).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alerts.sanctions import SanctionedVessel, SanctionsError, name_key, parse
from shipwatch.errors import ShipwatchError

DPRK_MID = 445  # Maritime Identification Digits of the DPRK (ITU)
# A ship station's MMSI is nine digits, its MID first: these are the DPRK-flagged ones.
DPRK_MMSIS = range(DPRK_MID * 1_000_000, (DPRK_MID + 1) * 1_000_000)
K = TypeVar("K", int, str)


class WatchlistError(ShipwatchError):
    """A watchlist file is unusable; the message names the file and line."""


@lru_cache(maxsize=65_536)
def _norm(name: str) -> str:
    # Cached: the at-sea sampler asks about every fix of a named vessel, and names repeat.
    return " ".join(name.upper().split())


@dataclass
class Watchlist:
    """Marks vessels by flag, MMSI, IMO or name; `reload_if_changed` picks up edits."""

    path: Path | None = None
    mmsis: set[int] = field(default_factory=set)
    imos: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    mtime: float | None = None
    # Sanctions-list entries by IMO number and by name key (sanctions.name_key).
    sanctioned_imos: dict[int, tuple[SanctionedVessel, ...]] = field(default_factory=dict)
    sanctioned_names: dict[str, tuple[SanctionedVessel, ...]] = field(default_factory=dict)

    def add_sanctions(self, entries: Iterable[SanctionedVessel]) -> None:
        """Watch the vessels of a sanctions list too (kept across reloads of the file)."""
        for entry in entries:
            if entry.imo is not None:
                _index(self.sanctioned_imos, entry.imo, entry)
            for key in entry.name_keys():
                _index(self.sanctioned_names, key, entry)

    def reason(self, mmsi: int, imo: int | None = None, name: str | None = None) -> str | None:
        """Why the vessel is watched, or None."""
        if mmsi in DPRK_MMSIS:
            return "flag:KP"
        if mmsi in self.mmsis:
            return "list:mmsi"
        if imo is not None:
            if imo in self.imos:
                return "list:imo"
            if imo in self.sanctioned_imos:
                return "sanctions:imo"
        if name:
            if _norm(name) in self.names:
                return "list:name"
            if name_key(name) in self.sanctioned_names:
                return "sanctions:name"
        return None

    def sanctions(self, imo: int | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """The sanctions entries the vessel's IMO or name matches, as alert evidence; the IMO's
        first, each once."""
        found: dict[SanctionedVessel, str] = {}
        if imo is not None:
            for entry in self.sanctioned_imos.get(imo, ()):
                found.setdefault(entry, "imo")
        if name:
            for entry in self.sanctioned_names.get(name_key(name), ()):
                found.setdefault(entry, "name")
        return [entry.evidence(matched_by) for entry, matched_by in found.items()]

    def watches(self, mmsi: int, imo: int | None = None, name: str | None = None) -> bool:
        """`reason(...) is not None`, cheap for the many vessels when the file lists none."""
        if mmsi in DPRK_MMSIS:
            return True
        if not (
            self.mmsis or self.imos or self.names or self.sanctioned_imos or self.sanctioned_names
        ):
            return False
        return self.reason(mmsi, imo, name) is not None

    def reload_if_changed(self) -> bool:
        """Re-read the file when its modification time changed; True if it was re-read."""
        if self.path is None:
            return False
        mtime = os.stat(self.path).st_mtime
        if mtime == self.mtime:
            return False
        fresh = load(self.path)
        self.mmsis, self.imos, self.names, self.mtime = fresh.mmsis, fresh.imos, fresh.names, mtime
        return True


def _index(index: dict[K, tuple[SanctionedVessel, ...]], key: K, entry: SanctionedVessel) -> None:
    known: tuple[SanctionedVessel, ...] = index.get(key, ())
    if entry not in known:
        index[key] = (*known, entry)


def load(path: Path) -> Watchlist:
    """Parse a watchlist file."""
    try:
        text = path.read_text(encoding="utf-8")
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise WatchlistError(f"{path}: cannot read watchlist: {exc}") from exc
    wl = Watchlist(path=path, mtime=mtime)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        value = value.strip()
        if key == "mmsi" and value.isdigit():
            wl.mmsis.add(int(value))
        elif key == "imo" and value.upper().removeprefix("IMO").isdigit():
            wl.imos.add(int(value.upper().removeprefix("IMO")))
        elif key == "name" and value:
            wl.names.add(_norm(value))
        else:
            raise WatchlistError(f"{path}:{number}: expected 'mmsi N', 'imo N' or 'name TEXT'")
    return wl


def load_sanctions(paths: Iterable[Path]) -> list[SanctionedVessel]:
    """The vessels of the sanctions list files; a file that is not one fails, naming it."""
    entries: list[SanctionedVessel] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WatchlistError(f"{path}: cannot read sanctions list: {exc.strerror}") from exc
        try:
            entries += parse(data, path.name)
        except SanctionsError as exc:
            raise WatchlistError(f"{path}: not a usable sanctions list: {exc}") from exc
    return entries
