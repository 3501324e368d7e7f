"""Engine floors: the same work done straight on SQLite or the storage layer, without HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from roomtemp.storage import open_storage
from roomtemp.storage.sqlite.schema import migrate
from roomtemp.timeparse import Bucket, epoch_buckets

Row = tuple[str, int, float]  # room, timestamp ms, value


def _fresh(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    migrate(conn)
    return conn


def _series(conn: sqlite3.Connection, rooms: set[str]) -> dict[str, int]:
    conn.execute("BEGIN")
    for room in sorted(rooms):
        conn.execute("INSERT INTO rooms (room_id) VALUES (?)", (room,))
        conn.execute("INSERT INTO series (room_id, sensor_id) VALUES (?, '')", (room,))
    conn.execute("COMMIT")
    return dict(conn.execute("SELECT room_id, series_id FROM series"))


def insert_rate(path: Path, rows: Sequence[Row], per_commit: int | None = None) -> float:
    """Readings/s of executemany of the same rows (synchronous=FULL, WAL): in one transaction,
    or committing every `per_commit` rows as a server committing each request alone would."""
    conn = _fresh(path)
    ids = _series(conn, {room for room, _, _ in rows})
    prepared = [(ids[room], ts, value) for room, ts, value in rows]
    size = per_commit or len(prepared)
    started = time.perf_counter()
    for first in range(0, len(prepared), size):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO readings VALUES (?, ?, ?)", prepared[first : first + size])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return len(rows) / seconds


def commit_rate(path: Path, count: int) -> float:
    """Transactions/s when each reading is committed alone (synchronous=FULL, WAL)."""
    conn = _fresh(path)
    series_id = _series(conn, {"single"})["single"]
    started = time.perf_counter()
    for index in range(count):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO readings VALUES (?, ?, 20.0)", (series_id, index))
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return count / seconds


def _timed(runs: int, call: object) -> list[float]:
    found = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        found.append((time.perf_counter() - started) * 1000)
    return found[1:]


def storage_latencies(
    database: Path, room: str, start_ms: int, end_ms: int, step_ms: int, runs: int
) -> tuple[list[float], list[float]]:
    """The storage layer's own time (no HTTP): hourly aggregate of a room, and every room's
    metadata with its latest readings (what GET /api/v1/rooms asks of storage)."""

    async def measure() -> tuple[list[float], list[float]]:
        storage = await open_storage(f"sqlite:///{database}")
        buckets: list[Bucket] = epoch_buckets(start_ms, end_ms, step_ms)
        stats, rooms = [], []
        try:
            for series, work in ((stats, "stats"), (rooms, "rooms")):
                for _ in range(runs + 1):
                    started = time.perf_counter()
                    if work == "stats":
                        await storage.aggregate([room], buckets)
                    else:
                        await storage.list_rooms()
                        await storage.latest()
                    series.append((time.perf_counter() - started) * 1000)
        finally:
            await storage.close()
        return stats[1:], rooms[1:]

    return asyncio.run(measure())


_ROLLUP_ROWS = """
    SELECT hour_ms, total, count, minimum, maximum FROM rollup_hour
    WHERE series_id IN (SELECT series_id FROM series WHERE room_id = ?)
      AND hour_ms >= ? AND hour_ms < ?
"""
_RAW_GROUP_BY = """
    SELECT ts_ms / 3600000, sum(value), count(*), min(value), max(value) FROM readings
    WHERE series_id IN (SELECT series_id FROM series WHERE room_id = ?)
      AND ts_ms >= ? AND ts_ms < ? GROUP BY 1
"""


def sql_latencies(
    database: Path, room: str, start_ms: int, end_ms: int, runs: int
) -> tuple[list[float], list[float]]:
    """Hourly figures straight from SQL: reading the hourly rollup rows (the least the engine must
    do), and a GROUP BY over every raw reading (what the rollups save)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    params = (room, start_ms, end_ms)
    try:
        rollups = _timed(runs, lambda: conn.execute(_ROLLUP_ROWS, params).fetchall())
        raw = _timed(runs, lambda: conn.execute(_RAW_GROUP_BY, params).fetchall())
    finally:
        conn.close()
    return rollups, raw


def bytes_per_reading(database: Path) -> tuple[float, float, int]:
    """(file bytes per reading, readings-table bytes per reading, readings) after a checkpoint."""
    conn = sqlite3.connect(database)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        readings = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
        table = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'readings'").fetchone()[0]
    finally:
        conn.close()
    return database.stat().st_size / readings, table / readings, readings
