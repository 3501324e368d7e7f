"""The embedded default backend: one SQLite file in WAL mode, writes coalesced by group commit.

Readings are keyed by (series, ms) where a series is one (room, sensor); hourly rollups kept in
the same transaction answer long-range stats without scanning every reading.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from roomtemp.domain import (
    Aggregate,
    Comfort,
    Reading,
    ReadingsPage,
    RoomMeta,
    SensorLatest,
    WriteResult,
)
from roomtemp.errors import StorageError, StorageUnavailable
from roomtemp.storage.sqlite import aggregate as sqlite_aggregate
from roomtemp.storage.sqlite.batch import Prepared, Row, SeriesKey, hourly_rollups, store
from roomtemp.storage.sqlite.schema import migrate
from roomtemp.storage.sqlite.writer import Checkpointer, GroupCommitWriter
from roomtemp.timeparse import Bucket

log = logging.getLogger("roomtemp.storage.sqlite")
T = TypeVar("T")


class SqliteStorage:
    """Storage in one SQLite file (`sqlite:///path`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._series: dict[SeriesKey, int] = {}
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._generation = 0
        self._writer = GroupCommitWriter(self._connect_writer, self._forget_all)
        self._checkpointer = Checkpointer(self._connect)

    async def open(self) -> None:
        """Create the file and its folder if needed, migrate, and start the writer thread."""
        await asyncio.to_thread(self._open_sync)
        self._writer.start()
        self._checkpointer.start()

    def _open_sync(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                version = migrate(conn)
            finally:
                conn.close()
            log.info(
                "SQLite database %s ready (schema version %d, WAL)", self.path.resolve(), version
            )
        except (OSError, sqlite3.Error) as exc:
            raise StorageUnavailable(
                f"cannot open SQLite database {self.path}: {exc}; check the path and permissions "
                "of ROOMTEMP_STORAGE"
            ) from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -32000")
        return conn

    def _connect_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's thread does it
        return conn

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(self._checkpointer.stop)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    async def check(self) -> None:
        await self._read(lambda conn: conn.execute("SELECT 1").fetchone())

    # -- writes -------------------------------------------------------------------------------

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        created: list[SeriesKey] = []
        prepared = self._prepare(readings)

        def job(conn: sqlite3.Connection) -> WriteResult:
            if prepared is not None and prepared.generation == self._generation:
                return store(conn, prepared.rows, prepared.rollups, self._series)
            rows = self._rows(conn, readings, created)
            return store(conn, rows, None, self._series)

        def forget_created() -> None:
            for key in created:
                self._series.pop(key, None)
            self._generation += 1

        result: WriteResult = await self._submit(job, forget_created)
        return result

    def _prepare(self, readings: Sequence[Reading]) -> Prepared | None:
        """Rows and rollups built outside the writer thread, when every series is known already;
        the writer uses them only if no series was forgotten in between (same generation)."""
        generation = self._generation
        try:
            rows = _keyed_rows(readings, self._series)
        except KeyError:
            return None
        return Prepared(generation, rows, hourly_rollups(rows))

    def _rows(
        self, conn: sqlite3.Connection, readings: Sequence[Reading], created: list[SeriesKey]
    ) -> list[Row]:
        return _keyed_rows(readings, self._series_ids(conn, readings, created))

    def _forget_all(self) -> None:
        self._series.clear()
        self._generation += 1

    def _series_ids(
        self, conn: sqlite3.Connection, readings: Sequence[Reading], created: list[SeriesKey]
    ) -> dict[SeriesKey, int]:
        keys = {(r.room_id, r.sensor_id or "") for r in readings}
        ids = {}
        for key in keys:
            series_id = self._series.get(key)
            if series_id is None:
                conn.execute("INSERT OR IGNORE INTO rooms (room_id) VALUES (?)", (key[0],))
                conn.execute("INSERT OR IGNORE INTO series (room_id, sensor_id) VALUES (?, ?)", key)
                series_id = conn.execute(
                    "SELECT series_id FROM series WHERE room_id = ? AND sensor_id = ?", key
                ).fetchone()[0]
                self._series[key] = series_id
                created.append(key)
            ids[key] = series_id
        return ids

    async def put_room(self, meta: RoomMeta) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            exists = conn.execute("SELECT 1 FROM rooms WHERE room_id = ?", (meta.room_id,))
            is_new = exists.fetchone() is None
            conn.execute(
                """INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (room_id) DO UPDATE SET name = excluded.name,
                    building = excluded.building, floor = excluded.floor, labels = excluded.labels,
                    comfort_min = excluded.comfort_min, comfort_max = excluded.comfort_max""",
                (
                    meta.room_id,
                    meta.name,
                    meta.building,
                    meta.floor,
                    json.dumps(meta.labels, sort_keys=True),
                    meta.comfort.min_celsius,
                    meta.comfort.max_celsius,
                ),
            )
            return is_new

        result: bool = await self._submit(job)
        return result

    async def delete_room(self, room_id: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            series = "SELECT series_id FROM series WHERE room_id = ?"
            conn.execute(f"DELETE FROM readings WHERE series_id IN ({series})", (room_id,))
            conn.execute(f"DELETE FROM rollup_hour WHERE series_id IN ({series})", (room_id,))
            conn.execute("DELETE FROM series WHERE room_id = ?", (room_id,))
            deleted = conn.execute("DELETE FROM rooms WHERE room_id = ?", (room_id,)).rowcount
            for key in [k for k in self._series if k[0] == room_id]:
                del self._series[key]
            self._generation += 1
            return bool(deleted)

        result: bool = await self._submit(job)
        return result

    # -- reads --------------------------------------------------------------------------------

    async def get_room(self, room_id: str) -> RoomMeta | None:
        def query(conn: sqlite3.Connection) -> RoomMeta | None:
            row = conn.execute("SELECT * FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
            return None if row is None else _room(row)

        return await self._read(query)

    async def list_rooms(self) -> list[RoomMeta]:
        def query(conn: sqlite3.Connection) -> list[RoomMeta]:
            return [_room(row) for row in conn.execute("SELECT * FROM rooms ORDER BY room_id")]

        return await self._read(query)

    async def latest(self, room_ids: Sequence[str] | None = None) -> dict[str, list[SensorLatest]]:
        def query(conn: sqlite3.Connection) -> dict[str, list[SensorLatest]]:
            sql = """
                SELECT s.room_id, s.sensor_id, r.ts_ms, r.value FROM series AS s
                JOIN readings AS r ON r.series_id = s.series_id AND r.ts_ms = (
                    SELECT ts_ms FROM readings WHERE series_id = s.series_id
                    ORDER BY ts_ms DESC LIMIT 1)
            """
            params: tuple[str, ...] = ()
            if room_ids is not None:
                sql += " WHERE s.room_id IN (SELECT value FROM json_each(?))"
                params = (json.dumps(list(room_ids)),)
            found: dict[str, list[SensorLatest]] = defaultdict(list)
            for room_id, sensor_id, ts_ms, value in conn.execute(sql + " ORDER BY 1, 2", params):
                found[room_id].append(SensorLatest(sensor_id or None, ts_ms, value))
            return dict(found)

        return await self._read(query)

    async def readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        *,
        sensor_id: str | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> ReadingsPage:
        def query(conn: sqlite3.Connection) -> ReadingsPage:
            sql = "SELECT series_id, sensor_id FROM series WHERE room_id = ?"
            params: tuple[str, ...] = (room_id,)
            if sensor_id is not None:
                sql += " AND sensor_id = ?"
                params += (sensor_id,)
            streams = [
                _series_stream(conn, sid, room_id, sensor, start_ms, end_ms, after, limit + 1)
                for sid, sensor in conn.execute(sql + " ORDER BY sensor_id", params).fetchall()
            ]
            merged = list(_take(heapq.merge(*streams, key=_reading_key), limit + 1))
            page = merged[:limit]
            more = len(merged) > limit
            return ReadingsPage(page, _reading_key(page[-1]) if more else None)

        return await self._read(query)

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> dict[str, list[Aggregate]]:
        queries = sqlite_aggregate.plan(room_ids, buckets)

        def query(conn: sqlite3.Connection) -> list[Any]:
            return [row for sql, params in queries for row in conn.execute(sql, params)]

        return sqlite_aggregate.combine(await self._read(query), buckets, len(queries))

    # -- plumbing -----------------------------------------------------------------------------

    async def _submit(
        self, job: Callable[[sqlite3.Connection], T], on_rollback: Callable[[], None] | None = None
    ) -> T:
        try:
            result: T = await self._writer.submit(job, on_rollback)
        except sqlite3.Error as exc:
            raise _mapped(exc) from exc
        return result

    async def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._connect()
                self._local.conn = conn
                with self._lock:
                    self._connections.append(conn)
            return query(conn)

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            raise _mapped(exc) from exc


def _keyed_rows(readings: Sequence[Reading], series: dict[SeriesKey, int]) -> list[Row]:
    """(series id, ms, value) rows sorted by key; KeyError for a series `series` lacks."""
    return sorted(
        [(series[(r.room_id, r.sensor_id or "")], r.timestamp_ms, r.value) for r in readings]
    )


def _mapped(exc: sqlite3.Error) -> StorageError:
    if isinstance(exc, sqlite3.OperationalError):
        return StorageUnavailable(f"SQLite is unavailable: {exc}", retry_after_seconds=1)
    return StorageError(f"SQLite failed: {exc}")


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
    start_ms: int,
    end_ms: int,
    after: tuple[int, str] | None,
    limit: int,
) -> Iterator[Reading]:
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
