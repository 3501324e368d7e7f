"""Writing readings to the engine at the engine's own pace.

- Duplicates and conflicts: a reading newer than anything its series holds (newest.py) is written
  without a read; the others of a batch (re-sends, backfill) are looked up with one query.
- Requests hold at most `max_samples` samples; an engine answering 413 gets halves (and smaller
  requests from then on); only a single sample refused as too large is a configuration error.
- Roomtemp's own series (room info) are stamped no later than the newest reading (newest.Head).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from roomtemp.domain import Reading, WriteResult
from roomtemp.errors import ConflictingReading, StorageError
from roomtemp.storage.prometheus.client import EngineClient, EngineMisconfigured
from roomtemp.storage.prometheus.newest import NewestSamples
from roomtemp.storage.prometheus.promql import READINGS_METRIC
from roomtemp.storage.prometheus.reads import PromqlReader
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels
from roomtemp.storage.prometheus.rooms import RoomRegistry

Key = tuple[str, str | None, int]
SeriesList = list[tuple[Labels, list[Sample]]]

SAME_VALUE_TOLERANCE = 1e-12
"""A re-sent reading is the same when its value is this close (relative): VictoriaMetrics keeps
about 15 significant digits, so 21.999999999999996 (71.6 °F) comes back as 22.0."""
MAX_SAMPLES_PER_REQUEST = 20_000
LEARN_SPAN_MS = 2 * 3_600_000
"""A batch reaching back at most this far learns its series' newest samples in the same read."""
LEARN_AHEAD_MS = 86_400_000
"""How far past now that read looks: readings are refused further ahead than the clock skew."""


@dataclass
class Stored:
    """What a write did, and the readings that conflict with stored ones (when not strict)."""

    result: WriteResult
    conflicts: list[Reading] = field(default_factory=list)


class Unsent(Exception):
    """The engine failed part-way: `unsent` readings did not go in (those before them did)."""

    def __init__(self, cause: StorageError, unsent: list[Reading], result: WriteResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.unsent = unsent
        self.result = result

    @property
    def nothing_written(self) -> bool:
        return len(self.unsent) == self.result.accepted


class EngineWriter:
    """Turns batches of readings into remote-write requests."""

    def __init__(
        self,
        client: EngineClient,
        rooms: RoomRegistry,
        reader: Callable[[], Awaitable[PromqlReader]],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.rooms = rooms
        self.reader = reader
        self.wall_clock = wall_clock
        self.newest = NewestSamples()
        self.max_samples = MAX_SAMPLES_PER_REQUEST

    async def store(self, readings: Sequence[Reading], *, strict: bool) -> Stored:
        """Write what the engine does not hold yet; conflicts raise (strict) or are returned."""
        fresh: list[Reading] = []
        behind: list[Reading] = []
        for reading in readings:
            (fresh if self.newest.is_new(reading) else behind).append(reading)
        duplicates, conflicts = 0, []
        if behind:
            stored = await self._stored_values(behind)
            for reading in behind:
                value = stored.get((reading.room_id, reading.sensor_id, reading.timestamp_ms))
                if value is None:
                    fresh.append(reading)
                elif math.isclose(value, reading.value, rel_tol=SAME_VALUE_TOLERANCE):
                    duplicates += 1
                elif strict:
                    room_id, sensor_id, timestamp_ms, sent = reading
                    raise ConflictingReading(room_id, sensor_id, timestamp_ms, value, sent)
                else:
                    conflicts.append(reading)
        result = WriteResult(accepted=len(fresh), duplicates=duplicates)
        if fresh:
            await self._write(fresh, result)
        return Stored(result, conflicts)

    def forget_room(self, room_id: str) -> None:
        self.newest.forget_room(room_id)

    async def _stored_values(self, behind: list[Reading]) -> dict[Key, float]:
        """The stored values at the readings' identities, in one query; a batch of recent
        readings also learns the newest sample of its series that were not known yet."""
        now_ms = self._now_ms()
        low = min(r.timestamp_ms for r in behind)
        high = max(r.timestamp_ms for r in behind) + 1
        unknown = {(r.room_id, r.sensor_id) for r in behind if self.newest.known(r) is None}
        learn = bool(unknown) and low >= now_ms - LEARN_SPAN_MS
        if learn:
            high = max(high, now_ms + LEARN_AHEAD_MS)
        reader = await self.reader()
        found = await reader.raw(sorted({r.room_id for r in behind}), low, high)
        if learn:
            newest = dict.fromkeys(unknown, low - 1)
            for r in found:
                key = (r.room_id, r.sensor_id)
                if key in newest:
                    newest[key] = max(newest[key], r.timestamp_ms)
            for (room_id, sensor_id), newest_ms in newest.items():
                self.newest.learn(room_id, sensor_id, newest_ms)
        return {(r.room_id, r.sensor_id, r.timestamp_ms): r.value for r in found}

    async def _write(self, fresh: list[Reading], result: WriteResult) -> None:
        now_ms = self._now_ms()
        new_rooms = await self.rooms.unregistered({r.room_id for r in fresh}, now_ms)
        self.rooms.head.saw(max(r.timestamp_ms for r in fresh))
        info = self.rooms.creation_series(new_rooms, self.rooms.head.stamp(now_ms))
        await self.send(fresh, info, result)
        self.rooms.remember(new_rooms)
        self.newest.wrote(fresh)

    async def send(self, readings: list[Reading], extra: SeriesList, result: WriteResult) -> None:
        """Send the readings (and `extra` series with the first request) in requests the engine
        takes; Unsent when it fails, naming what did not go in."""
        if len(readings) > self.max_samples:
            readings = sorted(readings, key=_timestamp)  # so that each request moves time forward
        size = self.max_samples
        queue = deque(readings[i : i + size] for i in range(0, len(readings), size))
        while queue:
            piece = queue.popleft()
            try:
                await self.client.write(encode(extra + readings_series(piece)))
            except EngineMisconfigured as exc:
                if exc.status == 413 and len(piece) > 1:
                    self.max_samples = len(piece) // 2
                    queue.extendleft((piece[self.max_samples :], piece[: self.max_samples]))
                    continue
                raise Unsent(exc, [r for part in (piece, *queue) for r in part], result) from exc
            except StorageError as exc:
                raise Unsent(exc, [r for part in (piece, *queue) for r in part], result) from exc
            extra = []

    def _now_ms(self) -> int:
        return round(self.wall_clock() * 1000)


def _timestamp(reading: Reading) -> int:
    return reading.timestamp_ms


@lru_cache(maxsize=65536)
def _reading_labels(room_id: str, sensor_id: str | None) -> Labels:
    """The labels of a room sensor's series (cached: every write needs them)."""
    return series_labels(READINGS_METRIC, room=room_id, sensor=sensor_id)


def readings_series(readings: Sequence[Reading]) -> SeriesList:
    """The readings grouped into series, as remote write sends them."""
    series: dict[Labels, list[Sample]] = {}
    for r in readings:
        series.setdefault(_reading_labels(r.room_id, r.sensor_id), []).append(
            (r.timestamp_ms, r.value)
        )
    return list(series.items())
