"""The embedded default backend: one SQLite file in WAL mode, writes coalesced by group commit.

Readings are keyed by (series, ms) where a series is one (room, sensor); hourly rollups kept in
the same transaction answer long-range stats without scanning every reading.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from roomtemp.domain import (
    Aggregate,
    Reading,
    ReadingsPage,
    RoomMeta,
    SensorLatest,
    WriteResult,
)
from roomtemp.errors import StorageError, StorageUnavailable
from roomtemp.storage.sqlite import aggregate as sqlite_aggregate
from roomtemp.storage.sqlite import reads
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
        return await self._read(lambda conn: reads.room(conn, room_id))

    async def list_rooms(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[RoomMeta]:
        return await self._read(lambda conn: reads.rooms(conn, after, limit))

    async def latest(self, room_ids: Sequence[str] | None = None) -> dict[str, list[SensorLatest]]:
        return await self._read(lambda conn: reads.latest(conn, room_ids))

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
        span = (start_ms, end_ms)
        return await self._read(
            lambda conn: reads.readings_page(conn, room_id, span, sensor_id, after, limit)
        )

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
