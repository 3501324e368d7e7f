"""Raw readings of one series: sealed day blocks merged with the hot tier, oldest first."""

from __future__ import annotations

import sqlite3

import numpy as np

from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite import codec, schema
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.timeparse import MS_PER_DAY

_KEYS_PER_QUERY = 500
_DAYS_PER_STEP = 8


def empty() -> tuple[I64, F64]:
    return np.empty(0, np.int64), np.empty(0)


def series_raw(
    conn: sqlite3.Connection, hot: HotTier, series_id: int, low_ms: int, high_ms: int
) -> tuple[I64, F64]:
    """Every reading of a series in [low, high), oldest first."""
    if high_ms <= low_ms:
        return empty()
    keys = schema.day_keys(series_id, low_ms, high_ms)
    parts = []
    for first in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[first : first + _KEYS_PER_QUERY]
        rows = conn.execute(
            f"SELECT raw FROM days WHERE key IN {schema.placeholders(len(chunk))} "
            "AND raw IS NOT NULL ORDER BY key",
            chunk,
        ).fetchall()
        parts += [codec.decode_block(row[0]) for row in rows]
    parts.append(hot.series_readings(series_id, low_ms, high_ms))
    return _within(parts, low_ms, high_ms)


def series_raw_first(
    conn: sqlite3.Connection, hot: HotTier, series_id: int, span: tuple[int, int], need: int
) -> tuple[I64, F64]:
    """At least the first `need` readings of a series in [low, high) (all, if fewer), read a
    few days at a time so that a page of a long range decodes only what it shows."""
    low_ms, high_ms = span
    found: list[tuple[I64, F64]] = []
    count, cursor = 0, low_ms
    while cursor < high_ms and count < need:
        stop = min(high_ms, (cursor // MS_PER_DAY + _DAYS_PER_STEP) * MS_PER_DAY)
        part = series_raw(conn, hot, series_id, cursor, stop)
        found.append(part)
        count += part[0].shape[0]
        cursor = stop
    return _within(found, low_ms, high_ms) if found else empty()


def last_before(
    conn: sqlite3.Connection, hot: HotTier, series_id: int, start_ms: int, window_ms: int
) -> tuple[int, float] | None:
    """The newest reading in [start - window, start), if any."""
    ts, values = series_raw(conn, hot, series_id, start_ms - window_ms, start_ms)
    return (int(ts[-1]), float(values[-1])) if ts.shape[0] else None


def _within(parts: list[tuple[I64, F64]], low_ms: int, high_ms: int) -> tuple[I64, F64]:
    ts = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    if len(parts) > 1 and ts.shape[0] > 1 and not np.all(ts[1:] > ts[:-1]):
        order = np.argsort(ts, kind="stable")
        ts, values = ts[order], values[order]
    inside = (ts >= low_ms) & (ts < high_ms)
    return ts[inside], values[inside]
