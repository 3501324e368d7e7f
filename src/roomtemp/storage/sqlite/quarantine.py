"""Readings set aside at ingest: one row each, keyed as raw readings are paged."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from roomtemp.domain import SetAside, SetAsidePage


def set_aside(conn: sqlite3.Connection, readings: Sequence[SetAside]) -> None:
    """Keep readings aside (creating their rooms); one at the same identity is replaced."""
    conn.executemany(
        "INSERT OR IGNORE INTO rooms (room_id) VALUES (?)", {(r.room_id,) for r in readings}
    )
    conn.executemany(
        "INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?)",
        [(r.room_id, r.timestamp_ms, r.sensor_id or "", r.value, r.reason) for r in readings],
    )


def page(
    conn: sqlite3.Connection,
    room_id: str,
    span: tuple[int, int],
    after: tuple[int, str] | None,
    limit: int,
) -> SetAsidePage:
    """Readings set aside in `[start, end)` by (timestamp, sensor), strictly after `after`."""
    at, sensor = after if after is not None else (span[0] - 1, "\uffff")
    rows = conn.execute(
        "SELECT ts, sensor_id, value, reason FROM quarantine WHERE room_id = ? AND ts < ? "
        "AND ts >= ? AND (ts > ? OR (ts = ? AND sensor_id > ?)) ORDER BY ts, sensor_id LIMIT ?",
        (room_id, span[1], span[0], at, at, sensor, limit + 1),
    ).fetchall()
    found = [SetAside(room_id, s or None, t, v, why) for t, s, v, why in rows[:limit]]
    more = len(rows) > limit
    return SetAsidePage(found, (found[-1][2], found[-1][1] or "") if more else None)


def delete_room(conn: sqlite3.Connection, room_id: str) -> None:
    conn.execute("DELETE FROM quarantine WHERE room_id = ?", (room_id,))
