"""Reads of the SQLite backend: plain functions over a connection, run on reader threads."""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from roomtemp.domain import Comfort, Reading, ReadingsPage, RoomMeta, SensorLatest

LATEST = """
    SELECT s.room_id, s.sensor_id, r.ts_ms, r.value FROM series AS s
    JOIN readings AS r ON r.series_id = s.series_id AND r.ts_ms = (
        SELECT ts_ms FROM readings WHERE series_id = s.series_id
        ORDER BY ts_ms DESC LIMIT 1)
"""


def room(conn: sqlite3.Connection, room_id: str) -> RoomMeta | None:
    row = conn.execute("SELECT * FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
    return None if row is None else _room(row)


def rooms(conn: sqlite3.Connection, after: str | None, limit: int | None) -> list[RoomMeta]:
    """Rooms by id, after `after` (None: from the first), at most `limit` (None: all)."""
    rows = conn.execute(
        "SELECT * FROM rooms WHERE room_id > ? ORDER BY room_id LIMIT ?",
        ("" if after is None else after, -1 if limit is None else limit),
    )
    return [_room(row) for row in rows]


def latest(
    conn: sqlite3.Connection, room_ids: Sequence[str] | None
) -> dict[str, list[SensorLatest]]:
    """The newest reading of each sensor, per room (every room when `room_ids` is None)."""
    sql = LATEST
    params: tuple[str, ...] = ()
    if room_ids is not None:
        sql += " WHERE s.room_id IN (SELECT value FROM json_each(?))"
        params = (json.dumps(list(room_ids)),)
    found: dict[str, list[SensorLatest]] = defaultdict(list)
    for room_id, sensor_id, ts_ms, value in conn.execute(sql + " ORDER BY 1, 2", params):
        found[room_id].append(SensorLatest(sensor_id or None, ts_ms, value))
    return dict(found)


def readings_page(
    conn: sqlite3.Connection,
    room_id: str,
    span: tuple[int, int],
    sensor_id: str | None,
    after: tuple[int, str] | None,
    limit: int,
) -> ReadingsPage:
    """Readings of a room in `[start, end)` by (timestamp, sensor), strictly after `after`."""
    sql = "SELECT series_id, sensor_id FROM series WHERE room_id = ?"
    params: tuple[str, ...] = (room_id,)
    if sensor_id is not None:
        sql += " AND sensor_id = ?"
        params += (sensor_id,)
    streams = [
        _series_stream(conn, series_id, room_id, sensor, span, after, limit + 1)
        for series_id, sensor in conn.execute(sql + " ORDER BY sensor_id", params).fetchall()
    ]
    merged = list(_take(heapq.merge(*streams, key=_reading_key), limit + 1))
    page = merged[:limit]
    more = len(merged) > limit
    return ReadingsPage(page, _reading_key(page[-1]) if more else None)


def _room(row: sqlite3.Row | tuple[Any, ...]) -> RoomMeta:
    room_id, name, building, floor, labels, comfort_min, comfort_max = row
    return RoomMeta(
        room_id, name, building, floor, json.loads(labels), Comfort(comfort_min, comfort_max)
    )


def _reading_key(reading: Reading) -> tuple[int, str]:
    return reading.timestamp_ms, reading.sensor_id or ""


def _take(items: Iterator[Reading], count: int) -> Iterator[Reading]:
    for index, item in enumerate(items):
        if index >= count:
            return
        yield item


def _series_stream(
    conn: sqlite3.Connection,
    series_id: int,
    room_id: str,
    sensor: str,
    span: tuple[int, int],
    after: tuple[int, str] | None,
    limit: int,
) -> Iterator[Reading]:
    start_ms, end_ms = span
    low = start_ms
    if after is not None:
        after_ts, after_sensor = after
        low = max(low, after_ts if sensor > after_sensor else after_ts + 1)
    rows = conn.execute(
        "SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms >= ? AND ts_ms < ? "
        "ORDER BY ts_ms LIMIT ?",
        (series_id, low, end_ms, limit),
    ).fetchall()
    return (Reading(room_id, sensor or None, ts_ms, value) for ts_ms, value in rows)
