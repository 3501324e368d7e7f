"""Count, sum, min and max per series over one range, for many series at once (GET /stats), or
over many short buckets (the minutes alerts look at).

Whole sealed days come from the plain columns of their day rows, the sealed parts of the ragged
first and last days from their raw blocks, and hot readings from the hot tier's runs, all
series in a few numpy calls per run. Sealed readings never stay hot, so nothing counts twice.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np

from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite import codec, schema
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.keys import WINDOW_HIGH, WINDOW_LOW, composite
from roomtemp.timeparse import MS_PER_DAY

_CHUNK = 500
_LONG_SPAN_DAYS = 31


class Sums:
    """Per wanted series (in the order given): count, total, min, max."""

    def __init__(self, size: int) -> None:
        self.count = np.zeros(size, np.int64)
        self.total = np.zeros(size)
        self.minimum = np.full(size, np.inf)
        self.maximum = np.full(size, -np.inf)

    def fold(self, where: np.ndarray, count: I64, total: F64, low: F64, high: F64) -> None:
        size = self.count.shape[0]
        self.count += np.bincount(where, count, size).astype(np.int64)
        self.total += np.bincount(where, total, size)
        np.minimum.at(self.minimum, where, low)
        np.maximum.at(self.maximum, where, high)


def summaries(
    conn: sqlite3.Connection, hot: HotTier, series: list[int], start: int, end: int
) -> Sums:
    """Sums of each series over [start, end); `series` sorted ascending."""
    sums = Sums(len(series))
    wanted = np.array(series, np.int64)
    low, high = -(-start // MS_PER_DAY) * MS_PER_DAY, end // MS_PER_DAY * MS_PER_DAY
    if low < high:
        _whole_days(conn, sums, wanted, low, high)
        edges = [(start, low), (high, end)]
    else:
        edges = [(start, end)]
    for lo, hi in edges:
        if lo < hi:
            _sealed_part(conn, sums, wanted, lo, hi)
    _hot(hot, sums, wanted, np.array([start, end], np.int64))
    return sums


def _day_rows(
    conn: sqlite3.Connection, wanted: I64, low: int, high: int, columns: str, extra: str = ""
) -> list[tuple[Any, ...]]:
    """Rows of the wanted series' days touching [low, high): by key lists for short spans,
    by each series' range (through the index on the series part) for long ones."""
    days = (high - 1) // MS_PER_DAY - low // MS_PER_DAY + 1
    if days > _LONG_SPAN_DAYS:
        return [
            row
            for sid in wanted.tolist()
            for row in conn.execute(
                f"SELECT key, {columns} FROM days WHERE {schema.SERIES_DAYS}{extra}",
                schema.series_days(sid, low, high),
            )
        ]
    keys = [k for sid in wanted.tolist() for k in schema.day_keys(sid, low, high)]
    found: list[tuple[Any, ...]] = []
    for first in range(0, len(keys), _CHUNK):
        chunk = keys[first : first + _CHUNK]
        found += conn.execute(
            f"SELECT key, {columns} FROM days WHERE key IN {schema.placeholders(len(chunk))}"
            f"{extra}",
            chunk,
        ).fetchall()
    return found


def _whole_days(conn: sqlite3.Connection, sums: Sums, wanted: I64, low: int, high: int) -> None:
    rows = _day_rows(conn, wanted, low, high, "count, total, minimum, maximum")
    if rows:
        key, count, total, minimum, maximum = (np.array(c) for c in zip(*rows, strict=True))
        where = np.searchsorted(wanted, schema.series_of_day_key(key))
        sums.fold(where, count.astype(np.int64), total, minimum, maximum)


def _sealed_part(conn: sqlite3.Connection, sums: Sums, wanted: I64, lo: int, hi: int) -> None:
    """The sealed readings in [lo, hi) (within one day) of every wanted series: each block
    decoded and cut to the range, then all of them folded in one go (folding block by block
    cost more numpy calls than decoding)."""
    keys, parts = [], []
    for key, raw in _day_rows(conn, wanted, lo, hi, "raw", " AND raw IS NOT NULL"):
        ts, values = codec.decode_block(raw)
        inside = values[(ts >= lo) & (ts < hi)]
        if inside.shape[0]:
            keys.append(key)
            parts.append(inside)
    if parts:
        lengths = np.array([part.shape[0] for part in parts])
        bounds = np.cumsum(lengths) - lengths  # each block's slice; a series has one a day
        slices = np.stack((bounds, bounds + lengths), axis=1).ravel()
        where = np.searchsorted(wanted, schema.series_of_day_key(np.array(keys, np.int64)))
        sums.fold(where, *_reduced(np.concatenate(parts), slices))


def _reduced(values: F64, bounds: I64) -> tuple[I64, F64, F64, F64]:
    """(count, sum, min, max) of the non-empty slices [bounds[2i], bounds[2i+1]) of values."""
    count = (bounds[1::2] - bounds[::2]).astype(np.int64)
    if bounds[-1] == values.shape[0]:
        bounds = bounds[:-1]  # reduceat takes the last slice to the end by itself
    return (
        count,
        np.add.reduceat(values, bounds)[::2],
        np.minimum.reduceat(values, bounds)[::2],
        np.maximum.reduceat(values, bounds)[::2],
    )


def grid(conn: sqlite3.Connection, hot: HotTier, series: list[int], cut: I64) -> Sums | None:
    """Sums of each series (sorted ascending) in each bucket `[cut[k], cut[k+1])`, flat by
    series then bucket, from raw readings only: None where a day in the range has no raw
    readings left (retention expired them: only rollups can answer)."""
    wanted = np.array(series, np.int64)
    width = cut.shape[0] - 1
    sums = Sums(wanted.shape[0] * width)
    start, end = int(cut[0]), int(cut[-1])
    if start >= end or not wanted.shape[0]:
        return sums
    rows = _day_rows(conn, wanted, start, end, "raw, count")
    if any(raw is None and count for _, raw, count in rows):
        return None
    flat, parts = [], []
    for key, raw, _ in rows:
        if raw is None:
            continue
        ts, values = codec.decode_block(raw)
        inside = (ts >= start) & (ts < end)
        if inside.any():
            row = int(np.searchsorted(wanted, schema.series_of_day_key(int(key))))
            flat.append(row * width + np.searchsorted(cut, ts[inside], "right") - 1)
            parts.append(values[inside])
    if parts:
        where, values = np.concatenate(flat), np.concatenate(parts)
        sums.fold(where, np.ones(where.shape[0], np.int64), values, values, values)
    _hot(hot, sums, wanted, cut)
    return sums


def _hot(hot: HotTier, sums: Sums, wanted: I64, cut: I64) -> None:
    """Fold the hot readings of each wanted series in each bucket `[cut[k], cut[k+1])` into
    `sums` (flat by series then bucket): one binary search of every run for all the edges."""
    cut = np.clip(cut, WINDOW_LOW, WINDOW_HIGH)
    if cut[0] >= cut[-1]:
        return
    keys = composite(wanted[:, None], cut[None, :]).ravel()
    width = cut.shape[0] - 1
    with hot.lock:
        runs = list(hot.runs)
    for run in runs:
        found = np.searchsorted(run.keys, keys).reshape(wanted.shape[0], width + 1)
        lo, hi = found[:, :-1].ravel(), found[:, 1:].ravel()
        full = np.flatnonzero(hi > lo)
        if full.shape[0]:
            bounds = np.stack((lo[full], hi[full]), axis=1).ravel()
            sums.fold(full, *_reduced(run.values, bounds))
