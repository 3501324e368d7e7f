"""Format 1 (one row per reading, hourly rollup rows) to the current format, in place, on open.

Series by series, each in its own transaction (so a crash or a second process starting at the
same time is harmless): the series' rows become sealed day blocks with their rollups, then the
rows are deleted. When no row is left the old tables go and `user_version` becomes the current
format. Readings move exactly; hourly rollups are recomputed from them.
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np

from roomtemp.storage.sqlite import schema, sealer

log = logging.getLogger("roomtemp.storage.sqlite")


def migrate(conn: sqlite3.Connection, gap_ms: int) -> int:
    """Move every format-1 reading into the current format; returns how many moved (0: none)."""
    moved = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done, count = _step(conn, gap_ms)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        moved += count
        if done:
            if moved:
                log.info("embedded store migrated to format %d: %d readings", schema.FORMAT, moved)
            return moved


def _step(conn: sqlite3.Connection, gap_ms: int) -> tuple[bool, int]:
    """Migrate one series, or finish; (finished, readings moved)."""
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= schema.FORMAT:
        return True, 0
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    row = (
        conn.execute("SELECT series_id FROM readings LIMIT 1").fetchone()
        if "readings" in tables
        else None
    )
    if row is None:
        conn.execute("DROP TABLE IF EXISTS readings")
        conn.execute("DROP TABLE IF EXISTS rollup_hour")
        conn.execute(f"PRAGMA user_version = {schema.FORMAT}")
        return True, 0
    series_id = int(row[0])
    rows = conn.execute(
        "SELECT ts_ms, value FROM readings WHERE series_id = ? ORDER BY ts_ms", (series_id,)
    ).fetchall()
    ts = np.array([r[0] for r in rows], np.int64)
    values = np.array([r[1] for r in rows], np.float64)
    sealer.write_days(conn, np.full(ts.shape[0], series_id, np.int64), ts, values, gap_ms)
    conn.execute("DELETE FROM readings WHERE series_id = ?", (series_id,))
    log.info("migrating embedded store to format %d: series %d, %d readings",
             schema.FORMAT, series_id, len(rows))  # fmt: skip
    return False, len(rows)
