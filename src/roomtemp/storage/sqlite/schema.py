"""The SQLite schema as numbered migrations, applied in order and recorded in `user_version`."""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger("roomtemp.storage.sqlite")

HOUR_MS = 3_600_000

MIGRATIONS: list[str] = [
    # 1: rooms, series (one per room and sensor), readings keyed by (series, ms), hourly rollups
    """
    CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY,
        name TEXT,
        building TEXT,
        floor TEXT,
        labels TEXT NOT NULL DEFAULT '{}',
        comfort_min REAL,
        comfort_max REAL
    ) WITHOUT ROWID;
    CREATE INDEX rooms_building_floor ON rooms (building, floor);
    CREATE TABLE series (
        series_id INTEGER PRIMARY KEY,
        room_id TEXT NOT NULL REFERENCES rooms (room_id),
        sensor_id TEXT NOT NULL,
        UNIQUE (room_id, sensor_id)
    );
    CREATE TABLE readings (
        series_id INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (series_id, ts_ms)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_hour (
        series_id INTEGER NOT NULL,
        hour_ms INTEGER NOT NULL,
        total REAL NOT NULL,
        count INTEGER NOT NULL,
        minimum REAL NOT NULL,
        maximum REAL NOT NULL,
        PRIMARY KEY (series_id, hour_ms)
    ) WITHOUT ROWID;
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the newest schema; returns the version it is at."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"database schema version {current} is newer than this roomtemp knows "
            f"({len(MIGRATIONS)}); upgrade roomtemp"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        log.info("migrating SQLite schema to version %d", version)
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return len(MIGRATIONS)
