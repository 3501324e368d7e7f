"""The room registry of the Prometheus backend: info series read back with `last_over_time`.

A room exists while its info series has a sample within the metadata window; every replica
re-asserts the rooms it sees, so the registry survives as long as one replica runs (and a replica
that starts looks back over the whole horizon once, to revive it after a long stop).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from roomtemp.domain import RoomMeta
from roomtemp.storage.engine import EngineClient
from roomtemp.storage.promql import ROOM_INFO_METRIC, duration, selector
from roomtemp.storage.remote_write import Labels, Sample, encode
from roomtemp.storage.room_info import VersionedRoom, info_series, newest_rooms

_CLOCK_SLACK_MS = 60_000
"""Queries look this far past now, for replicas whose clocks run a little ahead."""
_KNOWN_FOR_SECONDS = 60.0
_REASSERT_CHUNK = 1000


class RoomRegistry:
    """Which rooms exist and their metadata, as the engine holds them."""

    def __init__(self, client: EngineClient, window_ms: int, horizon_ms: int) -> None:
        self.client = client
        self.window_ms = window_ms
        self.horizon_ms = horizon_ms
        self._known: dict[str, float] = {}

    async def versions(
        self, room_ids: Sequence[str] | None, now_ms: int, window_ms: int | None = None
    ) -> dict[str, VersionedRoom]:
        """Per room, the newest metadata and its version."""
        rooms = None if room_ids is None else (room_ids[0] if len(room_ids) == 1 else room_ids)
        look_back = duration((window_ms or self.window_ms) + _CLOCK_SLACK_MS)
        query = f"last_over_time({selector(ROOM_INFO_METRIC, room=rooms)}[{look_back}])"
        found = await self.client.instant(query, now_ms + _CLOCK_SLACK_MS)
        return newest_rooms((labels, samples[-1][1]) for labels, samples in found if samples)

    async def get(self, room_id: str, now_ms: int) -> RoomMeta | None:
        found = (await self.versions([room_id], now_ms)).get(room_id)
        return None if found is None else found[0]

    async def all(self, now_ms: int) -> list[RoomMeta]:
        found = await self.versions(None, now_ms)
        return [found[room_id][0] for room_id in sorted(found)]

    async def put(self, meta: RoomMeta, now_ms: int) -> bool:
        """Write new metadata (its version is the time of the change); True if the room is new."""
        known = await self.versions([meta.room_id], now_ms)
        await self.client.write(encode(info_series(meta, float(now_ms), now_ms)))
        self.remember([meta.room_id])
        return meta.room_id not in known

    async def unregistered(self, room_ids: Iterable[str], now_ms: int) -> list[str]:
        """The rooms that have no info series yet (so this write creates them)."""
        now = time.monotonic()
        unsure = sorted(room for room in room_ids if self._known.get(room, 0.0) < now)
        if not unsure:
            return []
        found = await self.versions(unsure, now_ms)
        self.remember(found)
        return [room for room in unsure if room not in found]

    def creation_series(
        self, room_ids: Sequence[str], now_ms: int
    ) -> list[tuple[Labels, list[Sample]]]:
        """Info series of rooms created by a reading: empty metadata at version 0, so that
        metadata put by any replica wins over it."""
        return [s for room in room_ids for s in info_series(RoomMeta(room), 0.0, now_ms)]

    def remember(self, room_ids: Iterable[str]) -> None:
        until = time.monotonic() + _KNOWN_FOR_SECONDS
        self._known.update((room, until) for room in room_ids)

    def forget(self, room_id: str) -> None:
        self._known.pop(room_id, None)

    async def reassert(self, now_ms: int, *, long_look: bool) -> int:
        """Write every room's current metadata again at `now`; returns how many rooms."""
        found = await self.versions(None, now_ms, self.horizon_ms if long_look else None)
        rooms = list(found.values())
        for start in range(0, len(rooms), _REASSERT_CHUNK):
            chunk = rooms[start : start + _REASSERT_CHUNK]
            series = [s for meta, version in chunk for s in info_series(meta, version, now_ms)]
            await self.client.write(encode(series))
        return len(rooms)
