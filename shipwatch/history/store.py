"""The history store: kept fixes, identities, events and alerts per vessel, in SQLite.

Written in batches, one transaction each, together with the topic offsets the batch reaches:
after a crash the store resumes from exactly what it holds. Every row has a natural key (a fix
by vessel and time, an event by its identity, an alert by its id), so a record read twice is
stored once. Retention runs on event time: replayed 2024 traffic is not deleted for its age.
The store prunes itself as it writes, whenever the newest fix has moved on by a
`PRUNE_SHARE` of the retention since the last prune, and does not store what is already past
the retention: so what it holds stays within the retention (and that share) however fast event
time runs, a replay at 250 times real time as much as a live feed; the sink's wall-clock prune
stays as a backstop for a quiet feed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from shipwatch.ais.timefmt import iso_of
from shipwatch.errors import readable_format
from shipwatch.history.model import Fix, TimelineEntry, VesselHistory
from shipwatch.history.records import IDENTITY_FIELDS, Batch, Record, identity_changes

DAY_S = 86_400.0
PRUNE_SHARE = 1 / 24  # of the retention: how far the newest fix moves between prunes
SEARCH_LIMIT = 50  # vessels a search lists
ROWS_PER_STATEMENT = 100  # rows a multi-row INSERT takes: 700 parameters of SQLite's 32,766
# The database's format, as SQLite's `user_version` (0, a database made before, is version 1).
# A change of the tables raises it, and `HistoryStore` migrates every older version on opening
# (tests/data/upgrade keeps each release's database).
FORMAT = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS fixes (
        mmsi INTEGER NOT NULL, t REAL NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
        sog REAL, cog REAL, heading REAL, PRIMARY KEY (mmsi, t)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS vessels (
        mmsi INTEGER PRIMARY KEY, identity BLOB, static_t REAL, first_seen REAL,
        last_seen REAL, name TEXT, imo INTEGER, callsign TEXT)""",
    "CREATE INDEX IF NOT EXISTS vessels_name ON vessels (name COLLATE NOCASE)",
    "CREATE INDEX IF NOT EXISTS vessels_imo ON vessels (imo)",
    "CREATE INDEX IF NOT EXISTS vessels_callsign ON vessels (callsign COLLATE NOCASE)",
    """CREATE TABLE IF NOT EXISTS identity_changes (
        mmsi INTEGER NOT NULL, t REAL NOT NULL, field TEXT NOT NULL, old BLOB, new BLOB,
        PRIMARY KEY (mmsi, t, field)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS events (
        mmsi INTEGER NOT NULL, key BLOB NOT NULL, t REAL NOT NULL, kind TEXT NOT NULL,
        record BLOB NOT NULL, PRIMARY KEY (mmsi, key)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS events_time ON events (mmsi, t)",
    """CREATE TABLE IF NOT EXISTS alerts (
        alert_id TEXT PRIMARY KEY, t REAL NOT NULL, record BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS alert_vessels (
        mmsi INTEGER NOT NULL, alert_id TEXT NOT NULL, t REAL NOT NULL,
        PRIMARY KEY (mmsi, alert_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS offsets (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, next INTEGER NOT NULL,
        PRIMARY KEY (topic, partition)) WITHOUT ROWID""",
)


class HistoryStore:
    """One SQLite database; not thread-safe: use it from one thread at a time."""

    def __init__(self, path: Path | str, retention_s: float = 30 * DAY_S) -> None:
        self.retention_s = retention_s
        self.prune_every_s = retention_s * PRUNE_SHARE  # of event time
        self.newest: float | None = None  # the newest fix written through this store
        self.pruned_at: float | None = None  # the newest fix at the last prune
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        # WAL: readers never wait for the writer; NORMAL sync: a power cut may lose the last
        # transactions, which the stored offsets then read again.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        try:
            readable_format(found or None, FORMAT, f"the history database {path}")
        except Exception:
            self.db.close()
            raise
        for statement in SCHEMA:
            self.db.execute(statement)
        if found != FORMAT:
            self.db.execute(f"PRAGMA user_version = {FORMAT}")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def offsets(self) -> dict[tuple[str, int], int]:
        """The next offset to read of each (topic, partition) the store has taken."""
        rows = self.db.execute("SELECT topic, partition, next FROM offsets")
        return {(topic, partition): offset for topic, partition, offset in rows}

    def write(self, batch: Batch) -> None:
        """Store a batch and the offsets it reaches, all or nothing. Fixes, events and alerts
        already past the retention behind the newest fix are not stored (a prune would delete
        them): what the store holds is within its retention at every moment but between two
        prunes (`prune_due`)."""
        if batch.fixes:
            newest = max(fix[1] for fix in batch.fixes)
            self.newest = newest if self.newest is None else max(self.newest, newest)
        if self.newest is not None:
            cutoff = self.newest - self.retention_s
            batch.fixes = [fix for fix in batch.fixes if fix[1] >= cutoff]
            batch.events = [event for event in batch.events if event[1] >= cutoff]
            batch.alerts = [alert for alert in batch.alerts if alert[1] >= cutoff]
        # In key order, so that a vessel's rows reach its page together (a stable sort: of two
        # fixes with one key, the later read still replaces the earlier).
        batch.fixes.sort(key=itemgetter(0, 1))  # (mmsi, t)
        db = self.db
        db.execute("BEGIN")
        try:
            _insert_rows(db, "INSERT OR REPLACE INTO fixes", 7, batch.fixes)
            seen: dict[int, tuple[float, float]] = {}
            for mmsi, t, *_ in batch.fixes:
                first, last = seen.get(mmsi, (t, t))
                seen[mmsi] = (min(first, t), max(last, t))
            for mmsi, t, _ in batch.statics:
                first, last = seen.get(mmsi, (t, t))
                seen[mmsi] = (min(first, t), max(last, t))
            _insert_rows(
                db,
                "INSERT INTO vessels (mmsi, first_seen, last_seen)",
                3,
                [(mmsi, first, last) for mmsi, (first, last) in seen.items()],
                " ON CONFLICT (mmsi) DO UPDATE SET "
                "first_seen = min(first_seen, excluded.first_seen), "
                "last_seen = max(last_seen, excluded.last_seen)",
            )
            self._statics(batch.statics)
            db.executemany(
                "INSERT OR REPLACE INTO events (mmsi, t, kind, key, record) VALUES (?,?,?,?,?)",
                batch.events,
            )
            for alert_id, t, vessels, record in batch.alerts:
                db.execute("INSERT OR REPLACE INTO alerts VALUES (?,?,?)", (alert_id, t, record))
                db.executemany(
                    "INSERT OR REPLACE INTO alert_vessels VALUES (?,?,?)",
                    [(mmsi, alert_id, t) for mmsi in vessels],
                )
            db.executemany(
                "INSERT OR REPLACE INTO offsets VALUES (?,?,?)",
                [(topic, p, offset) for (topic, p), offset in batch.offsets.items()],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.prune_due()

    def prune_due(self) -> int:
        """Prune when the newest fix has moved on by `prune_every_s` since the last prune (the
        first batch after opening only starts the clock); rows deleted."""
        if self.newest is None:
            return 0
        if self.pruned_at is None:
            self.pruned_at = self.newest
            return 0
        if self.newest - self.pruned_at < self.prune_every_s:
            return 0
        return self.prune(self.newest)

    def _statics(self, statics: list[tuple[int, float, Record]]) -> None:
        """Merge static reports in event-time order; record what each changed."""
        for mmsi, t, report in sorted(statics, key=lambda s: s[1]):
            row = self.db.execute(
                "SELECT identity, static_t FROM vessels WHERE mmsi = ?", (mmsi,)
            ).fetchone()
            known = orjson.loads(row[0]) if row and row[0] else None
            if row and row[1] is not None and t < row[1]:
                continue  # older than what is known: it changes nothing now
            identity, changes = identity_changes(known, report)
            self.db.execute(
                "UPDATE vessels SET identity = ?, static_t = ?, name = ?, imo = ?, callsign = ? "
                "WHERE mmsi = ?",
                (
                    orjson.dumps(identity),
                    t,
                    identity.get("name"),
                    identity.get("imo"),
                    identity.get("callsign"),
                    mmsi,
                ),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO identity_changes VALUES (?,?,?,?,?)",
                [(mmsi, t, f, orjson.dumps(old), orjson.dumps(new)) for f, old, new in changes],
            )

    def prune(self, newest: float | None = None) -> int:
        """Delete what is older than the retention behind the newest fix (the database's, or
        `newest`: the newest written, which spares a scan of every fix); rows deleted."""
        if newest is None:
            newest = self.db.execute("SELECT max(t) FROM fixes").fetchone()[0]
        if newest is None:
            return 0
        self.pruned_at = newest
        cutoff = newest - self.retention_s
        deleted = 0
        self.db.execute("BEGIN")
        for table in ("fixes", "identity_changes", "events", "alerts", "alert_vessels"):
            deleted += self.db.execute(f"DELETE FROM {table} WHERE t < ?", (cutoff,)).rowcount
        self.db.execute("DELETE FROM vessels WHERE last_seen < ?", (cutoff,))
        self.db.execute("COMMIT")
        return deleted

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """Vessels by MMSI, IMO, call sign (exact) or name (containing `text`), best first."""
        query = text.strip()
        if not query:
            return []
        exact: list[int] = []
        if query.isdigit():
            number = int(query)
            exact = [
                mmsi
                for (mmsi,) in self.db.execute(
                    "SELECT mmsi FROM vessels WHERE mmsi = ? OR imo = ?", (number, number)
                )
            ]
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        named = [
            mmsi
            for (mmsi,) in self.db.execute(
                "SELECT mmsi FROM vessels WHERE callsign = ? COLLATE NOCASE "
                "OR name LIKE ? ESCAPE '\\' ORDER BY last_seen DESC LIMIT ?",
                (query, pattern, limit),
            )
        ]
        found = list(dict.fromkeys(exact + named))[:limit]
        return [self.summary(mmsi) for mmsi in found]

    def summary(self, mmsi: int) -> dict[str, Any]:
        """MMSI, identity, first and last seen."""
        row = self.db.execute(
            "SELECT identity, first_seen, last_seen FROM vessels WHERE mmsi = ?", (mmsi,)
        ).fetchone()
        identity = orjson.loads(row[0]) if row and row[0] else {}
        out: dict[str, Any] = {"mmsi": mmsi, **{f: identity.get(f) for f in IDENTITY_FIELDS}}
        out["first_seen"] = iso_of(row[1]) if row and row[1] is not None else None
        out["last_seen"] = iso_of(row[2]) if row and row[2] is not None else None
        return out

    def vessel(self, mmsi: int, days: float = 30.0) -> VesselHistory | None:
        """The vessel's last `days` (behind its newest record); None for a vessel never seen."""
        row = self.db.execute("SELECT last_seen FROM vessels WHERE mmsi = ?", (mmsi,)).fetchone()
        alerts_t = self.db.execute(
            "SELECT max(t) FROM alert_vessels WHERE mmsi = ?", (mmsi,)
        ).fetchone()[0]
        if row is None and alerts_t is None:
            return None
        newest = max(t for t in (row[0] if row else None, alerts_t) if t is not None)
        since = newest - days * DAY_S
        track = [
            Fix(iso_of(t), lat, lon, sog, cog, heading)
            for t, lat, lon, sog, cog, heading in self.db.execute(
                "SELECT t, lat, lon, sog, cog, heading FROM fixes "
                "WHERE mmsi = ? AND t >= ? ORDER BY t",
                (mmsi, since),
            )
        ]
        entries = [*self._events(mmsi, since), *self._alerts(mmsi, since)]
        entries += [
            TimelineEntry(
                iso_of(t), "identity", "identity", {"field": f, "old": _json(o), "new": _json(n)}
            )
            for t, f, o, n in self.db.execute(
                "SELECT t, field, old, new FROM identity_changes WHERE mmsi = ? AND t >= ?",
                (mmsi, since),
            )
        ]
        entries.sort(key=lambda e: e.at)
        return VesselHistory(mmsi, self.summary(mmsi), track, entries)

    def _events(self, mmsi: int, since: float) -> Iterable[TimelineEntry]:
        for t, kind, record in self.db.execute(
            "SELECT t, kind, record FROM events WHERE mmsi = ? AND t >= ?", (mmsi, since)
        ):
            yield TimelineEntry(iso_of(t), kind, "event", orjson.loads(record))

    def _alerts(self, mmsi: int, since: float) -> Iterable[TimelineEntry]:
        for t, record in self.db.execute(
            "SELECT a.t, a.record FROM alert_vessels v JOIN alerts a USING (alert_id) "
            "WHERE v.mmsi = ? AND v.t >= ?",
            (mmsi, since),
        ):
            alert = orjson.loads(record)
            yield TimelineEntry(iso_of(t), str(alert.get("kind")), "alert", alert)

    def alert(self, alert_id: str) -> Record | None:
        """One alert as published (its newest record)."""
        row = self.db.execute("SELECT record FROM alerts WHERE alert_id = ?", (alert_id,))
        found = row.fetchone()
        return orjson.loads(found[0]) if found else None


def _insert_rows(
    db: sqlite3.Connection, head: str, width: int, rows: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """`head VALUES (...), (...), ... tail`, ROWS_PER_STATEMENT rows a statement.

    Python's sqlite3 lets go of the interpreter lock around every statement step, so an
    `executemany` of a batch's thousands of rows handed the lock to and from the worker's event
    loop as often; a statement per hundred rows lets go a hundred times less (with the sink in
    the worker: its CPU a position 33.7 -> 30.5 µs, the median of 4 interleaved runs each)."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        db.execute(_statement(head, width, len(chunk), tail), list(chain.from_iterable(chunk)))


@lru_cache(maxsize=64)
def _statement(head: str, width: int, count: int, tail: str) -> str:
    one = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([one] * count)}{tail}"


def _json(blob: bytes | None) -> Any:
    return orjson.loads(blob) if blob else None
