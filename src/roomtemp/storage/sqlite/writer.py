"""Group commit: one writer thread runs every pending write job in one SQLite transaction.

The thread takes every queued job (up to 256), checks that the file is still the one opened
(once per group, and here rather than on the event loop, where the stat waited for this thread
to give up the GIL: that wait cost more than the rest of a one-reading write), opens BEGIN
IMMEDIATE (SQLite's write lock, which also serialises writer processes), catches up with what
other processes committed, runs each job in its own SAVEPOINT (a job that fails, say on a
conflicting reading, is undone alone), appends ONE log row with the new readings of the whole
group, commits, and only then resolves the jobs' futures (one wake-up of the event loop for the
whole group): an acknowledgement means the data is on disk (synchronous=FULL). Jobs read small
tables through `Group.read`, once per group while no row changes. Between groups, and every
half second when idle, it runs the store's housekeeping (bounded seal rounds, retention); once
idle after work, at most every 10 seconds (`release_every`), it gives the memory the process freed
back to the system (what the hot tier's merges and seals freed, otherwise kept by the allocator).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from roomtemp.storage import memory
from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite import logrows
from roomtemp.storage.sqlite.hot import HotTier, Run, sorted_run
from roomtemp.storage.sqlite.keys import split_keys

log = logging.getLogger("roomtemp.storage.sqlite")

T = TypeVar("T")
_MAX_JOBS_PER_COMMIT = 256
_IDLE_SECONDS = 0.5
_RELEASE_EVERY_SECONDS = 10.0


@dataclass
class Group:
    """The state one group transaction shares between its jobs."""

    conn: sqlite3.Connection
    keys: list[I64] = field(default_factory=list)
    values: list[F64] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    reads: dict[Callable[[sqlite3.Connection], Any], tuple[int, Any]] = field(default_factory=dict)

    def read(self, load: Callable[[sqlite3.Connection], T]) -> T:
        """`load(conn)`, read again only once a row has changed in this transaction since (any
        INSERT, UPDATE or DELETE counts; a job undone clears every read): one read of a small
        table (the sensors' offsets) serves every job of a group of plain writes."""
        changes = self.conn.total_changes
        kept = self.reads.get(load)
        if kept is not None and kept[0] == changes:
            value: T = kept[1]
            return value
        value = load(self.conn)
        self.reads[load] = (changes, value)
        return value

    def pending(self) -> list[Run]:
        """Readings earlier jobs of this group added, as runs (for duplicate lookups)."""
        return [
            Run(k, v, np.zeros(k.shape[0], np.int64))
            for k, v in zip(self.keys, self.values, strict=True)
        ]


Job = Callable[[Group], Any]


@dataclass
class _Pending:
    job: Job
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class GroupCommitWriter:
    """Serialises write jobs onto one connection and commits them in groups."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        hot: HotTier,
        catch_up: Callable[[sqlite3.Connection], None],
        on_failure: Callable[[BaseException], None],
        housekeeping: Callable[[sqlite3.Connection], bool],
        check: Callable[[], None],
    ) -> None:
        self._connect = connect
        self._check = check
        self._hot = hot
        self._catch_up = catch_up
        self._on_failure = on_failure
        self._housekeeping = housekeeping
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="roomtemp-sqlite-writer", daemon=True
        )
        self.commits = 0
        self.release_rounds = 0
        self.release_every = _RELEASE_EVERY_SECONDS
        self._released_at = (-1, -1, -_RELEASE_EVERY_SECONDS)  # (high water, seal, when)

    def start(self) -> None:
        self._thread.start()

    async def submit(self, job: Job) -> Any:
        """Run `job(group)` in the next group transaction; its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Pending(job, loop, future))
        return await future

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        conn = self._connect()
        busy = False
        try:
            while True:
                try:
                    first = self._queue.get(timeout=0 if busy else _IDLE_SECONDS)
                except queue.Empty:
                    busy = self._tidy(conn)
                    if not busy:
                        self._release_memory()
                    continue
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
                busy = self._tidy(conn)
        finally:
            conn.close()

    def _tidy(self, conn: sqlite3.Connection) -> bool:
        """One bounded round of housekeeping; True when more is due at once."""
        try:
            return self._housekeeping(conn)
        except Exception as exc:  # retried next round; reported, never silent
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.error("embedded store housekeeping failed (retried): %s", exc)
            self._on_failure(exc)
            return False

    def _release_memory(self) -> None:
        """Return freed memory to the system when work was done since the last time and the
        last time was long enough ago (an idle store costs nothing)."""
        high_water, seal, when = self._released_at
        now = time.monotonic()
        work = (self._hot.high_water, self._hot.applied_seal)  # any log row or seal since
        if work == (high_water, seal) or now - when < self.release_every:
            return
        self._released_at = (*work, now)
        memory.release_free_memory()
        self.release_rounds += 1

    def _commit_group(self, conn: sqlite3.Connection, jobs: list[_Pending]) -> None:
        group = Group(conn)
        outcomes: list[tuple[_Pending, bool, Any]] = []
        try:
            self._check()
            conn.execute("BEGIN IMMEDIATE")
            self._catch_up(conn)
            outcomes = [_run_job(group, pending, self._on_failure) for pending in jobs]
            run, batch_id = self._append_log(conn, group)
            conn.execute("COMMIT")
            self.commits += 1
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._on_failure(exc)
            _resolve([(pending, False, exc) for pending in jobs])
            return
        if run is not None:
            self._hot.add(batch_id, run)
        for hook in group.after_commit:
            hook()
        _resolve(outcomes)

    @staticmethod
    def _append_log(conn: sqlite3.Connection, group: Group) -> tuple[Run | None, int]:
        if not group.keys:
            return None, 0
        keys, values = np.concatenate(group.keys), np.concatenate(group.values)
        run = sorted_run(keys, values, np.zeros(keys.shape[0], np.int64))
        cursor = conn.execute(
            "INSERT INTO log (max_ts, payload) VALUES (?, ?)",
            (int(split_keys(run.keys)[1].max()), logrows.encode(run.keys, run.values)),
        )
        batch_id = int(cursor.lastrowid or 0)
        return Run(run.keys, run.values, np.full(len(run), batch_id, np.int64)), batch_id


def _run_job(
    group: Group, pending: _Pending, on_failure: Callable[[BaseException], None]
) -> tuple[_Pending, bool, Any]:
    conn = group.conn
    conn.execute("SAVEPOINT job")
    marks = (len(group.keys), len(group.after_commit))
    try:
        result = pending.job(group)
    except sqlite3.OperationalError:
        raise
    except Exception as exc:  # the job's own failure: undo it alone, keep the group going
        conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
        del group.keys[marks[0] :], group.values[marks[0] :], group.after_commit[marks[1] :]
        group.reads.clear()
        on_failure(exc)  # caches may hold what the savepoint undid (new series ids)
        return pending, False, exc
    conn.execute("RELEASE job")
    return pending, True, result


def _resolve(outcomes: list[tuple[_Pending, bool, Any]]) -> None:
    """Settle the jobs' futures, with one wake-up of each event loop for the whole group."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, bool, Any]]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, settled in by_loop.items():
        loop.call_soon_threadsafe(_settle, settled)


def _settle(outcomes: list[tuple[_Pending, bool, Any]]) -> None:
    for pending, ok, value in outcomes:
        if pending.future.done():
            continue
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)
