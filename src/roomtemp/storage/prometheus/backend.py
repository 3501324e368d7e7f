"""The Prometheus-compatible backend: remote write in, PromQL out, a durable spool for outages.

Writes read before they write (the engines cannot say "this timestamp holds another value"), so
re-sends count as duplicates and a different value is a 409. When the engine is unreachable or
answers 5xx/429, batches go to the spool (answer 202) and a background task replays them in order
with backoff; batches the engine refuses for good (4xx) are kept aside and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import Sequence

import httpx

from roomtemp.domain import (
    Aggregate,
    Reading,
    ReadingsPage,
    RoomMeta,
    SensorLatest,
    WriteResult,
)
from roomtemp.errors import ConflictingReading, InvalidInput, StorageError, StorageUnavailable
from roomtemp.storage.base import StorageStatus
from roomtemp.storage.prometheus.client import EngineClient, EngineRejected, EngineUnavailable
from roomtemp.storage.prometheus.options import PrometheusOptions
from roomtemp.storage.prometheus.promql import READINGS_METRIC, ROOM_METRICS, Window, selector
from roomtemp.storage.prometheus.reads import PromqlReader
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels
from roomtemp.storage.prometheus.rooms import RoomRegistry
from roomtemp.storage.prometheus.spool import Spool
from roomtemp.timeparse import Bucket

log = logging.getLogger("roomtemp.storage.prometheus")

Key = tuple[str, str | None, int]
_PROBE = "count_over_time(vector(1)[10s:5s])"
_MAX_BACKOFF_SECONDS = 30.0
SAME_VALUE_TOLERANCE = 1e-12
"""A re-sent reading is the same when its value is this close (relative): VictoriaMetrics keeps
about 15 significant digits, so 21.999999999999996 (71.6 °F) comes back as 22.0."""


class PrometheusStorage:
    """Storage in a Prometheus-compatible engine (`prometheus://host:port`)."""

    def __init__(
        self, options: PrometheusOptions, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.options = options
        self.client = EngineClient(options.engine, transport)
        self.spool = Spool(options.spool_dir, options.spool_max_bytes)
        self.rooms = RoomRegistry(self.client, options.meta_window_ms, options.horizon_ms)
        self._reader: PromqlReader | None = None
        self._engine_up = True
        self._wake = asyncio.Event()
        self._engine_answered = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        """Load the spool left by an earlier run and start replaying and re-asserting."""
        await asyncio.to_thread(self.spool.open)
        self._engine_up = not self.spool.readings
        self._tasks = [
            asyncio.create_task(self._replay_forever(), name="roomtemp-spool-replay"),
            asyncio.create_task(self._refresh_forever(), name="roomtemp-room-info-refresh"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()
        self.spool.close()

    async def check(self) -> None:
        """Ready while writes can be taken: the engine answers, or the spool has room."""
        try:
            await self.client.instant("vector(1)", self._now_ms())
            self._engine_up = True
            self._engine_answered.set()  # cut a replay backoff short
        except StorageError as exc:
            self._engine_up = False
            if self.spool.full:
                raise StorageUnavailable(f"{exc}; and the outage spool is full") from exc

    def status(self) -> StorageStatus:
        return StorageStatus(self._engine_up, self.spool.readings, self.spool.set_aside)

    # -- writes -------------------------------------------------------------------------------

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        if self._engine_up and not self.spool.readings:
            try:
                result, _ = await self._store(readings, strict=True)
                return result
            except EngineUnavailable as exc:
                log.warning("engine unavailable, spooling: %s", exc)
                self._engine_up = False
            except EngineRejected as exc:
                raise InvalidInput.single(("body",), f"the storage engine refused: {exc}") from exc
        await asyncio.to_thread(self.spool.append, readings)
        self._wake.set()
        return WriteResult(accepted=len(readings), duplicates=0, spooled=True)

    async def _store(
        self, readings: Sequence[Reading], *, strict: bool
    ) -> tuple[WriteResult, list[Reading]]:
        """Write what is not stored yet; conflicts raise (strict) or are returned."""
        stored = await self._stored_values(readings)
        fresh, conflicts = [], []
        for reading in readings:
            value = stored.get((reading.room_id, reading.sensor_id, reading.timestamp_ms))
            if value is None:
                fresh.append(reading)
            elif not math.isclose(value, reading.value, rel_tol=SAME_VALUE_TOLERANCE):
                if strict:
                    raise ConflictingReading(
                        reading.room_id,
                        reading.sensor_id,
                        reading.timestamp_ms,
                        value,
                        reading.value,
                    )
                conflicts.append(reading)
        if fresh:
            new_rooms = await self.rooms.unregistered({r.room_id for r in fresh}, self._now_ms())
            series = _readings_series(fresh) + self.rooms.creation_series(new_rooms, self._now_ms())
            await self.client.write(encode(series))
            self.rooms.remember(new_rooms)
        duplicates = len(readings) - len(fresh) - len(conflicts)
        return WriteResult(accepted=len(fresh), duplicates=duplicates), conflicts

    async def _stored_values(self, readings: Sequence[Reading]) -> dict[Key, float]:
        low = min(r.timestamp_ms for r in readings)
        high = max(r.timestamp_ms for r in readings) + 1
        reader = await self._read_side()
        found = await reader.raw(sorted({r.room_id for r in readings}), low, high)
        return {(r.room_id, r.sensor_id, r.timestamp_ms): r.value for r in found}

    async def put_room(self, meta: RoomMeta) -> bool:
        return await self.rooms.put(meta, self._now_ms())

    async def delete_room(self, room_id: str) -> bool:
        if await self.rooms.get(room_id, self._now_ms()) is None:
            return False
        await self.client.delete_series(selector("", __name__=ROOM_METRICS, room=room_id))
        self.rooms.forget(room_id)
        return True

    # -- reads --------------------------------------------------------------------------------

    async def get_room(self, room_id: str) -> RoomMeta | None:
        return await self.rooms.get(room_id, self._now_ms())

    async def list_rooms(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[RoomMeta]:
        found = await self.rooms.all(self._now_ms())
        if after is not None:
            found = [meta for meta in found if meta.room_id > after]
        return found if limit is None else found[:limit]

    async def latest(self, room_ids: Sequence[str] | None = None) -> dict[str, list[SensorLatest]]:
        if room_ids is not None and not room_ids:
            return {}
        reader = await self._read_side()
        found = await reader.latest(room_ids or [], self._now_ms())
        if room_ids is None:
            known = {meta.room_id for meta in await self.rooms.all(self._now_ms())}
            found = {room: sensors for room, sensors in found.items() if room in known}
        return found

    async def readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        *,
        sensor_id: str | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> ReadingsPage:
        low = max(start_ms, after[0]) if after is not None else start_ms
        if low >= end_ms:
            return ReadingsPage([], None)
        reader = await self._read_side()
        found = await reader.raw([room_id], low, end_ms, sensor_id=sensor_id)
        if after is not None:
            found = [r for r in found if (r.timestamp_ms, r.sensor_id or "") > after]
        page = found[:limit]
        more = len(found) > limit
        return ReadingsPage(
            page, (page[-1].timestamp_ms, page[-1].sensor_id or "") if more else None
        )

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> dict[str, list[Aggregate]]:
        if not room_ids or not buckets:
            return {}
        reader = await self._read_side()
        return await reader.aggregate(room_ids, buckets)

    # -- background ---------------------------------------------------------------------------

    async def _read_side(self) -> PromqlReader:
        """The reader, once the engine told whether its range selectors are closed."""
        if self._reader is None:
            probe = await self.client.instant(_PROBE, 1_700_000_000_000)
            closed = bool(probe) and probe[0][1][0][1] >= 3
            self._reader = PromqlReader(self.client, Window(closed), self.options.horizon_ms)
        return self._reader

    async def _replay_forever(self) -> None:
        delay = 0.2
        while True:
            self._wake.clear()
            batch = self.spool.peek()
            if batch is None:
                await _wait(self._wake, self.options.idle_probe_seconds)
                continue
            try:
                await self._replay(batch.readings)
                # a failure here retries the batch, which the read-before-write makes harmless
                await asyncio.to_thread(self.spool.done, batch)
            except Exception as exc:  # the replay task must outlive any failure
                if not isinstance(exc, StorageError):
                    log.exception("spool replay failed unexpectedly")
                log.warning("spool replay waits %.1f s: %s", delay, exc)
                self._engine_up = False
                self._engine_answered.clear()
                await _wait(self._engine_answered, delay)
                delay = min(delay * 2, _MAX_BACKOFF_SECONDS)
                continue
            self._engine_up = True
            delay = 0.2

    async def _replay(self, readings: list[Reading]) -> None:
        try:
            _, conflicts = await self._store(readings, strict=False)
        except EngineRejected as exc:
            log.error("engine refused %d spooled readings, kept aside: %s", len(readings), exc)
            await asyncio.to_thread(self.spool.keep_aside, readings, str(exc))
            return
        if conflicts:
            reason = "another value is stored at the same timestamp"
            await asyncio.to_thread(self.spool.keep_aside, conflicts, reason)

    async def _refresh_forever(self) -> None:
        """Re-assert every room's info series so it stays inside the engines' lookback."""
        long_look = True
        while True:
            try:
                await self.rooms.reassert(self._now_ms(), long_look=long_look)
                long_look = False
            except StorageError as exc:
                log.warning("could not re-assert room metadata: %s", exc)
            except Exception:  # the refresh task must outlive any failure
                log.exception("could not re-assert room metadata")
            await asyncio.sleep(self.options.meta_refresh_seconds)

    def _now_ms(self) -> int:
        return round(self.options.wall_clock() * 1000)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until the event is set or the time is up."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


@functools.lru_cache(maxsize=65536)
def _reading_labels(room_id: str, sensor_id: str | None) -> Labels:
    """The labels of a room sensor's series (cached: every write needs them)."""
    return series_labels(READINGS_METRIC, room=room_id, sensor=sensor_id)


def _readings_series(readings: Sequence[Reading]) -> list[tuple[Labels, list[Sample]]]:
    series: dict[Labels, list[Sample]] = {}
    for r in readings:
        series.setdefault(_reading_labels(r.room_id, r.sensor_id), []).append(
            (r.timestamp_ms, r.value)
        )
    return list(series.items())
