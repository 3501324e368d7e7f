"""Reads answered through PromQL: raw readings, the newest reading of each sensor, aggregates.

Raw samples always come from range selectors (`x[d]`), since `timestamp(last_over_time(...))`
gives the evaluation time, not the sample's. Aggregates evaluate bucket `[s, e)` at `e - 1ms`
with a range covering exactly the bucket (see promql.Window), one range query per run of
equal-length contiguous buckets.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from roomtemp.domain import Aggregate, Reading, SensorLatest
from roomtemp.errors import StorageError
from roomtemp.storage.prometheus.client import EngineClient, Series
from roomtemp.storage.prometheus.held import held_sums, with_held
from roomtemp.storage.prometheus.promql import (
    READINGS_METRIC,
    Window,
    duration,
    room_match,
    selector,
    stats_expression,
)
from roomtemp.timeparse import MS_PER_DAY, Bucket

T = TypeVar("T")
SeriesKey = tuple[str, str]
"""(room id, sensor id), the anonymous sensor being the empty string."""

LATEST_WINDOWS_MS = (
    3_600_000,
    MS_PER_DAY,
    7 * MS_PER_DAY,
    31 * MS_PER_DAY,
    92 * MS_PER_DAY,
    366 * MS_PER_DAY,
)
FAN_OUT = 8
"""Engine queries one read may have in flight at once."""
MAX_POINTS = 10_000
"""Points per range query; Prometheus refuses more than 11,000."""


class PromqlReader:
    """The read side of the Prometheus backend."""

    def __init__(
        self, client: EngineClient, window: Window, horizon_ms: int, stale_ms: int = 900_000
    ) -> None:
        self.client = client
        self.window = window
        self.horizon_ms = horizon_ms
        self.stale_ms = stale_ms

    async def raw(
        self,
        room_ids: Sequence[str],
        low_ms: int,
        high_ms: int,
        sensor_id: str | None = None,
        metric: str = READINGS_METRIC,
    ) -> list[Reading]:
        """Every reading of the rooms in `[low, high)`, ordered by (timestamp, sensor) (of
        another metric with the same labels: the values as sent of calibrated readings)."""
        found = [
            Reading(labels["room"], labels.get("sensor") or None, ts, value)
            for labels, ts, value in await self.samples(
                selector(metric, room=room_match(room_ids), sensor=sensor_id), low_ms, high_ms
            )
        ]
        return sorted(found, key=lambda r: (r.timestamp_ms, r.sensor_id or ""))

    async def samples(
        self, series: str, low_ms: int, high_ms: int
    ) -> list[tuple[dict[str, str], int, float]]:
        """Every sample of the series selected in `[low, high)`, with its series' labels."""
        covering = self.window.covering(low_ms, high_ms)
        eval_ms, range_ms = covering if covering is not None else (high_ms, high_ms + 1 - low_ms)
        query = f"{series}[{duration(range_ms)}]"
        return [
            (labels, ts, value)
            for labels, samples in await self.client.instant(query, eval_ms)
            for ts, value in samples
            if low_ms <= ts < high_ms
        ]

    async def count(self, room_ids: Sequence[str], low_ms: int, high_ms: int) -> int:
        """How many readings the rooms hold in `[low, high)`, without fetching them."""
        covering = self.window.covering(low_ms, high_ms)
        eval_ms, range_ms = covering if covering is not None else (high_ms, high_ms + 1 - low_ms)
        series = selector(READINGS_METRIC, room=room_match(room_ids))
        found = await self.client.instant(
            f"sum(count_over_time({series}[{duration(range_ms)}]))", eval_ms
        )
        return round(sum(value for _, samples in found for _, value in samples))

    async def latest(self, room_ids: Sequence[str], now_ms: int) -> dict[str, list[SensorLatest]]:
        """The newest reading of each sensor, looking back further only for series not found."""
        horizon = (now_ms - self.horizon_ms, now_ms + MS_PER_DAY)
        wanted = await self._series(room_ids, *horizon)
        found: dict[SeriesKey, SensorLatest] = {}
        if wanted:
            recent = await self.raw(room_ids, now_ms - LATEST_WINDOWS_MS[0], horizon[1])
            found = {(r.room_id, r.sensor_id or ""): _latest(r) for r in recent}
        missing = [key for key in wanted if key not in found]
        older = await _bounded(self._latest_of(key, *horizon) for key in missing)
        found.update((key, latest) for key, latest in zip(missing, older, strict=True) if latest)
        by_room: dict[str, list[SensorLatest]] = defaultdict(list)
        for (room_id, _), latest in sorted(found.items()):
            by_room[room_id].append(latest)
        return dict(by_room)

    async def _series(self, room_ids: Sequence[str], start_ms: int, end_ms: int) -> set[SeriesKey]:
        found = await self.client.series(
            selector(READINGS_METRIC, room=room_match(room_ids)), start_ms, end_ms
        )
        return {(labels["room"], labels.get("sensor", "")) for labels in found}

    async def _latest_of(self, key: SeriesKey, start_ms: int, end_ms: int) -> SensorLatest | None:
        """Look back over growing windows; a series deleted in the engine is never found."""
        windows = [w for w in LATEST_WINDOWS_MS[1:] if w < end_ms - start_ms]
        for window_ms in [*windows, end_ms - start_ms]:
            readings = await self.raw([key[0]], end_ms - window_ms, end_ms, sensor_id=key[1])
            if readings:
                return _latest(readings[-1])
        return None

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> Mapping[str, Sequence[Aggregate]]:
        """Per room, sum/count/min/max of each bucket holding readings; for one room, also
        the time-weighted figures of every bucket and of the whole range (from raw samples)."""
        plain = await self._plain(room_ids, buckets)
        if len(room_ids) != 1:
            return plain
        room = room_ids[0]
        sums = await held_sums(self.raw, room, buckets, self.stale_ms, _bounded)
        return {room: with_held(plain.get(room, []), sums, buckets)}

    async def _plain(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> dict[str, list[Aggregate]]:
        """Per room, sum/count/min/max of each bucket holding readings."""
        series = selector(READINGS_METRIC, room=room_match(room_ids))
        by_end = {b.clip_end_ms - 1: index for index, b in enumerate(buckets)}
        runs = list(_runs(buckets))
        answers = await _bounded(self._run_stats(series, run) for run in runs)
        stats: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for labels, samples in itertools.chain.from_iterable(answers):
            for ts, value in samples:
                if ts not in by_end:
                    raise StorageError(f"engine answered a point at {ts} ms, not a bucket's end")
                stats[labels["room"]][by_end[ts]][labels["stat"]] = value
        return {room: _aggregates(per_bucket, buckets) for room, per_bucket in stats.items()}

    async def _run_stats(self, series: str, run: Sequence[Bucket]) -> list[Series]:
        length = run[0].clip_end_ms - run[0].clip_start_ms
        range_ms = self.window.range_for_length(length)
        if range_ms <= 0:  # 1 ms buckets on a closed-range engine: count them from raw samples
            found = await _bounded(self._raw_stats(series, bucket) for bucket in run)
            return list(itertools.chain.from_iterable(found))
        first, last = run[0].clip_end_ms - 1, run[-1].clip_end_ms - 1
        return await self.client.range_query(
            stats_expression(series, range_ms), first, last, max(length, 1)
        )

    async def _raw_stats(self, series: str, bucket: Bucket) -> list[Series]:
        at = bucket.clip_start_ms
        samples = await self.client.instant(f"{series}[1ms]", at)
        by_room: dict[str, list[float]] = defaultdict(list)
        for labels, points in samples:
            by_room[labels["room"]] += [value for ts, value in points if ts == at]
        return [
            ({"room": room, "stat": stat}, [(at, value)])
            for room, values in by_room.items()
            if values
            for stat, value in (
                ("sum", sum(values)),
                ("count", float(len(values))),
                ("min", min(values)),
                ("max", max(values)),
            )
        ]


async def _bounded(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Run the calls concurrently, at most FAN_OUT at a time, results in order."""
    slots = asyncio.Semaphore(FAN_OUT)

    async def limited(call: Awaitable[T]) -> T:
        async with slots:
            return await call

    return list(await asyncio.gather(*(limited(call) for call in calls)))


class _Timed(Protocol):
    @property
    def timestamp_ms(self) -> int: ...
    @property
    def sensor_id(self) -> str | None: ...


Timed = TypeVar("Timed", bound=_Timed)


def page_after(
    found: Sequence[Timed], after: tuple[int, str] | None, limit: int
) -> tuple[list[Timed], tuple[int, str] | None]:
    """Of `found` (in (timestamp, sensor) order), the page strictly after the cursor `after`,
    and the cursor of the page after it (None: no more)."""
    if after is not None:
        found = [r for r in found if (r.timestamp_ms, r.sensor_id or "") > after]
    page = list(found[:limit])
    more = len(found) > limit
    return page, (page[-1].timestamp_ms, page[-1].sensor_id or "") if more else None


def _latest(reading: Reading) -> SensorLatest:
    return SensorLatest(reading.sensor_id, reading.timestamp_ms, reading.value)


def _runs(buckets: Sequence[Bucket]) -> list[list[Bucket]]:
    """Contiguous buckets of equal clipped length, at most MAX_POINTS each."""
    runs: list[list[Bucket]] = []
    for bucket in buckets:
        length = bucket.clip_end_ms - bucket.clip_start_ms
        current = runs[-1] if runs else None
        if (
            current is not None
            and len(current) < MAX_POINTS
            and current[-1].clip_end_ms == bucket.clip_start_ms
            and current[-1].clip_end_ms - current[-1].clip_start_ms == length
        ):
            current.append(bucket)
        else:
            runs.append([bucket])
    return runs


def _aggregates(
    per_bucket: dict[int, dict[str, float]], buckets: Sequence[Bucket]
) -> list[Aggregate]:
    found = []
    for index, stat in sorted(per_bucket.items()):
        if stat.get("count"):
            bucket = buckets[index]
            found.append(
                Aggregate(
                    bucket.start_ms,
                    bucket.end_ms,
                    stat["sum"],
                    round(stat["count"]),
                    stat["min"],
                    stat["max"],
                )
            )
    return found
