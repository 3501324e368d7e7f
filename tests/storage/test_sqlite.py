"""What only the SQLite backend promises: group commit, isolation of failing jobs, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from roomtemp.domain import Comfort, Reading, RoomMeta, SensorSettings
from roomtemp.errors import ConfigurationError, ConflictingReading, StorageUnavailable
from roomtemp.storage import open_storage
from roomtemp.storage.sqlite import SqliteStorage
from roomtemp.storage.sqlite.schema import FORMAT
from tests.support import eventually

pytestmark = pytest.mark.anyio
T0 = 1_709_251_200_000


async def test_concurrent_writes_share_commits_and_a_conflict_fails_alone(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "db.sqlite3")
    await storage.open()
    try:
        await storage.write([Reading("lab", None, T0, 20.0)])
        commits_before = storage._writer.commits
        batches = [[Reading(f"r{i}", None, T0 + i, float(i))] for i in range(60)]
        conflicting = [Reading("lab", None, T0 + 1, 1.0), Reading("lab", None, T0, 25.0)]
        results = await asyncio.gather(
            *(storage.write(b) for b in batches),
            storage.write(conflicting),
            return_exceptions=True,
        )
        assert isinstance(results[-1], ConflictingReading)
        assert all(r.accepted == 1 for r in results[:-1])  # type: ignore[union-attr]
        assert storage._writer.commits - commits_before < 30
        assert len(await storage.list_rooms()) == 61
        page = await storage.readings("lab", T0, T0 + 10)
        assert [(r.timestamp_ms, r.value) for r in page.readings] == [(T0, 20.0)]
    finally:
        await storage.close()


async def test_schema_version_is_recorded_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    storage = await open_storage(f"sqlite:///{path}")
    await storage.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == FORMAT
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {FORMAT + 1}")
    with pytest.raises(StorageUnavailable, match="newer than this roomtemp knows"):
        await open_storage(f"sqlite:///{path}")


async def test_unwritable_location_says_how_to_fix_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageUnavailable, match="ROOMTEMP_STORAGE"):
        await open_storage(f"sqlite:///{blocker}/db.sqlite3")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "postgres://db/x", "data.sqlite3"])
async def test_bad_storage_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="sqlite:///"):
        await open_storage(url)


def test_a_readers_reload_during_a_write_does_not_lose_the_new_series(tmp_path: Path) -> None:
    """A reader reloads the series map from its own connection, which cannot see the writer's
    uncommitted new series; ensure() must still answer every id it was asked for (CI once saw
    KeyError('living', '') from an MQTT write racing a read)."""
    from roomtemp.storage.sqlite import schema
    from roomtemp.storage.sqlite.catalog import Catalog

    path = str(tmp_path / "db.sqlite3")
    writer, reader = schema.connect(path), schema.connect(path)
    schema.prepare(writer)
    catalog = Catalog()
    catalog.refresh(writer)

    class Interleaved:
        """The writer's connection; right after a series row is read back, a reader reloads."""

        def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
            cursor = writer.execute(sql, params)
            if sql.startswith("SELECT series_id FROM series WHERE"):
                catalog.invalidate()
                catalog.refresh(reader)
            return cursor

    writer.execute("BEGIN IMMEDIATE")
    ids = catalog.ensure(Interleaved(), {("living", ""), ("living", "door")})  # type: ignore[arg-type]
    writer.execute("COMMIT")
    stored = dict(writer.execute("SELECT room_id || '/' || sensor_id, series_id FROM series"))
    assert ids == {("living", ""): stored["living/"], ("living", "door"): stored["living/door"]}
    catalog.refresh(reader, check_count=True)
    assert catalog.ids == ids


async def test_an_offset_set_inside_a_group_calibrates_the_later_writes_of_it(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "db.sqlite3")
    await storage.open()
    try:
        gate = threading.Event()
        held = asyncio.ensure_future(storage._submit(lambda group: gate.wait(30)))
        # queued behind the held job: one group, the offset set between the two writes
        jobs = [
            asyncio.ensure_future(storage.write([Reading("lab", "door", T0, 20.0)])),
            asyncio.ensure_future(storage.put_sensor("lab", SensorSettings("door", 0.5))),
            asyncio.ensure_future(storage.write([Reading("lab", "door", T0 + 1, 20.0)])),
        ]
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(held, *jobs)
        page = await storage.readings("lab", T0, T0 + 10, sensor_id="door")
        assert [(r.timestamp_ms, r.value) for r in page.readings] == [(T0, 20.0), (T0 + 1, 20.5)]
    finally:
        await storage.close()


async def test_room_metadata_reads_back_whatever_its_labels_hold(tmp_path: Path) -> None:
    """Labels are read with orjson where it can (most rooms), with json where only it can (a
    lone surrogate, which Python's JSON parser gives for a `\\ud800` escape); rooms of one
    band share one Comfort."""
    storage = await open_storage(f"sqlite:///{tmp_path / 'labels.sqlite3'}")
    try:
        metas = [
            RoomMeta("a", labels={"wing": "east", "note": "\u00e9\U0001f321"}),
            RoomMeta("b", labels={"odd": "\ud800"}, comfort=Comfort(19.0, 24.0)),
            RoomMeta("c", name="C", comfort=Comfort(19.0, 24.0)),
            RoomMeta("d"),
        ]
        for meta in metas:
            await storage.put_room(meta)
        listed = await storage.list_rooms()
        assert listed == metas
        assert [await storage.get_room(m.room_id) for m in metas] == metas
        assert listed[1].comfort is listed[2].comfort
        listed[0].labels["wing"] = "changed"  # answers share no mutable state
        assert (await storage.list_rooms())[0].labels["wing"] == "east"
    finally:
        await storage.close()


class PausedReads(SqliteStorage):
    """The embedded store whose next statement after `pause.set()`, in a thread other than
    the writer's, waits inside SQLite until `resume` is set (a read caught mid-statement)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.pause, self.paused, self.resume = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.set_progress_handler(self._maybe_wait, 1)
        return conn

    def _maybe_wait(self) -> int:
        if self.pause.is_set() and threading.current_thread().name != "roomtemp-sqlite-writer":
            self.pause.clear()
            self.paused.set()
            self.resume.wait(30)
        return 0


async def test_close_waits_for_a_read_running_on_a_connection_and_refuses_later_ones(
    tmp_path: Path,
) -> None:
    """A read still inside SQLite when the store closes (a request's, or one whose awaiting task
    was cancelled) finishes before its connection is closed: closing it under the read crashed
    the process (CI saw a segmentation fault in a test's teardown). Reads after close fail."""
    storage = PausedReads(tmp_path / "db.sqlite3")
    await storage.open()
    await storage.write([Reading("lab", None, T0, 20.0)])
    storage.pause.set()
    reading = asyncio.ensure_future(storage.list_rooms())
    assert await asyncio.to_thread(storage.paused.wait, 30)
    closing = asyncio.ensure_future(storage.close())
    await eventually(lambda: storage._closed, "close stopped new reads")  # and waits for this one
    await asyncio.sleep(0.2)
    assert not closing.done()
    storage.resume.set()
    assert [meta.room_id for meta in await reading] == ["lab"]
    await closing
    with pytest.raises(StorageUnavailable, match="closed"):
        await storage.list_rooms()
