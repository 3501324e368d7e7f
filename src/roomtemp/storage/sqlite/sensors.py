"""Sensor settings and the values as sent of calibrated readings (a sparse side table)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from roomtemp.domain import ReadingsPage, SensorKey, SensorSettings
from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite.schema import placeholders


def put_sensor(conn: sqlite3.Connection, room_id: str, settings: SensorSettings) -> bool:
    """Create or replace a sensor's settings (creating its room); True when they are new."""
    conn.execute("INSERT OR IGNORE INTO rooms (room_id) VALUES (?)", (room_id,))
    known = conn.execute(
        "SELECT 1 FROM sensors WHERE room_id = ? AND sensor_id = ?", (room_id, settings.sensor_id)
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO sensors VALUES (?, ?, ?, ?)",
        (room_id, settings.sensor_id, settings.offset_celsius, settings.expected_interval_ms),
    )
    return known is None


def settings(
    conn: sqlite3.Connection, room_ids: Sequence[str] | None
) -> dict[str, list[SensorSettings]]:
    """Per room, its sensors' settings sorted by sensor id (every room when `room_ids` is None)."""
    query = "SELECT * FROM sensors"
    if room_ids is not None:
        query += f" WHERE room_id IN {placeholders(len(room_ids))}"
    found: dict[str, list[SensorSettings]] = {}
    for room_id, sensor_id, offset, interval in conn.execute(
        query + " ORDER BY room_id, sensor_id", tuple(room_ids or ())
    ):
        found.setdefault(room_id, []).append(SensorSettings(sensor_id, offset, interval))
    return found


def offsets(conn: sqlite3.Connection) -> dict[SensorKey, float]:
    """Every sensor's non-zero offset, read inside the write's transaction: a reading stored
    after a PUT commits is calibrated by it, in every process."""
    rows = conn.execute(
        "SELECT room_id, sensor_id, offset_celsius FROM sensors WHERE offset_celsius != 0"
    )
    return {(room_id, sensor_id): offset for room_id, sensor_id, offset in rows}


def delete_room(conn: sqlite3.Connection, room_id: str, series: list[int]) -> None:
    """A room's sensor settings and its raw values."""
    conn.execute("DELETE FROM sensors WHERE room_id = ?", (room_id,))
    conn.executemany("DELETE FROM raw_values WHERE series_id = ?", [(sid,) for sid in series])


def store_raw(conn: sqlite3.Connection, series: I64, ts: I64, raw: F64) -> None:
    """Keep the values as sent of calibrated readings (NaN: not calibrated, nothing kept)."""
    kept = ~np.isnan(raw)
    if kept.any():
        rows = zip(series[kept].tolist(), ts[kept].tolist(), raw[kept].tolist(), strict=True)
        conn.executemany("INSERT OR REPLACE INTO raw_values VALUES (?, ?, ?)", rows)


def raw_at(conn: sqlite3.Connection, series_id: int, ts: int) -> float | None:
    """The value as sent of one stored reading, if it was calibrated."""
    row = conn.execute(
        "SELECT raw FROM raw_values WHERE series_id = ? AND ts = ?", (series_id, ts)
    ).fetchone()
    return None if row is None else float(row[0])


def raw_between(conn: sqlite3.Connection, series_id: int, low: int, high: int) -> dict[int, float]:
    """The values as sent of a series' calibrated readings in [low, high], by timestamp."""
    rows = conn.execute(
        "SELECT ts, raw FROM raw_values WHERE series_id = ? AND ts BETWEEN ? AND ?",
        (series_id, low, high),
    )
    return dict(rows.fetchall())


def with_raw(
    conn: sqlite3.Connection, page: ReadingsPage, series: list[tuple[str, int]]
) -> ReadingsPage:
    """The page with the values as sent of its calibrated readings (one lookup per sensor)."""
    if not page.readings:
        return page
    low, high = page.readings[0].timestamp_ms, page.readings[-1].timestamp_ms
    found = {sensor: raws for sensor, sid in series if (raws := raw_between(conn, sid, low, high))}
    if not found:
        return page
    raw_values = [found.get(r.sensor_id or "", {}).get(r.timestamp_ms) for r in page.readings]
    return replace(page, raw_values=raw_values)
