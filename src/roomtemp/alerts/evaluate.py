"""The evaluator: alerts, room states and episodes, derived from the stored data on request.

Nothing is kept between evaluations, so every replica and every backend gives the same answer.
Minutes come from `Storage.aggregate` (1-minute buckets) and sensors from `Storage.latest` (or
with the room list, from `Storage.read_rooms`); the cost follows what is wrong, not how many
rooms there are: one query gives every room's newest minutes, and only rooms out of their band
are looked at further back, in windows four times longer each time (a handful of queries per
evaluation, whatever the number of rooms).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from roomtemp.alerts.pacing import paced
from roomtemp.alerts.rules import MINUTE_MS, AlertRules, AlertState, Kind, threshold_of
from roomtemp.alerts.runs import Run, current_run, oldest_is_open, runs
from roomtemp.alerts.state import Current, current_of
from roomtemp.domain import (
    Aggregate,
    Comfort,
    Reading,
    RoomMeta,
    RoomsRead,
    SensorLatest,
    SensorSettings,
)
from roomtemp.storage.base import Storage
from roomtemp.timeparse import epoch_buckets

Intervals = dict[tuple[str, str | None], int]
"""Sensors' expected intervals (ms) by (room id, sensor id)."""
GROWTH = 2
"""Each look further back spans this many times what was looked at so far."""
PAGE = 10_000
CHUNK = 1000
"""Rooms evaluated together (one storage read of their sensors, one of their newest minutes)."""
"""Raw readings read per request when looking for silences."""


@dataclass(frozen=True)
class Alert:
    """One active alert: room level (sensor_id None) for too_hot/too_cold, sensor level for
    silent. `value` is the newest minute's mean (silent: the last reading), `threshold` the band
    edge crossed (silent: None)."""

    room_id: str
    sensor_id: str | None
    kind: Kind
    state: AlertState
    since_ms: int
    value: float
    threshold: float | None


@dataclass(frozen=True)
class Episode:
    """A past or present run of one kind: `end_ms` None while it goes on."""

    kind: Kind
    sensor_id: str | None
    start_ms: int
    end_ms: int | None
    peak: float | None


@dataclass(frozen=True)
class Evaluation:
    """What a set of rooms is at one instant: each room's sensors and the run it is in."""

    rules: AlertRules
    now_ms: int
    rooms: Sequence[RoomMeta]
    latest: dict[str, list[SensorLatest]]
    runs: dict[str, Run]
    intervals: Intervals = field(default_factory=dict)
    """Sensors' expected intervals (sensor settings), by (room, sensor)."""

    def current(self, room_id: str) -> Current:
        """The room's `current` (value, staleness, state and since)."""
        sensors = self.latest.get(room_id, [])
        run = self.runs.get(room_id)
        return current_of(sensors, run, self.now_ms, self.rules.stale_after_ms)

    async def alerts(self) -> list[Alert]:
        """Every active alert, by room, then room-level before sensor-level, then sensor."""
        found: list[Alert] = []
        async for meta in paced(self.rooms):
            run = self.runs.get(meta.room_id)
            if run is not None:
                found.append(self._room_alert(meta, run))
            found += self._silent(meta.room_id)
        return found

    def _room_alert(self, meta: RoomMeta, run: Run) -> Alert:
        lasted = self.now_ms - run.start_ms
        state = AlertState.firing if lasted >= self.rules.for_ms else AlertState.pending
        threshold = threshold_of(run.kind, self.rules.band(meta.comfort))
        return Alert(meta.room_id, None, run.kind, state, run.start_ms, run.value, threshold)

    def _silent(self, room_id: str) -> list[Alert]:
        return [
            Alert(
                room_id, s.sensor_id, Kind.silent, AlertState.firing, s.timestamp_ms, s.value, None
            )
            for s in sorted(self.latest.get(room_id, []), key=lambda s: s.sensor_id or "")
            if is_silent(self.rules, s, self.now_ms, self.intervals.get((room_id, s.sensor_id)))
        ]


def intervals_of(settings: dict[str, list[SensorSettings]]) -> Intervals:
    """The expected intervals of the sensors that have one, by (room, sensor)."""
    return {
        (room_id, s.sensor_id): s.expected_interval_ms
        for room_id, sensors in settings.items()
        for s in sensors
        if s.expected_interval_ms is not None
    }


def is_silent(
    rules: AlertRules, sensor: SensorLatest, now_ms: int, interval_ms: int | None = None
) -> bool:
    """Quiet for longer than the sensor may be (by its expected interval, if it has one), but
    heard from within the lookback (a sensor quiet for longer is taken as removed; the
    Prometheus rule looks back as far)."""
    age = now_ms - sensor.timestamp_ms
    return rules.silent_after_ms(interval_ms) < age <= rules.lookback_ms


class AlertEvaluator:
    """Evaluates rooms against the alert rules, reading from one storage backend."""

    def __init__(self, storage: Storage, rules: AlertRules) -> None:
        self.storage = storage
        self.rules = rules

    async def evaluate(
        self, rooms: Sequence[RoomMeta], now_ms: int, known: RoomsRead | None = None
    ) -> Evaluation:
        """The state of these rooms now, evaluated CHUNK rooms at a time: each piece of work
        (and each engine query) stays small, and other requests are answered in between.
        `known`: these rooms' sensors as read with their list (not read again)."""
        parts = [
            await self._evaluate_chunk(rooms[first : first + CHUNK], now_ms, known)
            for first in range(0, len(rooms), CHUNK)
        ]
        latest = {room: sensors for part in parts for room, sensors in part.latest.items()}
        found = {room: run for part in parts for room, run in part.runs.items()}
        intervals = {key: ms for part in parts for key, ms in part.intervals.items()}
        return Evaluation(self.rules, now_ms, rooms, latest, found, intervals)

    async def _evaluate_chunk(
        self, rooms: Sequence[RoomMeta], now_ms: int, known: RoomsRead | None
    ) -> Evaluation:
        room_ids = [meta.room_id for meta in rooms]
        if known is not None:
            latest = {r: known.latest[r] for r in room_ids if r in known.latest}
            settings = {r: known.settings[r] for r in room_ids if r in known.settings}
            found = await self._current_runs(await self._candidates(rooms, latest, now_ms), now_ms)
            return Evaluation(self.rules, now_ms, rooms, latest, found, intervals_of(settings))
        # the sensors' settings are read beside the rest (a thread or an engine query each)
        intervals = asyncio.ensure_future(self._intervals(room_ids))
        try:
            latest = await self.storage.latest(room_ids)
            bands = await self._candidates(rooms, latest, now_ms)
            found = await self._current_runs(bands, now_ms)
        except BaseException:
            intervals.cancel()
            raise
        return Evaluation(self.rules, now_ms, rooms, latest, found, await intervals)

    async def _intervals(self, room_ids: Sequence[str]) -> Intervals:
        """The expected intervals of these rooms' sensors that have one."""
        if not room_ids:
            return {}
        return intervals_of(await self.storage.sensor_settings(room_ids))

    async def _candidates(
        self, rooms: Sequence[RoomMeta], latest: dict[str, list[SensorLatest]], now_ms: int
    ) -> dict[str, Comfort]:
        """Rooms with a band whose newest minute can still be current."""
        recent = now_ms - self.rules.stale_after_ms - MINUTE_MS
        bands = {}
        async for meta in paced(rooms):
            band = self.rules.band(meta.comfort)
            sensors = latest.get(meta.room_id, [])
            has_edge = band.min_celsius is not None or band.max_celsius is not None
            if has_edge and any(s.timestamp_ms >= recent for s in sensors):
                bands[meta.room_id] = band
        return bands

    async def _current_runs(self, bands: dict[str, Comfort], now_ms: int) -> dict[str, Run]:
        gap = self.rules.stale_after_ms
        low = minute_floor(now_ms - gap - MINUTE_MS)
        floor = minute_floor(now_ms - self.rules.lookback_ms)
        minutes = await self._minutes(list(bands), low, now_ms)
        found: dict[str, Run] = {}
        while bands:
            reopened = {}
            async for room_id, band in paced(bands.items()):
                run, oldest = current_run(minutes.get(room_id, []), band, gap, now_ms)
                if run is None:
                    continue
                if oldest and run.start_ms - gap < low and low > floor:
                    reopened[room_id] = band
                else:
                    found[room_id] = run
            bands, low = reopened, await self._reach_back(minutes, reopened, low, floor, now_ms)
        return found

    async def _reach_back(
        self,
        minutes: dict[str, list[Aggregate]],
        bands: dict[str, Comfort],
        low_ms: int,
        floor_ms: int,
        now_ms: int,
    ) -> int:
        """Prepend the minutes before `low_ms` of these rooms; the new low bound."""
        if not bands:
            return low_ms
        new_low = max(floor_ms, minute_floor(low_ms - GROWTH * (now_ms - low_ms)))
        earlier = await self._minutes(list(bands), new_low, low_ms)
        for room_id in bands:
            minutes[room_id] = earlier.get(room_id, []) + minutes.get(room_id, [])
        return new_low

    async def _minutes(
        self, room_ids: Sequence[str], low_ms: int, high_ms: int
    ) -> dict[str, list[Aggregate]]:
        """Per room, the minutes of `[low, high)` that hold readings."""
        if not room_ids or low_ms >= high_ms:
            return {}
        buckets = epoch_buckets(low_ms, high_ms, MINUTE_MS)
        found = await self.storage.plain_aggregate(room_ids, buckets)
        return {room_id: list(minutes) for room_id, minutes in found.items()}

    async def episodes(
        self, meta: RoomMeta, start_ms: int, end_ms: int, now_ms: int
    ) -> list[Episode]:
        """The room's runs and its sensors' silences in `[start, end)`, oldest first."""
        high = min(end_ms, now_ms)
        if start_ms >= high:
            return []
        found = await self._room_episodes(meta, start_ms, high, now_ms)
        found += await self._silences(meta.room_id, start_ms, high, now_ms)
        return sorted(found, key=lambda e: (e.start_ms, e.kind != Kind.silent, e.sensor_id or ""))

    async def _room_episodes(
        self, meta: RoomMeta, start_ms: int, high_ms: int, now_ms: int
    ) -> list[Episode]:
        """Runs overlapping the range; the first shows its real start (looking back at most the
        lookback), and the one going on now has no end."""
        band = self.rules.band(meta.comfort)
        if band.min_celsius is None and band.max_celsius is None:
            return []
        gap, room = self.rules.stale_after_ms, {meta.room_id: band}
        minutes = await self._minutes([meta.room_id], start_ms, high_ms)
        low, floor = start_ms, minute_floor(start_ms - self.rules.lookback_ms)
        while True:
            found = minutes.get(meta.room_id, [])
            overlapping = [run for run in runs(found, band, gap) if run.end_ms > start_ms]
            opened = oldest_is_open(overlapping, found) and found[0].start_ms - gap < low
            if not opened or low <= floor:
                break
            low = await self._reach_back(minutes, room, low, floor, high_ms)
        ongoing, _ = current_run(found, band, gap, now_ms)
        live = high_ms == now_ms
        return [
            Episode(
                run.kind,
                None,
                run.start_ms,
                None if live and run == ongoing else run.end_ms,
                run.peak,
            )
            for run in overlapping
        ]

    async def _silences(
        self, room_id: str, start_ms: int, high_ms: int, now_ms: int
    ) -> list[Episode]:
        """Gaps longer than a sensor may be quiet, from its readings since `start` minus that
        time (a silence that began earlier is not seen); the one going on now has no end."""
        intervals = await self._intervals([room_id])
        quiet = {s: self.rules.silent_after_ms(ms) for (_, s), ms in intervals.items()}
        default = self.rules.silent_after_ms(None)
        previous: dict[str | None, int] = {}
        found = []
        reach = max([default, *quiet.values()])
        async for reading in self._readings(room_id, start_ms - reach, high_ms):
            sensor = reading.sensor_id
            before = previous.get(sensor)
            if before is not None and reading.timestamp_ms - before > quiet.get(sensor, default):
                found.append(Episode(Kind.silent, sensor, before, reading.timestamp_ms, None))
            previous[sensor] = reading.timestamp_ms
        if high_ms == now_ms:
            found += [
                Episode(Kind.silent, sensor, last, None, None)
                for sensor, last in previous.items()
                if quiet.get(sensor, default) < now_ms - last <= self.rules.lookback_ms
            ]
        return [episode for episode in found if episode.end_ms is None or episode.end_ms > start_ms]

    async def _readings(self, room_id: str, low_ms: int, high_ms: int) -> AsyncIterator[Reading]:
        after = None
        while True:
            page = await self.storage.readings(room_id, low_ms, high_ms, after=after, limit=PAGE)
            for reading in page.readings:
                yield reading
            if page.next_after is None:
                return
            after = page.next_after


def minute_floor(ms: int) -> int:
    """The start of the minute holding `ms`."""
    return ms // MINUTE_MS * MINUTE_MS
