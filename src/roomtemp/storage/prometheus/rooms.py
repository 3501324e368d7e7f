"""Room metadata in the engine: info series written by every replica, read back with
`last_over_time`.

`roomtemp_room_info{room, name, building, floor, labels, comfort_min, comfort_max}` holds all of
it (labels as JSON, comfort bounds as exact float text); its value is the version (epoch ms of the
change), so the newest label set wins when metadata changes. The comfort bounds are also written as
`roomtemp_room_comfort_{min,max}_celsius{room}` gauges for alert rules to join on.

A room exists while its info series has a sample within the metadata window; every replica
re-asserts the rooms it sees, so the registry survives as long as one replica runs (and a replica
that starts looks back over the whole horizon once, to revive it after a long stop; until that
is done, its own look-ups reach over the horizon too).

Info samples are stamped at `Head.stamp(now)`: now, or the newest reading if the engine holds
nothing newer (a history import into an empty engine), so that they never push Prometheus's head
ahead of the readings, and each a millisecond after the one before; look-backs reach back to that
stamp, and to the oldest stamp this replica wrote since it last re-asserted every room (a room
described while the head lay days back must not vanish when newer readings move the head to now).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import orjson

from roomtemp.domain import Comfort, RoomMeta
from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.newest import Head, Stamps
from roomtemp.storage.prometheus.promql import (
    COMFORT_MAX_METRIC,
    COMFORT_MIN_METRIC,
    ROOM_INFO_METRIC,
    duration,
    room_match,
    selector,
)
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels

VersionedRoom = tuple[RoomMeta, float]

CLOCK_SLACK_MS = 60_000
"""Queries look this far past now, for replicas whose clocks run a little ahead."""
_KNOWN_FOR_SECONDS = 60.0
_REASSERT_CHUNK = 1000
_HEAD_PROBES_MS = (3_600_000, 86_400_000, 7 * 86_400_000, 31 * 86_400_000, 366 * 86_400_000)


class RoomRegistry:
    """Which rooms exist and their metadata, as the engine holds them."""

    def __init__(self, client: EngineClient, window_ms: int, horizon_ms: int) -> None:
        self.client = client
        self.window_ms = window_ms
        self.horizon_ms = horizon_ms
        self.head = Head()
        self._known: dict[str, float] = {}
        self._reasserted_at: int | None = None
        self.stamps = Stamps(self.head)

    async def find_head(self, now_ms: int) -> None:
        """Where the newest room info lies (a lower bound), for a replica that just started:
        looking back over growing windows through the series API, which reads no samples."""
        for window_ms in _HEAD_PROBES_MS:
            found = await self.client.series(
                selector(ROOM_INFO_METRIC), now_ms - window_ms, now_ms + CLOCK_SLACK_MS
            )
            if found:
                self.head.saw(now_ms if window_ms == _HEAD_PROBES_MS[0] else now_ms - window_ms)
                return

    async def versions(
        self, room_ids: Sequence[str] | None, now_ms: int, window_ms: int | None = None
    ) -> dict[str, VersionedRoom]:
        """Per room, the newest metadata and its version."""
        rooms = room_match(room_ids)
        behind_ms = self.stamps.behind_ms(now_ms)
        window_ms = window_ms or self.stamps.window_ms(self.window_ms, self.horizon_ms)
        look_back = duration(window_ms + behind_ms + CLOCK_SLACK_MS)
        query = f"last_over_time({selector(ROOM_INFO_METRIC, room=rooms)}[{look_back}])"
        found = await self.client.instant(query, now_ms + CLOCK_SLACK_MS)
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
        await self.client.write(encode(info_series(meta, float(now_ms), self.stamps.take(now_ms))))
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
        metadata put by any replica wins over it; stamped at the head's stamp."""
        if not room_ids:
            return []
        stamp = self.stamps.take(now_ms)
        return [s for room in room_ids for s in info_series(RoomMeta(room), 0.0, stamp)]

    def remember(self, room_ids: Iterable[str]) -> None:
        until = time.monotonic() + _KNOWN_FOR_SECONDS
        self._known.update((room, until) for room in room_ids)

    def forget(self, room_id: str) -> None:
        self._known.pop(room_id, None)

    async def reassert(self, now_ms: int, *, long_look: bool) -> int:
        """Write every room's current metadata again at the head's stamp, unless no newer reading
        was seen since the last time (the stamp would hardly move); returns how many rooms."""
        seen = self.head.newest_ms
        if seen is not None and seen == self._reasserted_at and not long_look:
            return 0
        self.stamps.begin()
        found = await self.versions(None, now_ms, self.horizon_ms if long_look else None)
        rooms = list(found.values())
        if not rooms:
            self.stamps.revived |= long_look
            return 0
        written = self.stamps.take(now_ms)
        for start in range(0, len(rooms), _REASSERT_CHUNK):
            chunk = rooms[start : start + _REASSERT_CHUNK]
            series = [s for meta, version in chunk for s in info_series(meta, version, written)]
            await self.client.write(encode(series))
        # every room is stamped at `written` now, and later stamps come after it
        self._reasserted_at = seen
        self.stamps.reasserted(written)
        self.stamps.revived |= long_look
        return len(rooms)


def info_series(meta: RoomMeta, version: float, at_ms: int) -> list[tuple[Labels, list[Sample]]]:
    """The series that assert a room's metadata at `at_ms`."""
    comfort = meta.comfort
    info = series_labels(
        ROOM_INFO_METRIC,
        room=meta.room_id,
        name=meta.name,
        building=meta.building,
        floor=meta.floor,
        labels=orjson.dumps(meta.labels, option=orjson.OPT_SORT_KEYS).decode()
        if meta.labels
        else None,
        comfort_min=_number(comfort.min_celsius),
        comfort_max=_number(comfort.max_celsius),
    )
    series = [(info, [(at_ms, version)])]
    for metric, bound in (
        (COMFORT_MIN_METRIC, comfort.min_celsius),
        (COMFORT_MAX_METRIC, comfort.max_celsius),
    ):
        if bound is not None:
            series.append((series_labels(metric, room=meta.room_id), [(at_ms, bound)]))
    return series


def newest_rooms(found: Iterable[tuple[dict[str, str], float]]) -> dict[str, VersionedRoom]:
    """Per room, the metadata of the info series with the highest version."""
    rooms: dict[str, VersionedRoom] = {}
    for labels, version in found:
        room_id = labels.get("room")
        if not room_id:
            continue
        known = rooms.get(room_id)
        if known is None or version > known[1]:
            rooms[room_id] = (_meta(room_id, labels), version)
    return rooms


def _meta(room_id: str, labels: dict[str, str]) -> RoomMeta:
    return RoomMeta(
        room_id=room_id,
        name=labels.get("name") or None,
        building=labels.get("building") or None,
        floor=labels.get("floor") or None,
        labels=orjson.loads(labels["labels"]) if labels.get("labels") else {},
        comfort=Comfort(_float(labels.get("comfort_min")), _float(labels.get("comfort_max"))),
    )


def _number(value: float | None) -> str | None:
    return None if value is None else repr(value)


def _float(text: str | None) -> float | None:
    return float(text) if text else None
