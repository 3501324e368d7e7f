"""The one interface every storage backend implements, and the contract suite tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from roomtemp.domain import (
    Aggregate,
    Reading,
    ReadingsPage,
    RoomMeta,
    RoomsRead,
    SensorLatest,
    SensorSettings,
    SetAside,
    SetAsidePage,
    WriteResult,
)
from roomtemp.timeparse import Bucket


@runtime_checkable
class Storage(Protocol):
    """Readings and room metadata. All times are epoch ms (UTC), all values degrees Celsius.

    Backends raise only roomtemp.errors exceptions; driver errors are mapped at this boundary.
    """

    async def check(self) -> None:
        """Raise StorageUnavailable unless the backend answers."""

    async def close(self) -> None:
        """Flush what is pending and release connections."""

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        """Store a batch atomically: all of it, or nothing (ConflictingReading).

        The batch holds no two readings with the same identity (the service removed them).
        Rooms are created by their first reading. Each sensor's offset (sensor settings) is
        added as the batch is stored, the value as sent kept beside it; identities compare the
        values as sent (storage/calibration.py).
        """

    async def set_aside(self, readings: Sequence[SetAside]) -> None:
        """Keep readings aside with their reason (creating their rooms); another one with the
        same identity replaces it. They count in no stats and no alert."""

    async def set_aside_readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> SetAsidePage:
        """Readings set aside in `[start, end)` by (timestamp, sensor id), after `after`."""

    async def put_sensor(self, room_id: str, settings: SensorSettings) -> bool:
        """Create or replace a sensor's settings, creating its room; True when they are new."""

    async def sensor_settings(
        self, room_ids: Sequence[str] | None = None
    ) -> dict[str, list[SensorSettings]]:
        """Per room, the settings of its sensors that have some, sorted by sensor id (all rooms
        when `room_ids` is None)."""

    async def put_room(self, meta: RoomMeta) -> bool:
        """Create or replace a room's metadata; True when the room is new."""

    async def get_room(self, room_id: str) -> RoomMeta | None:
        """A room's metadata, or None for an unknown room."""

    async def list_rooms(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[RoomMeta]:
        """Rooms sorted by room id: every one, or at most `limit` of those after `after`."""

    async def read_rooms(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        keep: Callable[[RoomMeta], bool] | None = None,
    ) -> RoomsRead:
        """`list_rooms(after=after, limit=limit)`, the rooms `keep` keeps (all when None), and
        their sensors' newest readings and settings, read together where the backend can (a
        room list and its states in one trip to the store instead of two after each other).
        `keep` must be a quick check without side effects: a backend may call it in a worker
        thread."""

    async def delete_room(self, room_id: str) -> bool:
        """Delete a room and its readings; False when the room is unknown."""

    async def latest(self, room_ids: Sequence[str] | None = None) -> dict[str, list[SensorLatest]]:
        """The newest reading of each sensor, per room (all rooms when `room_ids` is None)."""

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
        """Readings in `[start, end)` ordered by (timestamp, sensor id), strictly after `after`.

        `sensor_id` None means every sensor; the anonymous sensor's key is the empty string.
        """

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> Mapping[str, Sequence[Aggregate]]:
        """Per room, one Aggregate per bucket holding readings in `[clip_start, clip_end)`.

        Buckets without readings are left out; aggregates carry the bucket's aligned bounds.
        A backend may answer AggregateColumns (with the whole range's totals).
        """

    async def plain_aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> Mapping[str, Sequence[Aggregate]]:
        """As `aggregate`, but only each bucket's count, total, minimum and maximum need be
        right (the time-weighted parts may be zero): the plain means alerts judge minutes by,
        for many rooms at once, at a fraction of the cost where a backend can."""


ROOMS_PER_QUERY = 1000
"""Rooms whose sensors one query of `read_rooms_apart` asks for."""


async def read_rooms_apart(
    storage: Storage,
    after: str | None,
    limit: int | None,
    keep: Callable[[RoomMeta], bool] | None,
) -> RoomsRead:
    """`Storage.read_rooms` from the list, then the kept rooms' newest readings and settings
    (side by side, ROOMS_PER_QUERY rooms at a time so each engine query stays small): for a
    backend whose reads cannot share one trip."""
    listed = await storage.list_rooms(after=after, limit=limit)
    kept = listed if keep is None else [meta for meta in listed if keep(meta)]
    latest: dict[str, list[SensorLatest]] = {}
    settings: dict[str, list[SensorSettings]] = {}
    for first in range(0, len(kept), ROOMS_PER_QUERY):
        room_ids = [meta.room_id for meta in kept[first : first + ROOMS_PER_QUERY]]
        newest, given = await asyncio.gather(
            storage.latest(room_ids), storage.sensor_settings(room_ids)
        )
        latest.update(newest)
        settings.update(given)
    return RoomsRead(listed, kept, latest, settings)


@dataclass(frozen=True)
class StorageOptions:
    """What a backend needs besides its URL; each backend reads the options it knows.

    Plain values, so that storage knows nothing of where they came from (ROOMTEMP_* settings,
    a test, a benchmark). Durations are in seconds.
    """

    spool_dir: Path = Path("./data/spool")
    spool_max_bytes: int = 256 * 1024 * 1024
    write_url: str | None = None
    query_url: str | None = None
    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    horizon_seconds: float = 3650 * 86400.0
    meta_refresh_seconds: float = 300.0
    meta_window_seconds: float = 86400.0
    flush_url: str | None = None
    retention_raw_seconds: float | None = None
    retention_rollups_seconds: float | None = None
    decoded_cache_bytes: int = 16 * 1024 * 1024
    """Embedded store: decoded rollups kept per store object, least recently used out first."""
    stale_after_seconds: float = 900.0
    """How long a reading holds its value (time-weighted means and coverage)."""


@dataclass(frozen=True)
class StorageStatus:
    """What a backend with a remote engine reports for /readyz and /metrics."""

    engine_up: bool
    spooled_readings: int
    set_aside_readings: int
    problem: str | None = None
    """Why writes do not reach the engine now (None while they do)."""
    refusal_status: int | None = None
    """The HTTP status by which the engine refuses roomtemp's writes for a configuration reason."""
    replayed_readings: int = 0
    damaged_records: int = 0
    lost_readings: int = 0
    """Spool records found damaged since start, and the readings known to be lost with them."""


@runtime_checkable
class ReportsStatus(Protocol):
    """A backend that can say whether its engine answers and how much waits in its spool."""

    def status(self) -> StorageStatus:
        """The current state, without any I/O."""
