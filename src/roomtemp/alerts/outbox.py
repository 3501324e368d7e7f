"""The durable outbox: what receivers are still to be told, and which alerts they were told fire.

One SQLite file (WAL, synchronous=FULL): an evaluation's changes (alerts that started firing or
resolved) are recorded with one queued row per receiver in a single transaction, and a row is
deleted only after its receiver took it. A kill -9 at any point loses nothing: what was recorded
is delivered after the restart (perhaps twice: delivery is at least once), and an alert that
resolved while the process was down is found resolved at the first evaluation.

Several worker processes may share the file; only the one holding its lock (see `OutboxLock`)
writes to it or delivers from it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from roomtemp.alerts.notice import Notice

SCHEMA = """
CREATE TABLE IF NOT EXISTS told_firing (
    key TEXT PRIMARY KEY,
    notice TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queued (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver TEXT NOT NULL,
    notice TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queued_receiver ON queued (receiver, id);
"""


@dataclass(frozen=True)
class Queued:
    """A notice waiting for one receiver, and how often its delivery failed so far."""

    id: int
    receiver: str
    notice: Notice
    attempts: int


class Outbox:
    """Notices to deliver and the alerts told as firing, kept in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        """One connection serves every thread (each receiver's delivery loop hands its work to
        a thread of its own): every use of it holds this, a transaction from BEGIN to COMMIT
        (two at once on one connection fail, or commit each other's half)."""

    def open(self, receivers: Iterable[str]) -> int:
        """Create the file if needed; drop rows of receivers no longer configured (returning
        how many), so that a removed webhook does not keep notices forever."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.executescript(SCHEMA)
        self._conn = conn
        names = json.dumps(sorted(receivers))
        with self._transaction() as db:
            dropped = db.execute(
                "DELETE FROM queued WHERE receiver NOT IN (SELECT value FROM json_each(?))",
                (names,),
            ).rowcount
        return int(dropped)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def told_firing(self) -> dict[str, Notice]:
        """The alerts receivers were told fire (and not yet told resolved), by key."""
        with self._lock:
            rows = self._db().execute("SELECT key, notice FROM told_firing").fetchall()
        return {key: _notice(text) for key, text in rows}

    def record(
        self, started: Sequence[Notice], resolved: Sequence[Notice], receivers: Sequence[str]
    ) -> None:
        """Remember what changed and queue it for every receiver, all in one transaction."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO told_firing VALUES (?, ?)",
                [(n.key, _text(n)) for n in started],
            )
            db.executemany("DELETE FROM told_firing WHERE key = ?", [(n.key,) for n in resolved])
            db.executemany(
                "INSERT INTO queued (receiver, notice) VALUES (?, ?)",
                [(r, _text(n)) for n in [*started, *resolved] for r in receivers],
            )

    def head(self, receiver: str, limit: int) -> list[Queued]:
        """The oldest notices queued for a receiver, in the order they were recorded."""
        query = "SELECT id, notice, attempts FROM queued WHERE receiver = ? ORDER BY id LIMIT ?"
        with self._lock:
            rows = self._db().execute(query, (receiver, limit)).fetchall()
        return [
            Queued(row_id, receiver, _notice(text), attempts) for row_id, text, attempts in rows
        ]

    def delivered(self, ids: Sequence[int]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM queued WHERE id = ?", [(i,) for i in ids])

    def failed(self, ids: Sequence[int]) -> None:
        with self._transaction() as db:
            db.executemany(
                "UPDATE queued SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids]
            )

    def depth(self) -> int:
        """How many notices wait, over every receiver."""
        with self._lock:
            return int(self._db().execute("SELECT count(*) FROM queued").fetchone()[0])

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the outbox is not open")
        return self._conn

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db(), self._lock)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on an exception, holding the connection's lock."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn, self.lock = conn, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.lock.release()


class OutboxLock:
    """An exclusive lock on a file next to the outbox: one process of a host sends. The kernel
    releases it when the process dies, however it dies."""

    def __init__(self, outbox_path: str | Path) -> None:
        self.path = Path(f"{outbox_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free (never waits); True while this process holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _text(notice: Notice) -> str:
    return json.dumps(asdict(notice), sort_keys=True)


def _notice(text: str) -> Notice:
    return Notice(**json.loads(text))
