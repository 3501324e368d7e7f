"""A database written by roomtemp's first SQLite format opens, is migrated, and loses nothing."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from roomtemp.domain import Reading, SensorSettings
from roomtemp.storage import open_storage
from roomtemp.storage.sqlite import SqliteStorage, schema
from roomtemp.timeparse import epoch_buckets
from tests.support import close, ms, reference_buckets

pytestmark = pytest.mark.anyio

T0 = ms("2024-03-01T00:00:00Z")
HOUR, DAY = 3_600_000, 86_400_000

FORMAT_1 = """
    CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY, name TEXT, building TEXT, floor TEXT,
        labels TEXT NOT NULL DEFAULT '{}', comfort_min REAL, comfort_max REAL
    ) WITHOUT ROWID;
    CREATE INDEX rooms_building_floor ON rooms (building, floor);
    CREATE TABLE series (
        series_id INTEGER PRIMARY KEY,
        room_id TEXT NOT NULL REFERENCES rooms (room_id),
        sensor_id TEXT NOT NULL,
        UNIQUE (room_id, sensor_id)
    );
    CREATE TABLE readings (
        series_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (series_id, ts_ms)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_hour (
        series_id INTEGER NOT NULL, hour_ms INTEGER NOT NULL, total REAL NOT NULL,
        count INTEGER NOT NULL, minimum REAL NOT NULL, maximum REAL NOT NULL,
        PRIMARY KEY (series_id, hour_ms)
    ) WITHOUT ROWID;
"""
"""Format 1 as roomtemp 0.1 created it (storage/sqlite/schema.py, migration 1)."""


def format_1_file(path: Path, readings: list[Reading]) -> None:
    """A database as roomtemp 0.1 wrote it: the schema, rooms, series, rows and rollups."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(f"BEGIN;{FORMAT_1};PRAGMA user_version = 1;COMMIT;")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO rooms VALUES ('lab', 'Lab', 'hq', '1', '{\"wing\": \"east\"}', 19.0, 24.0)"
    )
    conn.execute("INSERT INTO rooms (room_id) VALUES ('hall')")
    ids: dict[tuple[str, str], int] = {}
    for reading in readings:
        key = (reading.room_id, reading.sensor_id or "")
        if key not in ids:
            conn.execute("INSERT INTO series (room_id, sensor_id) VALUES (?, ?)", key)
            ids[key] = len(ids) + 1
        conn.execute(
            "INSERT INTO readings VALUES (?, ?, ?)",
            (ids[key], reading.timestamp_ms, reading.value),
        )
    conn.execute(
        "INSERT INTO rollup_hour SELECT series_id, ts_ms / 3600000 * 3600000, sum(value), "
        "count(*), min(value), max(value) FROM readings GROUP BY 1, 2"
    )
    conn.execute("COMMIT")
    conn.close()


def made_up(seed: int) -> list[Reading]:
    rng = random.Random(seed)
    found = {}
    for _ in range(4000):
        room, sensor = rng.choice([("lab", None), ("lab", "door"), ("hall", "x")])
        found[(room, sensor, T0 + rng.randrange(5 * DAY))] = round(rng.uniform(15, 28), 2)
    return [Reading(r, s, t, v) for (r, s, t), v in found.items()]


async def test_a_format_1_database_is_migrated_without_losing_a_reading(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    readings = made_up(1)
    format_1_file(path, readings)
    storage = await open_storage(f"sqlite:///{path}")
    try:
        lab = await storage.get_room("lab")
        assert lab is not None
        assert (lab.name, lab.labels, lab.comfort.max_celsius) == ("Lab", {"wing": "east"}, 24.0)
        for room in ("lab", "hall"):
            page = await storage.readings(room, T0, T0 + 5 * DAY, limit=10_000)
            mine = sorted(
                (r for r in readings if r.room_id == room),
                key=lambda r: (r.timestamp_ms, r.sensor_id or ""),
            )
            assert page.readings == mine
        buckets = epoch_buckets(T0 + 1000, T0 + 5 * DAY, HOUR)
        got = (await storage.aggregate(["lab"], buckets))["lab"]
        points = [(r.timestamp_ms, r.value) for r in readings if r.room_id == "lab"]
        edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
        want = reference_buckets(points, T0 + 1000, T0 + 5 * DAY, edges)
        assert [(a.start_ms, a.count) for a in got] == [(b.start_ms, b.count) for b in want]
        assert all(close(a.mean, b.mean) for a, b in zip(got, want, strict=True))
        assert (await storage.write(readings[:100])).duplicates == 100
    finally:
        await storage.close()
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.FORMAT
    assert not {"readings", "rollup_hour"} & tables
    conn.close()


async def test_two_processes_opening_an_old_file_at_once_both_start(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    readings = made_up(2)
    format_1_file(path, readings)
    stores = [SqliteStorage(path), SqliteStorage(path)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        for store in stores:
            page = await store.readings("hall", T0, T0 + 5 * DAY, limit=10_000)
            assert len(page.readings) == sum(r.room_id == "hall" for r in readings)
    finally:
        for store in stores:
            await store.close()


async def test_a_format_2_store_opens_as_format_3_with_its_readings(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    storage = await open_storage(f"sqlite:///{path}")
    await storage.write([Reading("lab", "door", T0, 20.0)])
    await storage.close()
    conn = sqlite3.connect(path)
    conn.executescript(
        "BEGIN; DROP TABLE sensors; DROP TABLE raw_values; DROP TABLE quarantine;"
        "PRAGMA user_version = 2; COMMIT;"
    )
    conn.close()
    storage = await open_storage(f"sqlite:///{path}")
    try:
        await storage.put_sensor("lab", SensorSettings("door", 0.5))
        await storage.write([Reading("lab", "door", T0 + 60_000, 20.0)])
        page = await storage.readings("lab", T0, T0 + 120_000)
        assert [r.value for r in page.readings] == [20.0, 20.5]
    finally:
        await storage.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.FORMAT == 3
    conn.close()
