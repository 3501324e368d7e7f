"""Raw readings of one series: sealed day blocks merged with the hot tier, oldest first."""

from __future__ import annotations

import sqlite3

import numpy as np

from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite import codec, schema
from roomtemp.storage.sqlite.hot import HotTier

_DAYS_PER_STEP = 8


def empty() -> tuple[I64, F64]:
    return np.empty(0, np.int64), np.empty(0)


def series_raw(
    conn: sqlite3.Connection, hot: HotTier, series_id: int, low_ms: int, high_ms: int
) -> tuple[I64, F64]:
    """Every reading of a series in [low, high), oldest first."""
    if high_ms <= low_ms:
        return empty()
    return series_raw_first(conn, hot, series_id, (low_ms, high_ms), None)


def series_raw_first(
    conn: sqlite3.Connection,
    hot: HotTier,
    series_id: int,
    span: tuple[int, int],
    need: int | None,
) -> tuple[I64, F64]:
    """At least the first `need` readings of a series in [low, high) (all of them when fewer,
    or when `need` is None), reading sealed days a few at a time: a page of a long range
    decodes only what it shows."""
    low_ms, high_ms = span
    if high_ms <= low_ms:
        return empty()
    sid, first_key, last_key = schema.series_days(series_id, low_ms, high_ms)
    parts = [hot.series_readings(series_id, low_ms, high_ms)]
    count = 0
    while need is None or count < need:
        rows = conn.execute(
            f"SELECT key, raw FROM days WHERE {schema.SERIES_DAYS} AND raw IS NOT NULL "
            "ORDER BY key LIMIT ?",
            (sid, first_key, last_key, _DAYS_PER_STEP),
        ).fetchall()
        for _, raw in rows:
            block = codec.decode_block(raw)
            parts.append(block)
            count += block[0].shape[0]
        if len(rows) < _DAYS_PER_STEP:
            break
        first_key = rows[-1][0] + 1
    return _within(parts, low_ms, high_ms)


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
