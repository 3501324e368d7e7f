"""Rollup records: per series and bucket, what every statistic needs, mergeable across tiers.

A record covers the readings of one series inside one bucket `[start, start + width)`: count,
sum, min, max, the first and last reading (timestamp and value) and `integral`, the sum of
value x (next ts - ts) over consecutive readings both inside the bucket, without any stale cut.
Together with the series' long gaps (consecutive readings more than `gap_ms` apart) this gives
the time-weighted integral exactly for any stale-after of at least `gap_ms` (see timeweighted).
A raw reading is the record of a bucket that holds only it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp] | npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Records:
    """Parallel arrays, one element per non-empty bucket, sorted by time, never overlapping."""

    start: I64
    count: I64
    total: F64
    minimum: F64
    maximum: F64
    first_ts: I64
    first_value: F64
    last_ts: I64
    last_value: F64
    integral: F64

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def take(self, index: Index) -> Records:
        """The records at `index` (positions or a mask)."""
        return Records(*(getattr(self, name)[index] for name in _FIELDS))


_FIELDS = tuple(f.name for f in fields(Records))


@dataclass(frozen=True)
class Gaps:
    """Consecutive readings of one series more than `gap_ms` apart: (ts, next ts, value at ts)."""

    ts: I64
    next_ts: I64
    value: F64

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def empty_records() -> Records:
    ints, floats = np.empty(0, np.int64), np.empty(0, np.float64)
    return Records(ints, ints, floats, floats, floats, ints, floats, ints, floats, floats)


def empty_gaps() -> Gaps:
    return Gaps(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))


def concat(parts: list[Records]) -> Records:
    """The records of every part, in the order given."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty_records()
    if len(parts) == 1:
        return parts[0]
    return Records(*(np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS))


def by_time(records: Records) -> Records:
    """The records sorted by their first reading (as they are, when they already are)."""
    first = records.first_ts
    if np.all(first[1:] >= first[:-1]):
        return records
    return records.take(np.argsort(first, kind="stable"))


def from_readings(ts: I64, values: F64) -> Records:
    """Each raw reading as its own record (readings sorted by timestamp)."""
    zero = np.zeros(ts.shape[0], np.float64)
    return Records(ts, np.ones_like(ts), values, values, values, ts, values, ts, values, zero)


def rollup(ts: I64, values: F64, width_ms: int, origin_ms: int = 0) -> Records:
    """Records of buckets `[origin + k*width, ...)` over readings sorted by timestamp."""
    return rollup_many(np.zeros(ts.shape[0], np.int64), ts, values, width_ms, origin_ms)[1]


def rollup_many(
    series: npt.NDArray[np.integer], ts: I64, values: F64, width_ms: int, origin_ms: int = 0
) -> tuple[I64, Records]:
    """(series of each record, records) over readings sorted by (series, ts)."""
    if ts.shape[0] == 0:
        return np.empty(0, np.int64), empty_records()
    bucket = (ts - origin_ms) // width_ms
    change = np.diff(bucket, prepend=bucket[0] - 1) != 0
    change[1:] |= series[1:] != series[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], ts.shape[0]) - 1
    held = np.diff(ts).astype(np.float64) * values[:-1]
    inside = np.where(~change[1:], held, 0.0)
    integral = np.add.reduceat(np.append(inside, 0.0), starts)
    records = Records(
        start=bucket[starts] * width_ms + origin_ms,
        count=(ends - starts + 1).astype(np.int64),
        total=np.add.reduceat(values, starts),
        minimum=np.minimum.reduceat(values, starts),
        maximum=np.maximum.reduceat(values, starts),
        first_ts=ts[starts],
        first_value=values[starts],
        last_ts=ts[ends],
        last_value=values[ends],
        integral=integral,
    )
    return series[starts].astype(np.int64), records


def long_gaps(ts: I64, values: F64, gap_ms: int) -> Gaps:
    """Pairs of consecutive readings (sorted by timestamp) further apart than `gap_ms`."""
    long = np.flatnonzero(np.diff(ts) > gap_ms)
    return Gaps(ts[long], ts[long + 1], values[long])
