"""Sealing: hot readings of finished days move into compressed day rows with their rollups.

For each (series, day), the hot readings are merged with the day's existing raw block (late and
backfilled readings land in the hot tier first, whatever their age), re-encoded, and the day's
1d record, its 24 slots in the series' 32-day hours blob and its long gaps are rewritten. A
round seals at most a bounded number of pairs so writes never wait long; it records what it
sealed in `seals` (other processes replay it) and deletes log rows none of whose readings stay
hot. Readings outside the hot tier's window are sealed directly by `write_days` when written.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from roomtemp.storage.rollups.records import F64, I64, Records, concat, long_gaps, rollup
from roomtemp.storage.sqlite import codec, schema, slots
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.keys import split_keys
from roomtemp.timeparse import MS_PER_DAY

HOUR_MS = schema.HOUR_MS
DAY_UPSERT = """
    INSERT OR REPLACE INTO days (key, count, total, minimum, maximum, first_ts, first_value,
                                 last_ts, last_value, integral, fives, raw)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
"""
SERIES_LAST = """
    UPDATE series SET last_value = iif(last_ts IS NULL OR ?2 > last_ts, ?3, last_value),
                      last_ts = max(coalesce(last_ts, ?2), ?2)
    WHERE series_id = ?1
"""


@dataclass(frozen=True)
class Sealed:
    """What one seal round did, to apply to the hot tier once it is committed."""

    seal_id: int
    pairs: I64
    max_batch: int
    readings: int


def raw_of(conn: sqlite3.Connection, key: int) -> tuple[I64, F64] | None:
    """The raw readings of one (series, day) row, or None."""
    row = conn.execute("SELECT raw FROM days WHERE key = ?", (key,)).fetchone()
    if row is None or row[0] is None:
        return None
    return codec.decode_block(row[0])


def seal(conn: sqlite3.Connection, hot: HotTier, pairs: I64, gap_ms: int) -> Sealed:
    """Seal the hot readings of these sorted pairs; the caller holds the write lock and commits."""
    run = hot.pair_readings(pairs)
    series, ts = split_keys(run.keys)
    write_days(conn, series, ts, run.values, gap_ms)
    found, counts = np.unique(run.batches, return_counts=True)
    emptied = [
        batch
        for batch, count in zip(found.tolist(), counts.tolist(), strict=True)
        if hot.remaining.get(batch, 0) <= count
    ]
    for first in range(0, len(emptied), 500):
        chunk = emptied[first : first + 500]
        conn.execute(f"DELETE FROM log WHERE batch_id IN {schema.placeholders(len(chunk))}", chunk)
    return record(conn, pairs, hot.high_water, len(run))


def record(conn: sqlite3.Connection, pairs: I64, max_batch: int, readings: int) -> Sealed:
    """Note a seal in `seals` for other processes, and forget seals no log row needs any more
    (every log row they could filter is gone: a reload never needs them)."""
    cursor = conn.execute(
        "INSERT INTO seals (max_batch, pairs) VALUES (?, ?)", (max_batch, pairs.tobytes())
    )
    seal_id = int(cursor.lastrowid or 0)
    oldest = conn.execute("SELECT min(batch_id) FROM log").fetchone()[0]
    conn.execute(
        "DELETE FROM seals WHERE seal_id < ? AND max_batch < ?",
        (seal_id, oldest if oldest is not None else max_batch + 1),
    )
    return Sealed(seal_id, pairs, max_batch, readings)


def write_days(conn: sqlite3.Connection, series: I64, ts: I64, values: F64, gap_ms: int) -> None:
    """Merge readings sorted by (series, ts) into their day rows, hours blobs and gaps."""
    if not ts.shape[0]:
        return
    keys = schema.day_key(series, schema.day_index(ts))
    bounds = np.flatnonzero(np.diff(keys, prepend=-1))
    spans = sorted(zip(bounds.tolist(), [*bounds[1:].tolist(), ts.shape[0]], strict=True),
                   key=lambda span: int(keys[span[0]]))  # fmt: skip
    hour_parts: dict[int, list[Records]] = defaultdict(list)
    sealed_days: dict[int, list[int]] = defaultdict(list)
    for low, high in spans:  # in key order: day rows append at the end of the table
        key, sid = int(keys[low]), int(series[low])
        day_ts, day_values = _merged(conn, key, ts[low:high], values[low:high])
        _write_day(conn, sid, key, day_ts, day_values, gap_ms)
        hour = schema.hour_key(sid, schema.period_index(int(day_ts[0])))
        hour_parts[hour].append(rollup(day_ts, day_values, HOUR_MS))
        sealed_days[hour].append(int(day_ts[0]) // MS_PER_DAY * MS_PER_DAY)
    for hour, parts in hour_parts.items():
        _write_hours(conn, hour, parts, sealed_days[hour])
    last = np.flatnonzero(np.diff(series, append=series[-1] + 1))
    conn.executemany(
        SERIES_LAST,
        zip(series[last].tolist(), ts[last].tolist(), values[last].tolist(), strict=True),
    )


def _merged(conn: sqlite3.Connection, key: int, ts: I64, values: F64) -> tuple[I64, F64]:
    existing = raw_of(conn, key)
    if existing is None:
        return ts, values
    all_ts = np.concatenate((existing[0], ts))
    order = np.argsort(all_ts, kind="stable")
    return all_ts[order], np.concatenate((existing[1], values))[order]


def _write_day(
    conn: sqlite3.Connection, sid: int, key: int, ts: I64, values: F64, gap_ms: int
) -> None:
    day = rollup(ts, values, MS_PER_DAY)
    conn.execute(
        DAY_UPSERT,
        (key, int(day.count[0]), float(day.total[0]), float(day.minimum[0]),
         float(day.maximum[0]), int(day.first_ts[0]), float(day.first_value[0]),
         int(day.last_ts[0]), float(day.last_value[0]), float(day.integral[0]),
         codec.encode_block(ts, values)),
    )  # fmt: skip
    start = int(day.start[0])
    conn.execute(
        "DELETE FROM gaps WHERE series_id = ? AND ts >= ? AND ts < ?",
        (sid, start, start + MS_PER_DAY),
    )
    found = long_gaps(ts, values, gap_ms)
    conn.executemany(
        "INSERT INTO gaps VALUES (?, ?, ?, ?)",
        [
            (sid, int(a), int(b), float(v))
            for a, b, v in zip(found.ts, found.next_ts, found.value, strict=True)
        ],
    )


def _write_hours(conn: sqlite3.Connection, key: int, parts: list[Records], days: list[int]) -> None:
    row = conn.execute("SELECT payload FROM hours WHERE key = ?", (key,)).fetchone()
    if row is not None:
        old = slots.decode_many([row[0]])
        keep = ~np.isin(old.start // MS_PER_DAY * MS_PER_DAY, np.array(days, np.int64))
        parts = [old.take(np.flatnonzero(keep)), *parts]
    merged = concat(parts)
    merged = merged.take(np.argsort(merged.start, kind="stable"))
    start = schema.period_start(key & ((1 << schema.PERIOD_BITS) - 1))
    payload = slots.encode(merged, start, HOUR_MS, schema.HOUR_SLOTS)
    conn.execute("INSERT OR REPLACE INTO hours VALUES (?, ?)", (key, payload))
