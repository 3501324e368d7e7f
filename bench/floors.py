"""Floors: the least the machine and the storage layer need for the same work, without HTTP."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from roomtemp.domain import Reading
from roomtemp.storage.sqlite import EmbeddedOptions, SqliteStorage
from workloads import Row


def fsync_ms(folder: Path, runs: int = 200) -> float:
    """Median time of writing 4 KB and fsyncing it: the floor of any durable commit."""
    found = []
    with tempfile.NamedTemporaryFile(dir=folder) as file:
        for _ in range(runs):
            started = time.perf_counter()
            file.write(b"x" * 4096)
            file.flush()
            os.fsync(file.fileno())
            found.append((time.perf_counter() - started) * 1000)
    return sorted(found)[runs // 2]


def sqlite_commits_per_second(folder: Path, count: int = 2000) -> float:
    """Transactions/s of one small row each (WAL, synchronous=FULL)."""
    conn = sqlite3.connect(folder / "commits.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v REAL)")
    started = time.perf_counter()
    for index in range(count):
        conn.execute("INSERT INTO t VALUES (?, 20.0)", (index,))
    seconds = time.perf_counter() - started
    conn.close()
    return count / seconds


def storage_ingest(folder: Path, rows: list[Row], size: int) -> float:
    """Readings/s of the embedded store's write() alone (no HTTP, no validation), sequential
    batches of `size`, each acknowledged after its fsync; sealing included."""

    async def measure() -> float:
        storage = SqliteStorage(folder / "storage-floor.sqlite3", EmbeddedOptions())
        await storage.open()
        batches = [
            [Reading(room, None, ts, value) for room, ts, value in rows[i : i + size]]
            for i in range(0, len(rows), size)
        ]
        try:
            started = time.perf_counter()
            for batch in batches:
                await storage.write(batch)
            return len(rows) / (time.perf_counter() - started)
        finally:
            await storage.close()

    return asyncio.run(measure())


def file_bytes(database: Path) -> int:
    """The store's data: the database file and its write-ahead log (the -shm file is an index
    of the log in shared memory, rebuilt on open, not data)."""
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
