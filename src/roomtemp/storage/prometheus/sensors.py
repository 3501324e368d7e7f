"""Sensor settings in the engine, kept like room metadata (rooms.py): info series that every
replica reads back and re-asserts, so that every replica agrees.

`roomtemp_sensor_info{room, sensor, offset_celsius, expected_interval_ms}` (the numbers as exact
text), its value the version (epoch ms of the change): the newest wins. Sensors with an expected
interval also get `roomtemp_sensor_expected_interval_seconds{room, sensor}` for alert rules to
join on. Writes calibrate with offsets cached for a minute per room (a PUT on this replica takes
effect at once, one on another replica within that minute).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from roomtemp.domain import SensorKey, SensorSettings
from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.newest import Stamps
from roomtemp.storage.prometheus.promql import (
    EXPECTED_INTERVAL_METRIC,
    SENSOR_INFO_METRIC,
    duration,
    room_match,
    selector,
)
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels
from roomtemp.storage.prometheus.rooms import CLOCK_SLACK_MS, RoomRegistry

_NEVER_READ: tuple[float, dict[str, float]] = (-math.inf, {})
Versioned = dict[str, dict[str, tuple[SensorSettings, float]]]


class SensorRegistry:
    """Sensor settings as the engine holds them; stamps and windows as the room registry's."""

    def __init__(self, client: EngineClient, rooms: RoomRegistry, offsets_for_ms: int) -> None:
        self.client = client
        self.rooms = rooms
        self.offsets_for_ms = offsets_for_ms  # PrometheusOptions.offsets_for_ms
        self._offsets: dict[str, tuple[float, dict[str, float]]] = {}
        self._read: set[str] = set()
        self.stamps = Stamps(rooms.head)

    async def versions(
        self, room_ids: Sequence[str] | None, now_ms: int, window_ms: int | None = None
    ) -> Versioned:
        """Per room and sensor, the newest settings and their version."""
        behind_ms = self.stamps.behind_ms(now_ms)
        window_ms = window_ms or self.stamps.window_ms(self.rooms.window_ms, self.rooms.horizon_ms)
        look_back = duration(window_ms + behind_ms + CLOCK_SLACK_MS)
        rooms = room_match(room_ids)
        query = f"last_over_time({selector(SENSOR_INFO_METRIC, room=rooms)}[{look_back}])"
        found: Versioned = {}
        for labels, samples in await self.client.instant(query, now_ms + CLOCK_SLACK_MS):
            room_id, sensor_id = labels.get("room"), labels.get("sensor")
            if not (samples and room_id and sensor_id):
                continue
            version = samples[-1][1]
            known = found.setdefault(room_id, {}).get(sensor_id)
            if known is None or version > known[1]:
                found[room_id][sensor_id] = (_settings(sensor_id, labels), version)
        return found

    async def settings(
        self, room_ids: Sequence[str] | None, now_ms: int
    ) -> dict[str, list[SensorSettings]]:
        """Per room, its sensors' settings sorted by sensor id."""
        if room_ids is not None and not room_ids:
            return {}
        found = await self.versions(room_ids, now_ms)
        return {
            room_id: [found[room_id][sensor][0] for sensor in sorted(found[room_id])]
            for room_id in sorted(found)
        }

    async def put(self, room_id: str, settings: SensorSettings, now_ms: int) -> bool:
        """Write new settings (versioned by the time of the change); True when they are new."""
        known = await self.versions([room_id], now_ms)
        stamp = self.stamps.take(now_ms)
        await self.client.write(encode(info_series(room_id, settings, float(now_ms), stamp)))
        self._changed(room_id, settings)
        return settings.sensor_id not in known.get(room_id, {})

    async def offsets(self, room_ids: Iterable[str], now_ms: int) -> dict[SensorKey, float]:
        """The non-zero offsets of these rooms' sensors, read again after offsets_for_ms."""
        rooms = set(room_ids)
        stale = sorted(room for room in rooms if self._offsets.get(room, _NEVER_READ)[0] < now_ms)
        if stale:
            found = await self.versions(stale, now_ms)
            until = now_ms + self.offsets_for_ms
            for room_id in stale:
                sensors = found.get(room_id, {})
                offsets = {
                    s: v[0].offset_celsius for s, v in sensors.items() if v[0].offset_celsius
                }
                self._offsets[room_id] = (until, offsets)
                self._read.add(room_id)
        return self.cached_offsets(rooms)

    def cached_offsets(self, room_ids: Iterable[str]) -> dict[SensorKey, float]:
        """The offsets last read for these rooms, however old (while the engine is away)."""
        return {
            (room_id, sensor): offset
            for room_id in room_ids
            for sensor, offset in self._offsets.get(room_id, _NEVER_READ)[1].items()
        }

    def never_read(self, room_ids: Iterable[str]) -> list[str]:
        """The rooms whose offsets this replica has not read from the engine, sorted."""
        return sorted(room for room in room_ids if room not in self._read)

    def _changed(self, room_id: str, settings: SensorSettings) -> None:
        """A PUT on this replica: calibrate with it at once, and read the room again at its
        next batch (or keep it, with the rest last read, while the engine is away)."""
        _, known = self._offsets.get(room_id, _NEVER_READ)
        offsets = {sensor: v for sensor, v in known.items() if sensor != settings.sensor_id}
        if settings.offset_celsius:
            offsets[settings.sensor_id] = settings.offset_celsius
        self._offsets[room_id] = (-math.inf, offsets)

    def forget(self, room_id: str) -> None:
        self._offsets.pop(room_id, None)
        self._read.discard(room_id)

    async def reassert(self, now_ms: int, *, long_look: bool) -> int:
        """Write every sensor's settings again at the head's stamp; returns how many."""
        window = self.rooms.horizon_ms if long_look else None
        self.stamps.begin()
        found = await self.versions(None, now_ms, window)
        if not found:
            self.stamps.revived |= long_look
            return 0
        stamp = self.stamps.take(now_ms)
        series = [
            one
            for room_id, sensors in found.items()
            for settings, version in sensors.values()
            for one in info_series(room_id, settings, version, stamp)
        ]
        if series:
            await self.client.write(encode(series))
        self.stamps.reasserted(stamp)
        self.stamps.revived |= long_look
        return len(series)


def info_series(
    room_id: str, settings: SensorSettings, version: float, at_ms: int
) -> list[tuple[Labels, list[Sample]]]:
    """The series that assert a sensor's settings at `at_ms`."""
    offset, interval = settings.offset_celsius, settings.expected_interval_ms
    info = series_labels(
        SENSOR_INFO_METRIC,
        room=room_id,
        sensor=settings.sensor_id,
        offset_celsius=None if offset is None else repr(offset),
        expected_interval_ms=None if interval is None else str(interval),
    )
    series = [(info, [(at_ms, version)])]
    if interval is not None:
        labels = series_labels(EXPECTED_INTERVAL_METRIC, room=room_id, sensor=settings.sensor_id)
        series.append((labels, [(at_ms, interval / 1000)]))
    return series


def _settings(sensor_id: str, labels: dict[str, str]) -> SensorSettings:
    offset, interval = labels.get("offset_celsius"), labels.get("expected_interval_ms")
    return SensorSettings(
        sensor_id, float(offset) if offset else None, int(interval) if interval else None
    )
