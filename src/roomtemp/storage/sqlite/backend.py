"""The embedded default backend: one SQLite file holding a log of recent batches (the hot tier,
decoded in memory) and finished days sealed into one compressed row per (series, day) with
their rollups. How and why: docs/storage.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from roomtemp.domain import (
    Aggregate,
    Reading,
    ReadingsPage,
    RoomMeta,
    RoomsRead,
    SensorLatest,
    SensorSettings,
    SetAside,
    SetAsidePage,
    WriteResult,
)
from roomtemp.errors import RoomtempError, StorageError, StorageUnavailable
from roomtemp.storage.sqlite import (
    aggregates,
    follow,
    migrate_v1,
    quarantine,
    reads,
    rooms,
    schema,
    sensors,
)
from roomtemp.storage.sqlite.catalog import Catalog
from roomtemp.storage.sqlite.codec import CorruptBlock
from roomtemp.storage.sqlite.decoded import DecodedSlots
from roomtemp.storage.sqlite.health import Identity, quick_check
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.housekeeping import Housekeeper
from roomtemp.storage.sqlite.options import EmbeddedOptions
from roomtemp.storage.sqlite.writer import Group, GroupCommitWriter
from roomtemp.storage.sqlite.writes import BlockCache, write_job
from roomtemp.timeparse import Bucket

log = logging.getLogger("roomtemp.storage.sqlite")
T = TypeVar("T")
_CLOSE_WAIT_SECONDS = 30.0
"""How long close waits for reads still running before it leaves their connections open."""


class SqliteStorage:
    """Storage in one SQLite file (`sqlite:///path`)."""

    def __init__(self, path: str | Path, options: EmbeddedOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options if options is not None else EmbeddedOptions()
        self.hot = HotTier()
        self.catalog = Catalog()
        self.identity = Identity(self.path)
        self._blocks: BlockCache = {}
        self.decoded = DecodedSlots(self.options.decoded_cache_bytes)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._reads_done = threading.Condition(self._lock)
        self._reads = 0
        """Reads running in threads now: close waits for them before it closes connections."""
        self._closed = False
        self.housekeeper = Housekeeper(self.hot, self.options, self._catch_up, self._blocks.clear)
        self._writer = GroupCommitWriter(
            self._connect,
            self.hot,
            self._catch_up,
            self._on_write_failure,
            self.housekeeper,
            self.identity.verify,
        )

    async def open(self) -> None:
        """Create or migrate the file, load the hot tier, and start the writer thread."""
        await asyncio.to_thread(self._open_sync)
        self._writer.start()

    def _open_sync(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                if schema.prepare(conn) == 1:
                    migrate_v1.migrate(conn, schema.GAP_MS)
                self.identity.remember()
                self._catch_up(conn)
            finally:
                conn.close()
        except (OSError, sqlite3.Error, CorruptBlock) as exc:
            raise StorageUnavailable(
                f"cannot open SQLite database {self.path}: {exc}; check the path and permissions "
                "of ROOMTEMP_STORAGE"
            ) from exc
        log.info(
            "embedded store %s ready (format %d, %d hot readings)",
            self.path.resolve(), schema.FORMAT, self.hot.readings,
        )  # fmt: skip

    def _connect(self) -> sqlite3.Connection:
        return schema.connect(str(self.path))

    def _catch_up(self, conn: sqlite3.Connection) -> None:
        """Take in other processes' commits: series, log rows, seals (caches follow)."""
        seals_before = self.hot.applied_seal
        touched = follow.catch_up(conn, self.hot)
        follow.load_bounds(conn, self.hot, touched)
        self.catalog.refresh(conn, check_count=True)
        if self.hot.applied_seal != seals_before:
            self._blocks.clear()

    def _on_write_failure(self, exc: BaseException) -> None:
        self.catalog.invalidate()
        if _is_corruption(exc):
            with contextlib.suppress(StorageUnavailable):
                self.identity.fail(f"the database file {self.path} is corrupt ({exc})")

    async def close(self) -> None:
        """Stop the writer, seal everything hot and leave an empty write-ahead log behind."""
        await asyncio.to_thread(self._writer.stop)
        try:
            await asyncio.to_thread(self._seal_on_close)
        except (sqlite3.Error, StorageUnavailable, CorruptBlock) as exc:
            log.warning("embedded store not sealed on close (kept in its log): %s", exc)
        await asyncio.to_thread(self._close_connections)

    def _close_connections(self) -> None:
        """Close every reader's connection once no read is running on one: a read that began
        as the store closed (a request's, or one whose awaiting task was cancelled) would run
        on a connection closed under it, and SQLite's library crashes the process then."""
        with self._lock:
            self._closed = True
            if not self._reads_done.wait_for(lambda: self._reads == 0, _CLOSE_WAIT_SECONDS):
                log.warning("embedded store closed with %d reads still running", self._reads)
                return  # their connections are left to the process's end, never closed under them
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def _seal_on_close(self) -> None:
        self.identity.verify()
        conn = self._connect()
        try:
            self.housekeeper.seal_everything(conn)
        finally:
            conn.close()

    async def check(self) -> None:
        """StorageUnavailable unless the file is the one opened and reads back."""
        await self._read(lambda conn: _check_file(conn, self.path))

    def verify(self) -> str:
        """SQLite's check of every page (slow on big stores: for start-up and tools)."""
        conn = self._connect()
        try:
            return quick_check(conn)
        finally:
            conn.close()

    # -- writes -------------------------------------------------------------------------------

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        if not readings:
            return WriteResult(0, 0)
        job = write_job(readings, self.catalog, self.hot, self._blocks, schema.GAP_MS)
        result: WriteResult = await self._submit(job)
        return result

    async def put_room(self, meta: RoomMeta) -> bool:
        result: bool = await self._submit(lambda group: rooms.put_room(group.conn, meta))
        return result

    async def put_sensor(self, room_id: str, settings: SensorSettings) -> bool:
        job = functools.partial(sensors.put_sensor, room_id=room_id, settings=settings)
        result: bool = await self._submit(lambda group: job(group.conn))
        return result

    async def set_aside(self, readings: Sequence[SetAside]) -> None:
        await self._submit(lambda group: quarantine.set_aside(group.conn, readings))

    async def set_aside_readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> SetAsidePage:
        span = (start_ms, end_ms)
        return await self._read(lambda conn: quarantine.page(conn, room_id, span, after, limit))

    async def sensor_settings(
        self, room_ids: Sequence[str] | None = None
    ) -> dict[str, list[SensorSettings]]:
        return await self._read(lambda conn: sensors.settings(conn, room_ids))

    async def delete_room(self, room_id: str) -> bool:
        def job(group: Group) -> bool:
            gone = [sid for _, sid in self.catalog.rooms.get(room_id, [])]
            group.after_commit.append(lambda: self._forget(gone))
            return rooms.delete_room(group.conn, room_id, gone)

        result: bool = await self._submit(job)
        return result

    def _forget(self, series: list[int]) -> None:
        with self.hot.lock:
            self.hot.forget_series(series)
            self.hot.epoch += 1
        self.catalog.invalidate()
        self._blocks.clear()

    # -- reads --------------------------------------------------------------------------------

    async def get_room(self, room_id: str) -> RoomMeta | None:
        return await self._read(lambda conn: reads.room(conn, room_id))

    async def list_rooms(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[RoomMeta]:
        return await self._read(lambda conn: reads.rooms(conn, after, limit))

    async def read_rooms(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        keep: Callable[[RoomMeta], bool] | None = None,
    ) -> RoomsRead:
        """The list, the kept rooms' newest readings and their settings in one snapshot and
        one thread hop (`keep` runs in that thread)."""

        def query(conn: sqlite3.Connection) -> RoomsRead:
            listed = reads.rooms(conn, after, limit)
            kept = listed if keep is None else [meta for meta in listed if keep(meta)]
            room_ids = [meta.room_id for meta in kept]
            latest = reads.latest(self.catalog, self.hot, room_ids) if room_ids else {}
            settings = sensors.settings(conn, room_ids) if room_ids else {}
            return RoomsRead(listed, kept, latest, settings)

        return await self._read(query)

    async def latest(self, room_ids: Sequence[str] | None = None) -> dict[str, list[SensorLatest]]:
        return await self._read(lambda conn: reads.latest(self.catalog, self.hot, room_ids))

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
            series = self.catalog.rooms.get(room_id, [])
            if sensor_id is not None:
                series = [pair for pair in series if pair[0] == sensor_id]
            span = (start_ms, end_ms)
            page = reads.readings_page(conn, self.hot, series, room_id, span, after, limit)
            return sensors.with_raw(conn, page, series)

        return await self._read(query)

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> dict[str, Sequence[Aggregate]]:
        if not buckets:
            return {}
        hot, catalog = self.hot, self.catalog
        if len(buckets) == 1 and len(room_ids) > 1:
            return await self._read(
                lambda conn: aggregates.per_room_summaries(conn, hot, catalog, room_ids, buckets[0])
            )
        stale_ms = self.options.stale_after_ms
        return await self._read(
            lambda conn: aggregates.room_buckets(
                conn, hot, self.decoded, catalog, room_ids, buckets, stale_ms
            )
        )

    async def plain_aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> dict[str, Sequence[Aggregate]]:
        if not buckets or not room_ids:
            return {}
        hot, catalog = self.hot, self.catalog
        found = await self._read(
            lambda conn: aggregates.plain_buckets(conn, hot, catalog, room_ids, buckets)
        )
        return await self.aggregate(room_ids, buckets) if found is None else found

    # -- plumbing -----------------------------------------------------------------------------

    async def _submit(self, job: Callable[[Group], T]) -> T:
        try:
            result: T = await self._writer.submit(job)
        except (sqlite3.Error, CorruptBlock) as exc:
            raise self._mapped(exc) from exc
        return result

    async def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await asyncio.to_thread(self._consistent_read, query)
        except (sqlite3.Error, CorruptBlock) as exc:
            raise self._mapped(exc) from exc

    def _consistent_read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run `query` on one SQLite snapshot and a hot tier equal to it: the hot tier's lock is
        held from before the snapshot is taken (no commit after it reaches the hot tier while
        the query runs), and the hot tier catches up to the snapshot first."""
        with self._lock:
            if self._closed:
                raise StorageUnavailable("the embedded store is closed (the server is stopping)")
            self._reads += 1
        try:
            return self._snapshot_read(query)
        finally:
            with self._lock:
                self._reads -= 1
                if not self._reads:
                    self._reads_done.notify_all()

    def _snapshot_read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        self.identity.verify()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn, self._local.version = conn, -1
            with self._lock:
                self._connections.append(conn)
        version = conn.execute("PRAGMA data_version").fetchone()[0]  # before the snapshot
        with self.hot.lock:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
                if version != self._local.version:
                    self._catch_up(conn)
                result = query(conn)
            finally:
                conn.execute("COMMIT")
        self._local.version = version
        return result

    def _mapped(self, exc: sqlite3.Error | CorruptBlock) -> RoomtempError:
        if _is_corruption(exc):
            self.identity.fail(f"the database file {self.path} is corrupt ({exc})")
        if isinstance(exc, sqlite3.OperationalError):
            return StorageUnavailable(f"SQLite is unavailable: {exc}", retry_after_seconds=1)
        return StorageError(f"SQLite failed: {exc}")


def _is_corruption(exc: BaseException) -> bool:
    if isinstance(exc, CorruptBlock):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    )


def _check_file(conn: sqlite3.Connection, path: Path) -> None:
    """A read answers, and so does a fresh connection, which reads the file's header and
    first page from disk. (Never open the file by other means: closing any descriptor of it
    drops every POSIX lock this process holds on it, and with them SQLite's locking.)"""
    conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    fresh = schema.connect(str(path))
    try:
        fresh.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    finally:
        fresh.close()
