"""What the writer thread does between groups: bounded seal rounds, retention, tidying up.

Each round is one transaction holding SQLite's write lock briefly: it catches up with other
processes, seals at most `seal_round` due (series, day) pairs, commits, and only then forgets
them from this process's hot tier.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import numpy as np

from roomtemp.storage.rollups.records import I64
from roomtemp.storage.sqlite import retention, schema, sealer
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.options import EmbeddedOptions
from roomtemp.timeparse import MS_PER_DAY

log = logging.getLogger("roomtemp.storage.sqlite")


class Housekeeper:
    """Decides when to seal and expire, and does it on the connection it is handed."""

    def __init__(
        self,
        hot: HotTier,
        options: EmbeddedOptions,
        catch_up: Callable[[sqlite3.Connection], None],
        on_sealed: Callable[[], None],
    ) -> None:
        self.hot, self.options = hot, options
        self._catch_up, self._on_sealed = catch_up, on_sealed
        self._next_seal = 0
        self._next_retention = 0
        self._due: tuple[I64, I64] | None = None
        self.seal_rounds = 0

    def __call__(self, conn: sqlite3.Connection) -> bool:
        """At most one bounded round of work; True when more is due right away."""
        now = self.options.clock()
        if self._due is None and now >= self._next_seal:
            # what is due now, sealed over the next rounds; readings arriving meanwhile wait
            # for the next list, so a day being backfilled is re-encoded at most once a second
            self._next_seal = now + self.options.seal_every_ms
            cut = (now - self.options.seal_after_ms) // MS_PER_DAY * MS_PER_DAY
            self._list_due(cut)
        if self._due is not None:
            self.seal_round(conn)
        if now >= self._next_retention:
            self._next_retention = now + self.options.retention_every_ms
            self.expire(conn, now)
        return self._due is not None

    def _list_due(self, cut_ms: int, settle_seconds: float | None = None) -> None:
        oldest = self.hot.ts_min()
        if oldest is not None and oldest < cut_ms:
            settle = self.options.settle_seconds if settle_seconds is None else settle_seconds
            pairs, counts = self.hot.due_pairs(cut_ms, self.hot.settled(settle))
            self._due = (pairs, counts) if pairs.shape[0] else None

    def seal_round(self, conn: sqlite3.Connection) -> None:
        """Seal the next pairs of the due list, up to `seal_round` readings (one pair at least)."""
        assert self._due is not None
        pairs, counts = self._due
        take = max(1, int(np.searchsorted(np.cumsum(counts), self.options.seal_round, "right")))
        self._due = (pairs[take:], counts[take:]) if take < pairs.shape[0] else None
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._catch_up(conn)
            done = sealer.seal(conn, self.hot, pairs[:take], schema.GAP_MS)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._due = None
            raise
        with self.hot.lock:
            self.hot.remove_pairs(done.pairs, np.full(done.pairs.shape[0], done.max_batch))
            self.hot.applied_seal = max(self.hot.applied_seal, done.seal_id)
        self.seal_rounds += 1
        self._on_sealed()

    def seal_everything(self, conn: sqlite3.Connection) -> None:
        """A clean stop: every hot reading sealed (a partial day is merged again later), the
        log and the write-ahead log emptied, freed pages returned to the file system."""
        self._list_due(schema.day_start(schema.INDEX_OFFSET * 2), settle_seconds=0)
        while self._due is not None:
            self.seal_round(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.executescript("PRAGMA incremental_vacuum;")  # execute() frees one page only
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def expire(self, conn: sqlite3.Connection, now: int) -> None:
        """One bounded retention round for each tier that has a retention (a full round of
        raw blocks brings the next one forward)."""
        raw, rollups = self.options.retention_raw_ms, self.options.retention_rollups_ms
        for limit, step in ((raw, retention.expire_raw), (rollups, retention.expire_rollups)):
            if limit is None:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                count = step(conn, now - limit)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if count:
                self._on_sealed()
                log.info("retention: %d rows of the embedded store expired", count)
            if step is retention.expire_raw and count >= retention.ROUND:
                self._next_retention = now
        conn.executescript("PRAGMA incremental_vacuum;")  # execute() frees one page only
