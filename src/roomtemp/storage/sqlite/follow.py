"""Keeping a process's hot tier equal to the log: catch up with what others committed, or reload.

Log rows are added by batch id and seals replayed by seal id, both idempotently, so any thread
may catch up at any time. A process reloads everything when the store's `epoch` moved (a room
was deleted) or when seals it has not applied were already pruned.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from roomtemp.storage.rollups.records import I64
from roomtemp.storage.sqlite import logrows, schema
from roomtemp.storage.sqlite.hot import HotTier

SealRow = tuple[int, int, bytes]


def catch_up(conn: sqlite3.Connection, hot: HotTier) -> list[int]:
    """Take in new log rows and seals (in one read transaction unless the caller holds one);
    returns the series whose sealed bounds may have moved."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        if schema.meta_value(conn, "epoch") != hot.epoch:
            return reload(conn, hot)
        seals: list[SealRow] = []
        if _sequence(conn, "seals") > hot.applied_seal:
            seals = conn.execute(
                "SELECT seal_id, max_batch, pairs FROM seals WHERE seal_id > ? ORDER BY seal_id",
                (hot.applied_seal,),
            ).fetchall()
            if not seals or seals[0][0] != hot.applied_seal + 1:
                return reload(conn, hot)  # seals we never saw are gone: start again
        rows = conn.execute(
            "SELECT batch_id, payload FROM log WHERE batch_id > ? ORDER BY batch_id",
            (hot.high_water,),
        ).fetchall()
    finally:
        if own:
            conn.execute("COMMIT")
    with hot.lock:
        for batch_id, payload in rows:
            hot.add(batch_id, logrows.decode(batch_id, payload))
        return apply_seals(hot, seals)


def apply_seals(hot: HotTier, seals: list[SealRow]) -> list[int]:
    """Replay seals (in order) on the hot tier; returns the series they touched."""
    fresh = [seal for seal in seals if seal[0] > hot.applied_seal]
    if not fresh:
        return []
    pairs, max_batches = _combined(fresh)
    hot.remove_pairs(pairs, max_batches)
    hot.applied_seal = fresh[-1][0]
    return sorted(set((pairs >> 32).tolist()))


def reload(conn: sqlite3.Connection, hot: HotTier) -> list[int]:
    """Rebuild the hot tier from the whole log and every kept seal (inside a read transaction)."""
    epoch = schema.meta_value(conn, "epoch")
    rows = conn.execute("SELECT batch_id, payload FROM log ORDER BY batch_id").fetchall()
    seals = conn.execute("SELECT seal_id, max_batch, pairs FROM seals ORDER BY seal_id").fetchall()
    runs = [logrows.decode(batch_id, payload) for batch_id, payload in rows]
    with hot.lock:
        hot.reset(runs, _sequence(conn, "log"), 0, epoch)
        apply_seals(hot, seals)
        hot.applied_seal = _sequence(conn, "seals")  # pruned seals touch no remaining log row
        _load_sealed_bounds(conn, hot)
    return []


def _sequence(conn: sqlite3.Connection, table: str) -> int:
    """The highest id a table has ever given out (AUTOINCREMENT)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    return int(row[0]) if row else 0


def load_bounds(conn: sqlite3.Connection, hot: HotTier, series: list[int]) -> None:
    """Raise bounds and latest readings from the newest sealed readings of these series."""
    for first in range(0, len(series), 500):
        chunk = series[first : first + 500]
        rows = conn.execute(
            "SELECT series_id, last_ts, last_value FROM series WHERE last_ts IS NOT NULL "
            f"AND series_id IN {schema.placeholders(len(chunk))} ORDER BY series_id",
            chunk,
        ).fetchall()
        _note(hot, rows)


def _load_sealed_bounds(conn: sqlite3.Connection, hot: HotTier) -> None:
    rows = conn.execute(
        "SELECT series_id, last_ts, last_value FROM series WHERE last_ts IS NOT NULL "
        "ORDER BY series_id"
    ).fetchall()
    _note(hot, rows)


def _note(hot: HotTier, rows: list[tuple[int, int, float]]) -> None:
    if rows:
        sid, ts, value = (np.array(column) for column in zip(*rows, strict=True))
        hot.note_stored(sid.astype(np.int64), ts.astype(np.int64), value.astype(np.float64))


def _combined(seals: list[SealRow]) -> tuple[I64, I64]:
    """Every sealed pair once (sorted), with the newest batch any seal of it covered."""
    pairs = np.concatenate([np.frombuffer(blob, np.int64) for _, _, blob in seals])
    batches = np.concatenate(
        [np.full(len(blob) // 8, max_batch, np.int64) for _, max_batch, blob in seals]
    )
    order = np.lexsort((batches, pairs))
    pairs, batches = pairs[order], batches[order]
    last = np.flatnonzero(np.diff(pairs, append=pairs[-1] + 1))
    return pairs[last], batches[last]
