"""One write job of the SQLite backend: insert a batch of rows, skip identical re-sends, refuse
conflicting ones, and keep the hourly rollups in step, all inside the caller's transaction."""

from __future__ import annotations

import bisect
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from roomtemp.domain import WriteResult
from roomtemp.errors import ConflictingReading
from roomtemp.storage.sqlite.schema import HOUR_MS

SeriesKey = tuple[str, str]
Row = tuple[int, int, float]
Rollup = tuple[Any, ...]

ROLLUP_UPSERT = """
    INSERT INTO rollup_hour (series_id, hour_ms, total, count, minimum, maximum)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (series_id, hour_ms) DO UPDATE SET
        total = total + excluded.total,
        count = count + excluded.count,
        minimum = min(minimum, excluded.minimum),
        maximum = max(maximum, excluded.maximum)
"""


@dataclass(frozen=True)
class Prepared:
    """Rows and rollups built before the writer runs; valid while the series cache generation is
    unchanged (see SqliteStorage._prepare)."""

    generation: int
    rows: list[Row]
    rollups: list[Rollup]


def store(
    conn: sqlite3.Connection,
    rows: list[Row],
    rollups: list[Rollup] | None,
    series: dict[SeriesKey, int],
) -> WriteResult:
    """Insert rows (sorted by key) and their hourly rollups; skip duplicates, raise on conflicts."""
    before = conn.total_changes
    conn.execute("SAVEPOINT fast")
    conn.executemany("INSERT INTO readings VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows)
    if conn.total_changes - before == len(rows):
        conn.execute("RELEASE fast")
        fresh = rows
    else:
        conn.execute("ROLLBACK TO fast")
        conn.execute("RELEASE fast")
        fresh = new_rows(conn, rows, series)
        conn.executemany("INSERT INTO readings VALUES (?, ?, ?)", fresh)
        rollups = None
    conn.executemany(ROLLUP_UPSERT, rollups if rollups is not None else hourly_rollups(fresh))
    return WriteResult(accepted=len(fresh), duplicates=len(rows) - len(fresh))


def new_rows(conn: sqlite3.Connection, rows: list[Row], series: dict[SeriesKey, int]) -> list[Row]:
    """The rows not stored yet; ConflictingReading if one is stored with another value."""
    fresh = []
    for row in rows:
        stored = conn.execute(
            "SELECT value FROM readings WHERE series_id = ? AND ts_ms = ?", row[:2]
        ).fetchone()
        if stored is None:
            fresh.append(row)
        elif stored[0] != row[2]:
            room_id, sensor_id = next(key for key, sid in series.items() if sid == row[0])
            raise ConflictingReading(room_id, sensor_id or None, row[1], stored[0], row[2])
    return fresh


def hourly_rollups(rows: Sequence[Row]) -> list[Rollup]:
    """(series, hour, sum, count, min, max) of rows sorted by (series, timestamp)."""
    rollups = []
    start = 0
    count = len(rows)
    while start < count:
        series_id, ts_ms, _ = rows[start]
        hour = ts_ms - ts_ms % HOUR_MS
        stop = bisect.bisect_left(rows, (series_id, hour + HOUR_MS), lo=start)
        values = [row[2] for row in rows[start:stop]]
        rollups.append((series_id, hour, math.fsum(values), len(values), min(values), max(values)))
        start = stop
    return rollups
