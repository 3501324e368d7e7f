"""The hot tier's composite key: `series << 44 | (ts + 2**43)`, one int64 that sorts readings
by (series, timestamp), over whole days of years 1691 to 2248."""

from __future__ import annotations

import numpy as np

from roomtemp.storage.rollups.records import I64
from roomtemp.storage.sqlite.schema import INDEX_OFFSET
from roomtemp.timeparse import MS_PER_DAY

TS_BITS = 44
TS_OFFSET = 1 << 43
WINDOW_LOW = -(TS_OFFSET // MS_PER_DAY) * MS_PER_DAY
WINDOW_HIGH = (TS_OFFSET - 1) // MS_PER_DAY * MS_PER_DAY
"""Whole days `[low, high)` the composite key represents exactly."""
_TS_MASK = (1 << TS_BITS) - 1


def in_window(ts: I64) -> np.ndarray:
    return (ts >= WINDOW_LOW) & (ts < WINDOW_HIGH)


def composite(series: I64 | np.ndarray, ts: I64) -> I64:
    """The sort key of readings inside the window."""
    return (series.astype(np.int64) << TS_BITS) | (ts + TS_OFFSET)


def split_keys(keys: I64) -> tuple[I64, I64]:
    """(series, ts) of composite keys."""
    return keys >> TS_BITS, (keys & _TS_MASK) - TS_OFFSET


def pair_ranges(pairs: I64) -> tuple[I64, I64]:
    """Key ranges [low, high) of (series << 32 | day index) pairs."""
    series, day = pairs >> 32, (pairs & 0xFFFF_FFFF) - INDEX_OFFSET
    return composite(series, day * MS_PER_DAY), composite(series, (day + 1) * MS_PER_DAY)


def pairs_of(keys: I64) -> I64:
    """The (series << 32 | day index) pair of each key."""
    series, ts = split_keys(keys)
    return (series << 32) | (ts // MS_PER_DAY + INDEX_OFFSET)
