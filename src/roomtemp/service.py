"""The service layer: validated input in, storage calls out. No HTTP, no SQL, no PromQL here."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from roomtemp.alerts.evaluate import Alert, AlertEvaluator, Episode, Evaluation
from roomtemp.alerts.pacing import paced
from roomtemp.alerts.rules import AlertRules
from roomtemp.alerts.state import RoomValue, room_value
from roomtemp.domain import (
    Aggregate,
    ReadingsPage,
    RoomMeta,
    SensorLatest,
    SensorSettings,
    SetAsidePage,
    WriteResult,
)
from roomtemp.errors import RoomNotFound, StorageError, TooLarge
from roomtemp.listing import (
    AlertsQuery,
    RoomsPage,
    RoomsQuery,
    RoomView,
    SensorView,
    located,
    matches,
    sensor_views,
    view_of,
)
from roomtemp.screening import Screening, screen
from roomtemp.statistics import StatsQuery, Summary, stats_buckets, summarise
from roomtemp.storage.base import ReportsStatus, Storage, StorageStatus
from roomtemp.timeparse import (
    Bucket,
)
from roomtemp.validation import Limits, validate_batch

ROOMS_PER_READ = 1000
"""Rooms read from storage at a time when listing them (a filter may skip most)."""

Clock = Callable[[], float]
"""Returns the current time as epoch seconds; injected so that tests control time."""


@dataclass(frozen=True)
class ServiceOptions:
    """The rules the service applies: what a reading must pass, staleness, sizes of answers."""

    limits: Limits = field(default_factory=lambda: Limits(-60.0, 100.0, 300_000))
    stale_after_ms: int = 900_000
    max_batch: int = 10_000
    max_page: int = 10_000
    max_buckets: int = 11_000
    alerts: AlertRules = field(default_factory=AlertRules)
    screening: Screening = field(default_factory=Screening)


@dataclass(frozen=True)
class Readiness:
    """Whether writes can be taken now, why not, and the engine's state for backends with one."""

    ready: bool
    detail: str | None = None
    engine: StorageStatus | None = None


@dataclass(frozen=True)
class Temperature(RoomValue):
    """The current temperature of a room and the sensor readings it is made of."""

    room_id: str
    age_seconds: float


class RoomService:
    """What roomtemp does, independent of how it is asked."""

    def __init__(
        self, storage: Storage, options: ServiceOptions | None = None, clock: Clock = time.time
    ) -> None:
        self.storage = storage
        self.options = options if options is not None else ServiceOptions()
        self.clock = clock
        # one stale-after time for temperatures, room states and alerts
        rules = replace(self.options.alerts, stale_after_ms=self.options.stale_after_ms)
        self.evaluator = AlertEvaluator(storage, rules)

    def now_ms(self) -> int:
        return round(self.clock() * 1000)

    async def readiness(self) -> Readiness:
        """Ready while the storage answers (or, for an engine, while its spool takes writes)."""
        try:
            await self.storage.check()
        except StorageError as exc:
            return Readiness(False, str(exc), self.storage_status())
        return Readiness(True, None, self.storage_status())

    def storage_status(self) -> StorageStatus | None:
        """The engine's reachability and spool depth, for backends that have an engine."""
        return self.storage.status() if isinstance(self.storage, ReportsStatus) else None

    async def ingest(self, items: Sequence[object], room_id: str | None) -> WriteResult:
        """Validate a batch of raw items (parsed JSON, CSV or NDJSON) and store it atomically.

        InvalidInput locates each problem by the item's index; TooLarge above `max_batch`,
        whichever way the batch came (the HTTP routes refuse it before parsing all of it, an MQTT
        message of up to 8 MiB is refused here).
        """
        if len(items) > self.options.max_batch:
            raise TooLarge(
                f"{len(items)} readings in one batch, more than the limit of "
                f"{self.options.max_batch}; split the batch"
            )
        rules, limits = self.options.screening, self.options.limits
        batch = validate_batch(
            items, room_id=room_id, now_ms=self.now_ms(), limits=rules.validation_limits(limits)
        )
        screened = await screen(self.storage, batch.readings, limits, rules)
        stored = await self.storage.write(screened.readings)
        if screened.aside:
            await self.storage.set_aside(screened.aside)
        return WriteResult(
            stored.accepted,
            stored.duplicates + batch.duplicates,
            stored.spooled,
            screened.counts() if rules.quarantine else None,
        )

    async def quarantine(
        self, room_id: str, start_ms: int, end_ms: int, after: tuple[int, str] | None, limit: int
    ) -> SetAsidePage:
        """Readings of the room set aside at ingest in `[start, end)`, oldest first."""
        await self._require(room_id)
        return await self.storage.set_aside_readings(room_id, start_ms, end_ms, after, limit)

    async def put_room(self, meta: RoomMeta) -> tuple[RoomView, bool]:
        created = await self.storage.put_room(meta)
        return await self.room(meta.room_id), created

    async def room(self, room_id: str) -> RoomView:
        meta = await self._require(room_id)
        evaluation = await self.evaluator.evaluate([meta], self.now_ms())
        return view_of(evaluation, meta)

    async def rooms(self, query: RoomsQuery) -> RoomsPage:
        """A page of rooms sorted by id, each with its current state. Rooms are read and
        evaluated a page at a time, so any number of rooms (and a state filter that matches few
        of them) cost bounded pieces of work."""
        found: list[RoomView] = []
        # a small page (the dashboard's first) reads only what it shows, and one more to know
        # whether more follow; when filters skip rooms, later reads take ROOMS_PER_READ
        after, size = query.after, query.limit + 1
        while True:
            # the rooms and their sensors in one read (one thread hop or engine round)
            read = await self.storage.read_rooms(
                after=after, limit=size, keep=lambda meta: matches(meta, query)
            )
            evaluation = await self.evaluator.evaluate(read.rooms, self.now_ms(), read)
            async for meta in paced(read.rooms):
                view = view_of(evaluation, meta)
                if query.states is None or view.current.state in query.states:
                    found.append(view)
                if len(found) == query.limit:
                    more = meta is not read.listed[-1] or len(read.listed) == size
                    return RoomsPage(found, meta.room_id if more else None)
            if len(read.listed) < size:
                return RoomsPage(found, None)
            after, size = read.listed[-1].room_id, max(size, ROOMS_PER_READ)

    async def alerts(self, query: AlertsQuery) -> list[Alert]:
        """The alerts active now, derived from the stored data."""

        def wanted(meta: RoomMeta) -> bool:
            return (
                located(meta, query.building, query.floor)
                and (query.room_id is None or meta.room_id == query.room_id)
                and query.visible(meta.room_id)
            )

        read = await self.storage.read_rooms(keep=wanted)
        evaluation = await self.evaluator.evaluate(read.rooms, self.now_ms(), read)
        return [
            alert
            for alert in await evaluation.alerts()
            if (query.kinds is None or alert.kind in query.kinds)
            and (query.states is None or alert.state in query.states)
        ]

    async def evaluate_all(self) -> Evaluation:
        """Every room evaluated now (for the notifier)."""
        read = await self.storage.read_rooms()
        return await self.evaluator.evaluate(read.rooms, self.now_ms(), read)

    async def episodes(self, room_id: str, start_ms: int, end_ms: int) -> list[Episode]:
        """The room's alert episodes in `[start, end)`, oldest first."""
        meta = await self._require(room_id)
        return await self.evaluator.episodes(meta, start_ms, end_ms, self.now_ms())

    async def sensors_by_room(self) -> list[tuple[RoomMeta, list[SensorLatest]]]:
        """Every room with the newest reading of each of its sensors."""
        read = await self.storage.read_rooms()
        return [(meta, read.latest.get(meta.room_id, [])) for meta in read.rooms]

    async def put_sensor(self, room_id: str, settings: SensorSettings) -> tuple[SensorView, bool]:
        """Create or replace a sensor's settings (creating its room); True when they are new."""
        created = await self.storage.put_sensor(room_id, settings)
        return await self.sensor(room_id, settings.sensor_id), created

    async def sensors(self, room_id: str) -> list[SensorView]:
        """A room's sensors: those with settings and those with readings."""
        await self._require(room_id)
        settings = (await self.storage.sensor_settings([room_id])).get(room_id, [])
        latest = (await self.storage.latest([room_id])).get(room_id, [])
        return sensor_views(settings, latest)

    async def sensor(self, room_id: str, sensor_id: str) -> SensorView:
        """One sensor of a known room (one never heard of nor set has no settings yet)."""
        for view in await self.sensors(room_id):
            if view.sensor_id == sensor_id:
                return view
        return SensorView(sensor_id, None, None)

    async def delete_room(self, room_id: str) -> None:
        if not await self.storage.delete_room(room_id):
            raise RoomNotFound(room_id)

    async def temperature(self, room_id: str) -> Temperature:
        """Mean of each sensor's latest non-stale reading; of all, when all are stale."""
        await self._require(room_id)
        sensors = (await self.storage.latest([room_id])).get(room_id, [])
        if not sensors:
            raise RoomNotFound(room_id, "room has no readings yet")
        now_ms = self.now_ms()
        found = room_value(sensors, now_ms, self.options.stale_after_ms)
        return Temperature(
            room_id=room_id,
            value=found.value,
            timestamp_ms=found.timestamp_ms,
            age_seconds=(now_ms - found.timestamp_ms) / 1000,
            stale=found.stale,
            sensors=found.sensors,
        )

    async def readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        *,
        sensor_id: str | None,
        after: tuple[int, str] | None,
        limit: int,
    ) -> ReadingsPage:
        await self._require(room_id)
        return await self.storage.readings(
            room_id, start_ms, end_ms, sensor_id=sensor_id, after=after, limit=limit
        )

    async def stats(self, room_id: str, query: StatsQuery) -> tuple[Sequence[Aggregate], Summary]:
        """Aggregates per bucket of one room, and their summary."""
        await self._require(room_id)
        buckets = stats_buckets(query, self.options.max_buckets)
        found = (await self.storage.aggregate([room_id], buckets)).get(room_id, [])
        return found, summarise(found)

    async def cross_room_stats(
        self, start_ms: int, end_ms: int, building: str | None, floor: str | None
    ) -> list[tuple[str, Summary]]:
        """One summary per room over `[start, end)`, rooms sorted by id."""
        metas = _filtered(await self.storage.list_rooms(), building, floor)
        room_ids = [meta.room_id for meta in metas]
        bucket = Bucket(start_ms, end_ms, start_ms, end_ms)
        found = await self.storage.aggregate(room_ids, [bucket]) if room_ids else {}
        return [(room_id, summarise(found.get(room_id, []))) for room_id in room_ids]

    async def _require(self, room_id: str) -> RoomMeta:
        meta = await self.storage.get_room(room_id)
        if meta is None:
            raise RoomNotFound(room_id)
        return meta


def _filtered(metas: list[RoomMeta], building: str | None, floor: str | None) -> list[RoomMeta]:
    return [meta for meta in metas if located(meta, building, floor)]
