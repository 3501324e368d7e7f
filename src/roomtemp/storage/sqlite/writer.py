"""Group commit for SQLite: one writer thread runs every pending write job in one transaction.

Each job runs inside its own SAVEPOINT, so a job that fails (a conflicting reading, say) is rolled
back alone while the others commit. A job's future resolves only after COMMIT returned, so an
acknowledgement always means the data is on disk.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("roomtemp.storage.sqlite")

Job = Callable[[sqlite3.Connection], Any]

_MAX_JOBS_PER_COMMIT = 256


@dataclass
class _Pending:
    job: Job
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    on_rollback: Callable[[], None] | None


class GroupCommitWriter:
    """Serialises write jobs onto one connection and commits them in groups."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], on_commit_failure: Callable[[], None]
    ) -> None:
        self._connect = connect
        self._on_commit_failure = on_commit_failure
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="roomtemp-sqlite-writer", daemon=True
        )
        self._started = False
        self.commits = 0

    def start(self) -> None:
        self._thread.start()
        self._started = True

    async def submit(self, job: Job, on_rollback: Callable[[], None] | None = None) -> Any:
        """Run `job(conn)` in the next group transaction and return its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Pending(job, loop, future, on_rollback))
        return await future

    def stop(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join()
            self._started = False

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                group = [first]
                while len(group) < _MAX_JOBS_PER_COMMIT:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._queue.put(None)
                        break
                    group.append(nxt)
                self._commit_group(conn, group)
        finally:
            conn.close()

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Pending]) -> None:
        outcomes: list[tuple[_Pending, bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for pending in group:
                outcomes.append(self._run_job(conn, pending))
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._on_commit_failure()
            for pending in group:
                _resolve(pending, False, exc)
            return
        for pending, ok, value in outcomes:
            _resolve(pending, ok, value)

    @staticmethod
    def _run_job(conn: sqlite3.Connection, pending: _Pending) -> tuple[_Pending, bool, Any]:
        conn.execute("SAVEPOINT job")
        try:
            result = pending.job(conn)
        except sqlite3.OperationalError:
            raise
        except Exception as exc:  # the job's own failure: undo it alone, keep the group going
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            if pending.on_rollback is not None:
                pending.on_rollback()
            return pending, False, exc
        conn.execute("RELEASE job")
        return pending, True, result


def _resolve(pending: _Pending, ok: bool, value: Any) -> None:
    def settle() -> None:
        if pending.future.done():
            return
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)

    pending.loop.call_soon_threadsafe(settle)


class Checkpointer:
    """Copies the write-ahead log into the database from its own thread, every `interval` seconds.

    The writer's connection runs with automatic checkpoints off, so no request waits for a
    checkpoint; PASSIVE never blocks the writer or readers. On stop, a final TRUNCATE leaves an
    empty log behind.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], interval: float = 0.5) -> None:
        self._connect = connect
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="roomtemp-sqlite-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()

    def _run(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(self._interval):
                self._checkpoint(conn, "PASSIVE")
            self._checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection, mode: str) -> None:
        try:
            conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        except sqlite3.Error as exc:  # busy or I/O trouble: the next round tries again
            log.warning("SQLite checkpoint (%s) failed: %s", mode, exc)
