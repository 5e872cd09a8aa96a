"""The vessels to watch: the DPRK flag, and a user-editable file reloaded when it changes.

The file has one entry per line, `mmsi 445123456`, `imo 8912345` or `name CHON MA SAN 7`;
`#` starts a comment. Names compare case- and space-insensitively.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DPRK_MID = 445  # Maritime Identification Digits of the DPRK (ITU)
# A ship station's MMSI is nine digits, its MID first: these are the DPRK-flagged ones.
DPRK_MMSIS = range(DPRK_MID * 1_000_000, (DPRK_MID + 1) * 1_000_000)


class WatchlistError(Exception):
    """A watchlist file is unusable; the message names the file and line."""


def _norm(name: str) -> str:
    return " ".join(name.upper().split())


@dataclass
class Watchlist:
    """Marks vessels by flag, MMSI, IMO or name; `reload_if_changed` picks up edits."""

    path: Path | None = None
    mmsis: set[int] = field(default_factory=set)
    imos: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    mtime: float | None = None

    def reason(self, mmsi: int, imo: int | None = None, name: str | None = None) -> str | None:
        """Why the vessel is watched, or None."""
        if mmsi in DPRK_MMSIS:
            return "flag:KP"
        if mmsi in self.mmsis:
            return "list:mmsi"
        if imo is not None and imo in self.imos:
            return "list:imo"
        if name and _norm(name) in self.names:
            return "list:name"
        return None

    def watches(self, mmsi: int, imo: int | None = None, name: str | None = None) -> bool:
        """`reason(...) is not None`, cheap for the many vessels when the file lists none."""
        if mmsi in DPRK_MMSIS:
            return True
        if not (self.mmsis or self.imos or self.names):
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
