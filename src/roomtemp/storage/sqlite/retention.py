"""Retention per tier: raw blocks expire after ROOMTEMP_RETENTION_RAW (their day keeps its 1d,
1h and now 5m rollups), rollups after ROOMTEMP_RETENTION_ROLLUPS. Bounded rounds on the writer
thread, like seals, so writes never wait long."""

from __future__ import annotations

import sqlite3

from roomtemp.storage.rollups.records import rollup
from roomtemp.storage.sqlite import codec, schema, slots
from roomtemp.timeparse import MS_PER_DAY

ROUND = 64


def expire_raw(conn: sqlite3.Connection, before_ms: int) -> int:
    """Drop the raw blocks of (at most ROUND) days that end by `before_ms`, writing their 5m
    slots first; returns how many. The caller holds the write lock and commits."""
    first_kept = int(schema.day_index(before_ms // MS_PER_DAY * MS_PER_DAY))
    rows = conn.execute(
        "SELECT key, raw FROM days WHERE raw IS NOT NULL AND key < ? LIMIT ?",
        (int(schema.day_key(0, first_kept)), ROUND),
    ).fetchall()
    for key, raw in rows:
        ts, values = codec.decode_block(raw)
        start = int(ts[0]) // MS_PER_DAY * MS_PER_DAY
        fives = slots.encode(
            rollup(ts, values, schema.FIVE_MS), start, schema.FIVE_MS, schema.FIVE_SLOTS
        )
        conn.execute("UPDATE days SET raw = NULL, fives = ? WHERE key = ?", (fives, key))
    if len(rows) < ROUND:  # every raw block before the horizon is gone: their values as sent too
        conn.execute("DELETE FROM raw_values WHERE ts < ?", (schema.day_start(first_kept),))
    return len(rows)


def expire_rollups(conn: sqlite3.Connection, before_ms: int) -> int:
    """Delete day rows, hours blobs and gaps wholly older than `before_ms`; returns rows gone."""
    first_kept = int(schema.day_index(before_ms // MS_PER_DAY * MS_PER_DAY))
    gone = conn.execute(
        "DELETE FROM days WHERE key < ?", (int(schema.day_key(0, first_kept)),)
    ).rowcount
    period = schema.period_index(before_ms) - 1  # periods ending by the horizon
    mask = (1 << schema.PERIOD_BITS) - 1
    gone += conn.execute("DELETE FROM hours WHERE (key & ?) < ?", (mask, period + 1)).rowcount
    gone += conn.execute("DELETE FROM gaps WHERE ts < ?", (schema.day_start(first_kept),)).rowcount
    return gone
