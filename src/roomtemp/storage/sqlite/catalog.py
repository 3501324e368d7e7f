"""Series: one per (room, sensor), numbered by SQLite; this process's map of them.

Writes create series inside their transaction; a rolled-back job or group makes the map stale,
and a stale map is reloaded from the table before its next use. Other processes' new series are
found the same way (an id the map lacks, or a changed row count, triggers a reload).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict

from roomtemp.errors import StorageFull
from roomtemp.storage.sqlite.schema import MAX_SERIES

SeriesKey = tuple[str, str]
"""(room id, sensor id), the anonymous sensor being the empty string."""


class Catalog:
    """Series ids by (room, sensor) and back, and each room's (sensor, id) pairs by sensor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ids: dict[SeriesKey, int] = {}
        self.keys: dict[int, SeriesKey] = {}
        self.rooms: dict[str, list[tuple[str, int]]] = {}
        self._stale = True
        self._count = -1

    def invalidate(self) -> None:
        self._stale = True

    def refresh(self, conn: sqlite3.Connection, *, check_count: bool = False) -> None:
        """Reload from the table when stale (or, when asked, when its row count changed)."""
        if check_count and not self._stale:
            count = conn.execute("SELECT count(*) FROM series").fetchone()[0]
            self._stale = count != self._count
        if not self._stale:
            return
        rows = conn.execute("SELECT series_id, room_id, sensor_id FROM series").fetchall()
        with self._lock:
            self.ids = {(room, sensor): sid for sid, room, sensor in rows}
            self.keys = {sid: key for key, sid in self.ids.items()}
            rooms: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for sid, room, sensor in sorted(rows, key=lambda row: (row[1], row[2])):
                rooms[room].append((sensor, sid))
            self.rooms = dict(rooms)
            self._count, self._stale = len(rows), False

    def key_of(self, conn: sqlite3.Connection, series_id: int) -> SeriesKey:
        """The (room, sensor) of an id, reloading once if this process has not seen it."""
        key = self.keys.get(series_id)
        if key is None:
            self._stale = True
            self.refresh(conn)
            key = self.keys.get(series_id, ("?", ""))
        return key

    def ensure(self, conn: sqlite3.Connection, keys: set[SeriesKey]) -> dict[SeriesKey, int]:
        """Ids of these series, creating rooms and series rows as needed (in the caller's
        transaction; the caller invalidates the map if that transaction is undone).

        The answer is built here, not read back from the map: a reader reloading the map from its
        own connection, which cannot see this uncommitted transaction, may drop the new entries
        meanwhile (they come back at the next reload from a connection that sees them)."""
        found = {key: sid for key in keys if (sid := self.ids.get(key)) is not None}
        if len(found) == len(keys):
            return found
        self.refresh(conn, check_count=True)
        for key in keys - found.keys():
            known = self.ids.get(key)
            if known is not None:
                found[key] = known
                continue
            conn.execute("INSERT OR IGNORE INTO rooms (room_id) VALUES (?)", (key[0],))
            conn.execute("INSERT OR IGNORE INTO series (room_id, sensor_id) VALUES (?, ?)", key)
            sid = conn.execute(
                "SELECT series_id FROM series WHERE room_id = ? AND sensor_id = ?", key
            ).fetchone()[0]
            if sid >= MAX_SERIES:
                raise StorageFull(f"the embedded store holds at most {MAX_SERIES:,} sensors")
            found[key] = sid
            with self._lock:
                self.ids[key], self.keys[sid] = sid, key
                self.rooms[key[0]] = sorted([*self.rooms.get(key[0], []), (key[1], sid)])
                self._count += 1
        return found
