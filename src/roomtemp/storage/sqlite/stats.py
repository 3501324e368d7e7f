"""Bucket statistics from the tiers: rollups where whole tier buckets are sealed, raw elsewhere.

A room's buckets take the coarsest tier (1d rows, 1h slots, 5m slots once raw has expired) that
divides every bucket edge, for the sealed days of each sensor that hold no hot reading; the
ragged ends of the range, unsealed days and sealed days with late hot readings come from raw
readings. Records then go through the exact time-weighted maths of storage.rollups.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from roomtemp.storage.rollups.records import (
    I64,
    Gaps,
    Records,
    by_time,
    concat,
    empty_gaps,
    empty_records,
    from_readings,
)
from roomtemp.storage.rollups.timeweighted import BucketSums, SeriesInput, bucket_sums
from roomtemp.storage.sqlite import schema
from roomtemp.storage.sqlite.decoded import DecodedSlots
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.raw import last_before, series_raw
from roomtemp.timeparse import MS_PER_DAY

HOUR_MS, FIVE_MS = schema.HOUR_MS, schema.FIVE_MS
_DAY_COLUMNS = (
    "count, total, minimum, maximum, first_ts, first_value, last_ts, last_value, integral"
)


def tier_for(edges: I64) -> int:
    """The coarsest tier width dividing every interior edge (0: raw readings only)."""
    inner = edges[1:-1]
    for width in (MS_PER_DAY, HOUR_MS, FIVE_MS):
        if not np.any(inner % width):
            return width
    return 0


class StatsReader:
    """Bucket sums of a room's series against one connection and the process's hot tier."""

    def __init__(
        self, conn: sqlite3.Connection, hot: HotTier, decoded: DecodedSlots, gap_ms: int
    ) -> None:
        self.conn, self.hot, self.decoded, self.gap_ms = conn, hot, decoded, gap_ms

    def room(
        self, series: list[int], edges: I64, start: int, end: int, stale_ms: int
    ) -> BucketSums:
        """Sums of every bucket [edges[k], edges[k+1]) clipped to [start, end)."""
        tier = tier_for(edges) if stale_ms >= self.gap_ms else 0
        inputs = [self._input(sid, start, end, tier, stale_ms) for sid in series]
        return bucket_sums(inputs, edges, start, end, stale_ms)

    def _input(self, sid: int, start: int, end: int, tier: int, stale_ms: int) -> SeriesInput:
        previous = last_before(self.conn, self.hot, sid, start, stale_ms)
        low = -(-start // tier) * tier if tier else end
        high = end // tier * tier if tier else end
        if low >= high:
            return SeriesInput(from_readings(*series_raw(self.conn, self.hot, sid, start, end)),
                               empty_gaps(), previous)  # fmt: skip
        parts = [self._raw(sid, start, low), self._interior(sid, low, high, tier)]
        parts.append(self._raw(sid, high, end))
        return SeriesInput(by_time(concat(parts)), self._gaps(sid, low, high), previous)

    def _raw(self, sid: int, low: int, high: int) -> Records:
        if low >= high:
            return empty_records()
        return from_readings(*series_raw(self.conn, self.hot, sid, low, high))

    def _interior(self, sid: int, low: int, high: int, tier: int) -> Records:
        """Records of [low, high): rollups of sealed days without hot readings, raw elsewhere."""
        hot_ts, _ = self.hot.series_readings(sid, low, high)
        rolled = self._rollups(sid, low, high, tier)
        day_of = rolled.start // MS_PER_DAY * MS_PER_DAY
        if hot_ts.shape[0]:
            hot_days = np.unique(hot_ts // MS_PER_DAY * MS_PER_DAY)
            kept = np.flatnonzero(~np.isin(day_of, hot_days))
            rolled, day_of = rolled.take(kept), day_of[kept]
        covered = np.unique(day_of)
        raw = [self._raw(sid, lo, hi) for lo, hi in _uncovered(low, high, covered)]
        return concat([rolled, *raw])

    def _rollups(self, sid: int, low: int, high: int, tier: int) -> Records:
        if tier == MS_PER_DAY:
            return self._day_records(sid, low, high)
        if tier == HOUR_MS:
            first, last = schema.period_index(low), schema.period_index(high - 1)
            rows = self.conn.execute(
                "SELECT payload FROM hours WHERE key BETWEEN ? AND ? ORDER BY key",
                (schema.hour_key(sid, first), schema.hour_key(sid, last)),
            ).fetchall()
        else:  # 5m slots exist only where raw has expired
            rows = self.conn.execute(
                f"SELECT fives FROM days WHERE {schema.SERIES_DAYS} AND fives IS NOT NULL "
                "ORDER BY key",
                schema.series_days(sid, low, high),
            ).fetchall()
        records = self.decoded.decode_many([row[0] for row in rows])
        inside = (records.start >= low) & (records.start < high)
        return records if inside.all() else records.take(np.flatnonzero(inside))

    def _day_records(self, sid: int, low: int, high: int) -> Records:
        rows = self.conn.execute(
            f"SELECT {_DAY_COLUMNS} FROM days WHERE {schema.SERIES_DAYS} ORDER BY key",
            schema.series_days(sid, low, high),
        ).fetchall()
        return day_rows_as_records(rows)

    def _gaps(self, sid: int, low: int, high: int) -> Gaps:
        rows = self.conn.execute(
            "SELECT ts, next_ts, value FROM gaps WHERE series_id = ? AND ts >= ? AND ts < ?",
            (sid, low, high),
        ).fetchall()
        if not rows:
            return empty_gaps()
        ts, next_ts, value = zip(*rows, strict=True)
        return Gaps(np.array(ts, np.int64), np.array(next_ts, np.int64), np.array(value))


def day_rows_as_records(rows: list[tuple[float, ...]]) -> Records:
    """Records of day rows (count, total, min, max, first ts/value, last ts/value, integral)."""
    if not rows:
        return empty_records()
    column = [np.array(c) for c in zip(*rows, strict=True)]
    first_ts = column[4].astype(np.int64)
    return Records(
        first_ts // MS_PER_DAY * MS_PER_DAY, column[0].astype(np.int64), column[1].astype(float),
        column[2].astype(float), column[3].astype(float), first_ts, column[5].astype(float),
        column[6].astype(np.int64), column[7].astype(float), column[8].astype(float),
    )  # fmt: skip


def _uncovered(low: int, high: int, covered_days: I64) -> list[tuple[int, int]]:
    """[low, high) minus the given whole days, as spans."""
    spans, cursor = [], low
    for day in covered_days.tolist():
        if day > cursor:
            spans.append((cursor, min(day, high)))
        cursor = max(cursor, day + MS_PER_DAY)
    if cursor < high:
        spans.append((cursor, high))
    return spans
