"""Time-weighted means and coverage on a Prometheus-compatible engine, from raw samples.

PromQL has no hold-until-next-sample integral, so a room's raw samples over the range (and
`stale` before it, for the reading that carries into the first bucket) are read through range
selectors, a few days per query, and go through the same exact maths as the embedded store
(storage.rollups.timeweighted). The plain figures (count, sum, min, max) stay PromQL's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

import numpy as np

from roomtemp.domain import AGGREGATE_SUMS, Aggregate, AggregateColumns, Reading
from roomtemp.storage.rollups.records import empty_gaps, from_readings
from roomtemp.storage.rollups.timeweighted import BucketSums, SeriesInput, bucket_sums
from roomtemp.timeparse import MS_PER_DAY, Bucket

RawReader = Callable[[Sequence[str], int, int], Awaitable[list[Reading]]]
WINDOW_MS = 7 * MS_PER_DAY
"""Days of raw samples one engine query reads."""


async def held_sums(
    raw: RawReader, room_id: str, buckets: Sequence[Bucket], stale_ms: int,
    gather: Callable[[list[Awaitable[list[Reading]]]], Awaitable[list[list[Reading]]]],
) -> BucketSums:  # fmt: skip
    """Every bucket's sums from the room's raw samples (readings before the range included)."""
    start, end = buckets[0].clip_start_ms, buckets[-1].clip_end_ms
    spans = range(start - stale_ms, end, WINDOW_MS)
    parts = await gather([raw([room_id], low, min(low + WINDOW_MS, end)) for low in spans])
    by_sensor: dict[str | None, list[Reading]] = defaultdict(list)
    for part in parts:
        for reading in part:
            by_sensor[reading.sensor_id].append(reading)
    edges = np.array([b.start_ms for b in buckets] + [buckets[-1].end_ms], np.int64)
    inputs = [_series(readings, start) for _, readings in sorted(by_sensor.items(), key=_key)]
    return bucket_sums(inputs, edges, start, end, stale_ms)


def _key(item: tuple[str | None, list[Reading]]) -> str:
    return item[0] or ""


def _series(readings: list[Reading], start: int) -> SeriesInput:
    ts = np.array([r.timestamp_ms for r in readings], np.int64)
    values = np.array([r.value for r in readings], np.float64)
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    before = int(np.searchsorted(ts, start))
    previous = (int(ts[before - 1]), float(values[before - 1])) if before else None
    return SeriesInput(from_readings(ts[before:], values[before:]), empty_gaps(), previous)


def with_held(
    plain: Sequence[Aggregate], sums: BucketSums, buckets: Sequence[Bucket]
) -> AggregateColumns:
    """PromQL's buckets holding readings, with the held figures of the same buckets and the
    whole range's totals (buckets without readings included)."""
    index = {b.start_ms: k for k, b in enumerate(buckets)}
    kept = np.array([index[a.start_ms] for a in plain], np.intp)
    arrays = {
        "total": np.array([a.total for a in plain]),
        "count": np.array([a.count for a in plain], np.int64),
        "minimum": np.array([a.minimum for a in plain]),
        "maximum": np.array([a.maximum for a in plain]),
        **{name: getattr(sums, name)[kept] for name in AGGREGATE_SUMS[4:]},
    }
    totals = Aggregate(
        buckets[0].start_ms, buckets[-1].end_ms, float(arrays["total"].sum()),
        int(arrays["count"].sum()), float(arrays["minimum"].min(initial=np.inf)),
        float(arrays["maximum"].max(initial=-np.inf)), float(sums.integral.sum()),
        float(sums.held.sum()), float(sums.covered.sum()), int(sums.length.sum()),
    )  # fmt: skip
    starts = np.array([a.start_ms for a in plain], np.int64)
    ends = np.array([a.end_ms for a in plain], np.int64)
    return AggregateColumns(starts, ends, arrays, totals)
