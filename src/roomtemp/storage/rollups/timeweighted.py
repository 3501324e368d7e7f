"""Bucket statistics of a room from its sensors' records, exactly, with numpy.

DESIGN's rule: each reading of a sensor holds its value from its timestamp until that sensor's
next reading, or for at most `stale_ms`; a reading just before a bucket carries into it. Inside a
record the held integral is `integral` minus, for each long gap (ts, next_ts, value) with
next_ts - ts > stale_ms, value x (next_ts - ts - stale_ms); the held time is last_ts - first_ts
minus the same excess. Between records (and from the reading before the range) a hold is an
explicit interval, split over the buckets it crosses. Coverage is the union over sensors of the
held intervals, so the intervals themselves are needed only when a room has several sensors.
Buckets are `[edges[k], edges[k+1])` clipped to `[start, end)`; every record lies inside one
bucket and inside the range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from roomtemp.storage.rollups.records import F64, I64, Gaps, Records

Previous = tuple[int, float] | None
"""A sensor's last reading before the range (timestamp, value), if one lies within stale."""


@dataclass(frozen=True)
class SeriesInput:
    """One sensor's records in the range, its long gaps there, and its reading before it."""

    records: Records
    gaps: Gaps
    previous: Previous


@dataclass(frozen=True)
class BucketSums:
    """Per bucket (all of them, with readings or not): what the answers are made of.

    `integral` is in value x ms, `held` the sensors' total held time, `covered` the time at
    least one sensor held a value, `length` the bucket's length inside the range (all in ms).
    """

    count: I64
    total: F64
    minimum: F64
    maximum: F64
    integral: F64
    held: F64
    covered: F64
    length: I64


@dataclass(frozen=True)
class _Intervals:
    lo: I64
    hi: I64
    value: F64


def bucket_sums(
    series: list[SeriesInput], edges: I64, start: int, end: int, stale_ms: int
) -> BucketSums:
    """Count, sum, min, max, held integral, held time and covered time of every bucket."""
    size = edges.shape[0] - 1
    sums = BucketSums(
        np.zeros(size, np.int64),
        np.zeros(size),
        np.full(size, np.inf),
        np.full(size, -np.inf),
        np.zeros(size),
        np.zeros(size),
        np.zeros(size),
        np.minimum(edges[1:], end) - np.maximum(edges[:-1], start),
    )
    covering: list[_Intervals] = []
    for one in series:
        links = _links(one.records, one.previous, start, end, stale_ms)
        _add_records(sums, one.records, _internal(one.records, one.gaps, stale_ms), edges)
        _add_intervals(sums, links, edges)
        if len(series) > 1:
            covering += [_internal_intervals(one.records, one.gaps, stale_ms), links]
    covered = _union_durations(covering, edges) if len(series) > 1 else sums.held
    sums.covered[:] = covered
    return sums


def _long_gaps(records: Records, gaps: Gaps, stale_ms: int) -> tuple[npt.NDArray[np.intp], Gaps]:
    """The gaps longer than stale_ms that lie inside a record, with that record's index."""
    long = gaps.next_ts - gaps.ts > stale_ms
    ts, next_ts, value = gaps.ts[long], gaps.next_ts[long], gaps.value[long]
    owner = np.searchsorted(records.first_ts, ts, "right") - 1
    inside = (
        (owner >= 0) & (next_ts <= records.last_ts[np.maximum(owner, 0)])
        if len(records)
        else owner < -1
    )
    return owner[inside], Gaps(ts[inside], next_ts[inside], value[inside])


def _internal(records: Records, gaps: Gaps, stale_ms: int) -> tuple[F64, F64]:
    """(integral, held) inside each record for this stale_ms."""
    owner, long = _long_gaps(records, gaps, stale_ms)
    excess = (long.next_ts - long.ts - stale_ms).astype(np.float64)
    size = len(records)
    integral = records.integral - np.bincount(owner, excess * long.value, size)
    span = (records.last_ts - records.first_ts).astype(np.float64)
    return integral, span - np.bincount(owner, excess, size)


def _internal_intervals(records: Records, gaps: Gaps, stale_ms: int) -> _Intervals:
    """Held intervals inside records: [first, last] with the stale part of long gaps cut out."""
    _, long = _long_gaps(records, gaps, stale_ms)
    lo = np.sort(np.concatenate((records.first_ts, long.next_ts)))
    hi = np.sort(np.concatenate((long.ts + stale_ms, records.last_ts)))
    return _Intervals(lo, hi, np.zeros(lo.shape[0]))


def _links(records: Records, previous: Previous, start: int, end: int, stale_ms: int) -> _Intervals:
    """The hold of each record's last reading until the next record (or stale, or the end)."""
    last_ts, last_value, first_ts = records.last_ts, records.last_value, records.first_ts
    if previous is not None:
        last_ts = np.concatenate((np.array([previous[0]], np.int64), last_ts))
        last_value = np.concatenate((np.array([previous[1]]), last_value))
    following = np.append(first_ts[1:] if previous is None else first_ts, end)
    hi = np.minimum(np.minimum(following, last_ts + stale_ms), end)
    lo = np.maximum(last_ts, start)
    keep = hi > lo
    return _Intervals(lo[keep], hi[keep], last_value[keep])


def _add_records(sums: BucketSums, records: Records, internal: tuple[F64, F64], edges: I64) -> None:
    if not len(records):
        return
    where = np.searchsorted(edges, records.first_ts, "right") - 1
    size = sums.count.shape[0]
    sums.count[:] += np.bincount(where, records.count, size).astype(np.int64)
    sums.total[:] += np.bincount(where, records.total, size)
    sums.integral[:] += np.bincount(where, internal[0], size)
    sums.held[:] += np.bincount(where, internal[1], size)
    groups = np.flatnonzero(np.diff(where, prepend=-1))
    index = where[groups]
    low = np.minimum.reduceat(records.minimum, groups)
    high = np.maximum.reduceat(records.maximum, groups)
    sums.minimum[index] = np.minimum(sums.minimum[index], low)
    sums.maximum[index] = np.maximum(sums.maximum[index], high)


def _split(intervals: _Intervals, edges: I64) -> tuple[npt.NDArray[np.intp], F64, F64]:
    """(bucket, duration, value) of each piece of each interval inside a bucket."""
    first = np.searchsorted(edges, intervals.lo, "right") - 1
    last = np.searchsorted(edges, intervals.hi - 1, "right") - 1
    pieces = last - first + 1
    owner = np.repeat(np.arange(pieces.shape[0]), pieces)
    offset = np.arange(owner.shape[0]) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    bucket = first[owner] + offset
    lo = np.maximum(intervals.lo[owner], edges[bucket])
    hi = np.minimum(intervals.hi[owner], edges[bucket + 1])
    return bucket, (hi - lo).astype(np.float64), intervals.value[owner]


def _add_intervals(sums: BucketSums, intervals: _Intervals, edges: I64) -> None:
    if not intervals.lo.shape[0]:
        return
    bucket, duration, value = _split(intervals, edges)
    size = sums.count.shape[0]
    sums.integral[:] += np.bincount(bucket, duration * value, size)
    sums.held[:] += np.bincount(bucket, duration, size)


def _union_durations(parts: list[_Intervals], edges: I64) -> F64:
    """Per bucket, the length of the union of all intervals."""
    lo = np.concatenate([p.lo for p in parts])
    hi = np.concatenate([p.hi for p in parts])
    keep = hi > lo
    order = np.argsort(lo[keep], kind="stable")
    lo, hi = lo[keep][order], hi[keep][order]
    if not lo.shape[0]:
        return np.zeros(edges.shape[0] - 1)
    reach = np.maximum.accumulate(hi)
    fresh = np.concatenate(([True], lo[1:] > reach[:-1]))
    merged_lo = lo[fresh]
    merged_hi = np.maximum.reduceat(hi, np.flatnonzero(fresh))
    merged = _Intervals(merged_lo, merged_hi, np.zeros(merged_lo.shape[0]))
    bucket, duration, _ = _split(merged, edges)
    return np.bincount(bucket, duration, edges.shape[0] - 1).astype(np.float64)
