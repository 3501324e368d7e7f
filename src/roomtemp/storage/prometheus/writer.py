"""Writing readings to the engine at the engine's own pace.

- Duplicates and conflicts: a series' samples newer than anything the series holds (newest.py)
  are written without a read; the others of a batch (re-sends, backfill) are looked up with one
  query.
- Requests hold at most `max_samples` samples; an engine answering 413 gets halves (and smaller
  requests from then on); only a single sample refused as too large is a configuration error.
- Roomtemp's own series (room info) are stamped no later than the newest reading (newest.Head).
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from operator import gt, itemgetter
from typing import cast

from roomtemp.domain import Reading, WriteResult
from roomtemp.errors import ConflictingReading, StorageError
from roomtemp.storage.prometheus.batches import (
    FIRST_MS,
    LAST_MS,
    Run,
    SeriesBatch,
    SeriesKey,
    halves,
    joined,
    merge,
    pieces,
    size,
    span,
)
from roomtemp.storage.prometheus.client import EngineClient, EngineMisconfigured
from roomtemp.storage.prometheus.newest import NewestSamples
from roomtemp.storage.prometheus.promql import RAW_METRIC, READINGS_METRIC
from roomtemp.storage.prometheus.reads import PromqlReader
from roomtemp.storage.prometheus.remote_write import (
    encode_labelled,
    encode_samples,
    labels_bytes,
    series_labels,
)
from roomtemp.storage.prometheus.rooms import RoomRegistry

Key = tuple[str, str | None, int]
Known = list[int]
EncodedSeries = list[tuple[bytes, bytes]]
"""Series as remote write sends them: their labels and their samples, encoded."""

SAME_VALUE_TOLERANCE = 1e-12
"""A re-sent reading is the same when its value is this close (relative): VictoriaMetrics keeps
about 15 significant digits, so 21.999999999999996 (71.6 °F) comes back as 22.0."""
MAX_SAMPLES_PER_REQUEST = 20_000
LEARN_MAX_SAMPLES = 200_000
"""At most this many stored samples are fetched to learn where new series end."""
LEARN_AHEAD_MS = 86_400_000
"""How far past now that look goes: readings are refused further ahead than the clock skew."""


@dataclass
class Stored:
    """What a write did, and the readings that conflict with stored ones (when not strict)."""

    result: WriteResult
    conflicts: list[Reading] = field(default_factory=list)


class Unsent(Exception):
    """The engine failed part-way: `unsent` did not go in (what came before it did)."""

    def __init__(self, cause: StorageError, unsent: SeriesBatch, result: WriteResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.unsent = unsent
        self.result = result

    @property
    def nothing_written(self) -> bool:
        return size(self.unsent) == self.result.accepted


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

    async def store(
        self, batch: SeriesBatch, *, strict: bool, sent: Mapping[Key, float] | None = None
    ) -> Stored:
        """Write what the engine does not hold yet; conflicts raise (strict) or are returned.
        `sent`: the values as sent of the batch's calibrated readings (identities compare
        those, see storage/calibration.py)."""
        fresh, behind = self._split(batch)
        stored = Stored(WriteResult(0, 0))
        if behind:
            values = await self._stored_values(behind)
            stored = self._sort_out(behind, values, fresh)
            if stored.conflicts:
                await self._drop_resent(stored, values, sent or {})
            if strict and stored.conflicts:
                first = stored.conflicts[0]
                key = (first.room_id, first.sensor_id, first.timestamp_ms)
                raise ConflictingReading(*key, values[key], first.value)
        stored.result = WriteResult(size(fresh), stored.result.duplicates)
        if fresh:
            await self._write(fresh, stored.result)
        return stored

    def forget_room(self, room_id: str) -> None:
        self.newest.forget_room(room_id)

    def _split(self, batch: SeriesBatch) -> tuple[SeriesBatch, SeriesBatch]:
        """Per series, the samples known to be new, and the others."""
        newest = self.newest.known_all(batch)
        if None not in newest and all(map(gt, map(FIRST_MS, batch.values()), cast(Known, newest))):
            return batch, {}  # live data: every series goes on after what the engine holds
        fresh: SeriesBatch = {}
        behind: SeriesBatch = {}
        for (key, run), known in zip(batch.items(), newest, strict=True):
            if known is None or run.last_ms <= known:
                behind[key] = run
            elif run.first_ms > known:
                fresh[key] = run
            else:
                samples = run.samples
                cut = bisect_right(samples, known, key=itemgetter(0))
                behind[key], fresh[key] = Run.of(samples[:cut]), Run.of(samples[cut:])
        return fresh, behind

    def _sort_out(
        self, behind: SeriesBatch, values: dict[Key, float], fresh: SeriesBatch
    ) -> Stored:
        """Move the samples not stored yet into `fresh`; count duplicates, find conflicts."""
        stored = Stored(WriteResult(0, 0))
        held = {(room_id, sensor_id) for room_id, sensor_id, _ in values}
        duplicates = 0
        for key, run in behind.items():
            if key not in held:  # nothing stored in its span: all of it is new
                ahead = fresh.get(key)
                fresh[key] = run if ahead is None else joined(run, ahead)
                continue
            new = []
            for sample in run.samples:
                timestamp_ms, value = sample
                found = values.get((*key, timestamp_ms))
                if found is None:
                    new.append(sample)
                elif math.isclose(found, value, rel_tol=SAME_VALUE_TOLERANCE):
                    duplicates += 1
                else:
                    stored.conflicts.append(Reading(*key, timestamp_ms, value))
            if new:
                ahead = fresh.get(key)
                fresh[key] = Run.of(new + ahead.samples if ahead else new)
        stored.result = WriteResult(0, duplicates)
        return stored

    async def _drop_resent(
        self, stored: Stored, values: dict[Key, float], sent: Mapping[Key, float]
    ) -> None:
        """Count as duplicates the conflicts whose values as sent agree (one query of the raw
        series): an offset set or changed between two sends of a reading makes no conflict."""
        rooms = sorted({r.room_id for r in stored.conflicts})
        times = [r.timestamp_ms for r in stored.conflicts]
        reader = await self.reader()
        raws = {
            (r.room_id, r.sensor_id, r.timestamp_ms): r.value
            for r in await reader.raw(rooms, min(times), max(times) + 1, metric=RAW_METRIC)
        }
        kept = []
        for reading in stored.conflicts:
            key = (reading.room_id, reading.sensor_id, reading.timestamp_ms)
            was, now = raws.get(key, values[key]), sent.get(key, reading.value)
            if not math.isclose(was, now, rel_tol=SAME_VALUE_TOLERANCE):
                kept.append(reading)
        resent = len(stored.conflicts) - len(kept)
        stored.conflicts = kept
        stored.result = WriteResult(0, stored.result.duplicates + resent)

    async def _stored_values(self, behind: SeriesBatch) -> dict[Key, float]:
        """The stored values at the samples' identities, in one query. Series not known yet
        first count what their rooms hold from the batch on: nothing (a history import) means
        nothing to fetch; a little is fetched whole, so that their newest samples are known."""
        low, high = span(behind)
        rooms = sorted({room_id for room_id, _ in behind})
        unknown = {key for key in behind if self.newest.known(*key) is None}
        reader = await self.reader()
        learn = False
        if unknown:
            ahead = self._now_ms() + LEARN_AHEAD_MS
            held = await reader.count(rooms, low, ahead)
            if held == 0:
                self._learn(unknown, low - 1, [])
                return {}
            learn = held <= LEARN_MAX_SAMPLES
            high = max(high, ahead) if learn else high
        found = await reader.raw(rooms, low, high)
        if learn:
            self._learn(unknown, low - 1, found)
        return {(r.room_id, r.sensor_id, r.timestamp_ms): r.value for r in found}

    def _learn(self, series: set[SeriesKey], floor_ms: int, found: list[Reading]) -> None:
        """Record each series' newest sample: the newest found, or `floor_ms` (nothing after it)."""
        newest = dict.fromkeys(series, floor_ms)
        for reading in found:
            key = (reading.room_id, reading.sensor_id)
            if key in newest:
                newest[key] = max(newest[key], reading.timestamp_ms)
        for key, newest_ms in newest.items():
            self.newest.learn(*key, newest_ms)

    async def _write(self, fresh: SeriesBatch, result: WriteResult) -> None:
        now_ms = self._now_ms()
        new_rooms = await self.rooms.unregistered({room_id for room_id, _ in fresh}, now_ms)
        self.rooms.head.saw(span(fresh)[1] - 1)
        created = self.rooms.creation_series(new_rooms, now_ms)
        info = [(labels_bytes(labels), encode_samples(samples)) for labels, samples in created]
        await self.send(fresh, info, result)
        self.rooms.remember(new_rooms)
        self.newest.wrote(list(fresh), list(map(LAST_MS, fresh.values())))

    async def send(self, batch: SeriesBatch, extra: EncodedSeries, result: WriteResult) -> None:
        """Send the batch (and `extra` series with the first request) in requests the engine
        takes; Unsent when it fails, naming what did not go in."""
        queue = deque(pieces(batch, self.max_samples))
        while queue:
            piece = queue.popleft()
            try:
                await self.client.write(encode_labelled(extra + series_of(piece)))
            except EngineMisconfigured as exc:
                if exc.status == 413 and size(piece) > 1:
                    self.max_samples = size(piece) // 2
                    queue.extendleft(reversed(halves(piece)))
                    continue
                if exc.status == 413:  # even one sample is too large: not a matter of size
                    self.max_samples = MAX_SAMPLES_PER_REQUEST
                raise Unsent(exc, _joined(piece, queue), result) from exc
            except StorageError as exc:
                raise Unsent(exc, _joined(piece, queue), result) from exc
            extra = []

    def _now_ms(self) -> int:
        return round(self.wall_clock() * 1000)


def _joined(piece: SeriesBatch, rest: deque[SeriesBatch]) -> SeriesBatch:
    return merge([piece, *rest]).batch


_LABELS: dict[SeriesKey, bytes] = {}
_MAX_LABELS = 65536


def _reading_labels(key: SeriesKey) -> bytes:
    """The encoded labels of a room sensor's series (kept: every write needs them)."""
    found = _LABELS.get(key)
    if found is None:
        if len(_LABELS) >= _MAX_LABELS:
            _LABELS.clear()
        found = _LABELS[key] = labels_bytes(
            series_labels(READINGS_METRIC, room=key[0], sensor=key[1])
        )
    return found


def series_of(batch: SeriesBatch) -> EncodedSeries:
    """The batch as remote write sends it: each series' labels and samples, encoded."""
    return [(_reading_labels(key), run.encoded) for key, run in batch.items()]
