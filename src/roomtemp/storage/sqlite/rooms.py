"""Room metadata and deleting a room with every reading of it, as write jobs."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from roomtemp.domain import RoomMeta
from roomtemp.storage.sqlite import logrows, quarantine, schema, sensors
from roomtemp.storage.sqlite.keys import split_keys


def put_room(conn: sqlite3.Connection, meta: RoomMeta) -> bool:
    """Create or replace a room's metadata; True when the room is new."""
    created = conn.execute("SELECT 1 FROM rooms WHERE room_id = ?", (meta.room_id,)).fetchone()
    conn.execute(
        """INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (room_id) DO UPDATE SET name = excluded.name,
            building = excluded.building, floor = excluded.floor, labels = excluded.labels,
            comfort_min = excluded.comfort_min, comfort_max = excluded.comfort_max""",
        (meta.room_id, meta.name, meta.building, meta.floor,
         json.dumps(meta.labels, sort_keys=True), meta.comfort.min_celsius,
         meta.comfort.max_celsius),
    )  # fmt: skip
    return created is None


def delete_room(conn: sqlite3.Connection, room_id: str, series: list[int]) -> bool:
    """Delete a room, its series and every stored reading of them; False when unknown. Every
    process reloads its hot tier afterwards (the epoch moves)."""
    delete_series(conn, series)
    sensors.delete_room(conn, room_id, series)
    quarantine.delete_room(conn, room_id)
    conn.execute("DELETE FROM series WHERE room_id = ?", (room_id,))
    deleted = conn.execute("DELETE FROM rooms WHERE room_id = ?", (room_id,)).rowcount
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'epoch'")
    return bool(deleted)


def delete_series(conn: sqlite3.Connection, series: list[int]) -> None:
    """Every stored reading of these series: day rows, hours blobs, gaps and log readings."""
    for sid in series:
        conn.execute("DELETE FROM days WHERE (key & 1048575) = ?", (sid,))  # the index's form
        conn.execute("DELETE FROM hours WHERE key >> ? = ?", (schema.PERIOD_BITS, sid))
        conn.execute("DELETE FROM gaps WHERE series_id = ?", (sid,))
    if series:
        _rewrite_log_without(conn, series)


def _rewrite_log_without(conn: sqlite3.Connection, series: list[int]) -> None:
    gone = np.array(series, np.int64)
    for batch_id, payload in conn.execute("SELECT batch_id, payload FROM log").fetchall():
        run = logrows.decode(batch_id, payload)
        keep = ~np.isin(split_keys(run.keys)[0], gone)
        if keep.all():
            continue
        if keep.any():
            payload = logrows.encode(run.keys[keep], run.values[keep])
            conn.execute("UPDATE log SET payload = ? WHERE batch_id = ?", (payload, batch_id))
        else:
            conn.execute("DELETE FROM log WHERE batch_id = ?", (batch_id,))
