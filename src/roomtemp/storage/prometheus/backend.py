"""The Prometheus-compatible backend: remote write in, PromQL out, a durable spool for outages.

Writes go straight to the engine (writer.py: reads only for re-sends and backfill, so re-sends
count as duplicates and a different value is a 409). When the engine is unreachable, answers
5xx/429, or refuses roomtemp itself (401, 403, 404, 405, 413: a configuration problem), batches
go to the spool (answer 202) and a background task replays them in order (replay.py); only what
the engine refuses as data (400, "too old sample") is set aside, and a direct write of such data
is a 422.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

import httpx
import numpy as np
import numpy.typing as npt

from roomtemp.domain import (
    Aggregate,
    Reading,
    ReadingColumns,
    ReadingsPage,
    RoomMeta,
    RoomsRead,
    SensorKey,
    SensorLatest,
    SensorSettings,
    SetAside,
    SetAsidePage,
    WriteResult,
)
from roomtemp.errors import InvalidInput, StorageError, StorageUnavailable
from roomtemp.storage.base import StorageStatus, read_rooms_apart
from roomtemp.storage.calibration import calibrated
from roomtemp.storage.prometheus import quarantine, raw_series
from roomtemp.storage.prometheus.batches import SeriesBatch, group, size
from roomtemp.storage.prometheus.client import EngineClient, EngineRejected
from roomtemp.storage.prometheus.deletes import delete_room_series
from roomtemp.storage.prometheus.options import PrometheusOptions
from roomtemp.storage.prometheus.promql import Window
from roomtemp.storage.prometheus.reads import PromqlReader, page_after
from roomtemp.storage.prometheus.records import Spooled
from roomtemp.storage.prometheus.remote_write import encode
from roomtemp.storage.prometheus.replay import EngineState, Replayer
from roomtemp.storage.prometheus.rooms import RoomRegistry
from roomtemp.storage.prometheus.sensors import SensorRegistry
from roomtemp.storage.prometheus.spool import Spool
from roomtemp.storage.prometheus.writer import EngineWriter, Unsent
from roomtemp.timeparse import Bucket

log = logging.getLogger("roomtemp.storage.prometheus")

_PROBE = "count_over_time(vector(1)[10s:5s])"
_SLACK_MS = 86_400_000
"""How far past now samples may lie (readings ahead by the allowed clock skew)."""


class PrometheusStorage:
    """Storage in a Prometheus-compatible engine (`prometheus://host:port`)."""

    def __init__(
        self,
        options: PrometheusOptions,
        transport: httpx.AsyncBaseTransport | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.options = options
        self.client = EngineClient(options.engine, transport)
        self.spool = spool or Spool(options.spool_dir, options.spool_max_bytes)
        self.rooms = RoomRegistry(self.client, options.meta_window_ms, options.horizon_ms)
        self.sensors = SensorRegistry(self.client, self.rooms, options.offsets_for_ms)
        self.writer = EngineWriter(self.client, self.rooms, self._read_side, options.wall_clock)
        self.state = EngineState()
        self.replayer = Replayer(self.spool, self.writer, self.state, self._replay_offsets)
        self._reader: PromqlReader | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._told_unread: set[str] = set()
        """Rooms named in the "offsets unknown" warning since the offsets were last read."""
        self._told_offsets_failed = False

    async def open(self) -> None:
        """Load the spool left by an earlier run and start replaying and re-asserting."""
        await asyncio.to_thread(self.spool.open)
        self._tasks = [
            asyncio.create_task(
                self.replayer.run(self.options.idle_probe_seconds), name="roomtemp-spool-replay"
            ),
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
        """Ready while writes can be taken: the engine takes them, or the spool has room."""
        why = self.state.problem
        try:
            await self.client.instant("vector(1)", self._now_ms())
            self.state.reachable = True
            if self.state.refusal_status is None:
                self.state.answered.set()  # the engine is back: cut a replay backoff short
        except StorageError as exc:
            self.state.reachable = False
            why = exc
        if not self.state.up and self.spool.full:
            raise StorageUnavailable(f"{why}; and the outage spool is full")

    def status(self) -> StorageStatus:
        problem = self.state.problem
        counts = self.spool.counts
        return StorageStatus(
            engine_up=self.state.up and not self.spool.readings,
            spooled_readings=self.spool.readings,
            set_aside_readings=self.spool.set_aside,
            problem=None if problem is None else str(problem),
            refusal_status=self.state.refusal_status,
            replayed_readings=self.state.replayed,
            damaged_records=counts.damaged_records,
            lost_readings=counts.lost_readings,
        )

    # -- writes -------------------------------------------------------------------------------

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        columns = ReadingColumns.of(readings)
        offsets, unknown = await self._offsets({room_id for room_id, _ in columns.keys})
        given = calibrated(columns, offsets)
        if unknown:  # their readings wait in the spool until the offsets can be read
            waiting = _uncalibrated(given, unknown)
            ready = given.take(~waiting)
            await self._spool(
                Spooled(group(ready), raw_series.sent_batch(ready), group(given.take(waiting)))
            )
            return WriteResult(accepted=len(readings), duplicates=0, spooled=True)
        batch, sent = group(given), raw_series.sent_batch(given)
        if self.state.up and not self.spool.readings:
            try:
                stored = await self.writer.store(batch, strict=True, sent=raw_series.sent_of(given))
            except Unsent as exc:
                if isinstance(exc.cause, EngineRejected) and exc.nothing_written:
                    raise InvalidInput.single(
                        ("body",), f"the storage engine refused: {exc.cause}"
                    ) from exc
                self._spooling(exc.cause)
                await self._spool(Spooled(exc.unsent, sent))
                return WriteResult(exc.result.accepted, exc.result.duplicates, spooled=True)
            except StorageUnavailable as exc:  # the read before the write failed
                self._spooling(exc)
            else:
                await self._write_sent(sent)
                return stored.result
        await self._spool(Spooled(batch, sent))
        return WriteResult(accepted=len(readings), duplicates=0, spooled=True)

    async def _write_sent(self, sent: SeriesBatch) -> None:
        """The values as sent beside the stored readings; spooled if the engine fails now."""
        try:
            await raw_series.send(self.client, sent)
        except StorageError as exc:
            log.warning("the values as sent of %d calibrated readings are spooled: %s",
                        size(sent), exc)  # fmt: skip
            await self._spool(Spooled({}, sent))

    async def _offsets(self, rooms: set[str]) -> tuple[dict[SensorKey, float], set[str]]:
        """The rooms' offsets, and the rooms whose offsets are unknown: while the engine is away
        or does not answer, those last read, and none for a room never read. An engine known to
        be away is not asked: every batch would wait for it to fail, for the whole timeout if it
        hangs."""
        if self.state.up:
            try:
                found = await self.sensors.offsets(rooms, self._now_ms())
                self._told_unread.clear()
                self._told_offsets_failed = False
                return found, set()
            except StorageError as exc:
                # said once until a read succeeds: the batches in flight when the engine went
                # away all fail here before a failed write marks it away
                level = logging.DEBUG if self._told_offsets_failed else logging.WARNING
                log.log(
                    level, "sensor offsets not read (%s): calibrating with those last read", exc
                )
                self._told_offsets_failed = True
        unread = self.sensors.never_read(rooms)
        untold = [room for room in unread if room not in self._told_unread]
        if untold:  # each room named once while the offsets cannot be read, not every batch
            log.warning(
                "sensor offsets of %s unknown while the engine is away: their readings are "
                "spooled, calibrated when it is back",
                ", ".join(untold),
            )
            self._told_unread.update(untold)
        return self.sensors.cached_offsets(rooms), set(unread)

    async def _replay_offsets(self, rooms: set[str]) -> dict[SensorKey, float]:
        """Offsets to calibrate spooled readings with (the engine answers: it is replayed to)."""
        return await self.sensors.offsets(rooms, self._now_ms())

    def _spooling(self, exc: StorageError) -> None:
        log.warning("engine does not take writes, spooling: %s", exc)
        self.state.failed(exc)

    async def _spool(self, spooled: Spooled) -> None:
        await asyncio.to_thread(self.spool.append, spooled)
        self.replayer.wake.set()

    async def put_room(self, meta: RoomMeta) -> bool:
        return await self.rooms.put(meta, self._now_ms())

    async def put_sensor(self, room_id: str, settings: SensorSettings) -> bool:
        await self._create_rooms([room_id])
        return await self.sensors.put(room_id, settings, self._now_ms())

    async def set_aside(self, readings: Sequence[SetAside]) -> None:
        await self._create_rooms({r.room_id for r in readings})
        await quarantine.write(self.client, readings)

    async def set_aside_readings(
        self,
        room_id: str,
        start_ms: int,
        end_ms: int,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> SetAsidePage:
        reader = await self._read_side()
        return await quarantine.page(reader, room_id, (start_ms, end_ms), after, limit)

    async def _create_rooms(self, room_ids: Iterable[str]) -> None:
        """Write the info series of the rooms that have none yet."""
        now_ms = self._now_ms()
        new_rooms = await self.rooms.unregistered(room_ids, now_ms)
        if new_rooms:
            await self.client.write(encode(self.rooms.creation_series(new_rooms, now_ms)))
            self.rooms.remember(new_rooms)

    async def sensor_settings(
        self, room_ids: Sequence[str] | None = None
    ) -> dict[str, list[SensorSettings]]:
        return await self.sensors.settings(room_ids, self._now_ms())

    async def delete_room(self, room_id: str) -> bool:
        now_ms = self._now_ms()
        if await self.rooms.get(room_id, now_ms) is None:
            return False
        latest = (await self.latest([room_id])).get(room_id, [])
        newest = max((s.timestamp_ms for s in latest), default=now_ms)
        window = (now_ms - self.options.horizon_ms, now_ms + _SLACK_MS)
        await delete_room_series(self.client, self.rooms.head, room_id, newest, window)
        self.rooms.forget(room_id)
        self.sensors.forget(room_id)
        self.writer.forget_room(room_id)
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

    async def read_rooms(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        keep: Callable[[RoomMeta], bool] | None = None,
    ) -> RoomsRead:
        return await read_rooms_apart(self, after, limit, keep)

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
        page, next_after = page_after(found, after, limit)
        return await raw_series.with_raw(reader, ReadingsPage(page, next_after), room_id)

    async def aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> Mapping[str, Sequence[Aggregate]]:
        if not room_ids or not buckets:
            return {}
        reader = await self._read_side()
        return await reader.aggregate(room_ids, buckets)

    async def plain_aggregate(
        self, room_ids: Sequence[str], buckets: Sequence[Bucket]
    ) -> Mapping[str, Sequence[Aggregate]]:
        return await self.aggregate(room_ids, buckets)  # the same PromQL answers both

    # -- background ---------------------------------------------------------------------------

    async def _read_side(self) -> PromqlReader:
        """The reader, once the engine told whether its range selectors are closed."""
        if self._reader is None:
            probe = await self.client.instant(_PROBE, 1_700_000_000_000)
            closed = bool(probe) and probe[0][1][0][1] >= 3
            self._reader = PromqlReader(
                self.client, Window(closed), self.options.horizon_ms, self.options.stale_ms
            )
        return self._reader

    async def _refresh_forever(self) -> None:
        """Re-assert every room's info series so it stays inside the engines' lookback."""
        long_look = True
        while True:
            try:
                if long_look:
                    await self.rooms.find_head(self._now_ms())
                await self.rooms.reassert(self._now_ms(), long_look=long_look)
                await self.sensors.reassert(self._now_ms(), long_look=long_look)
                long_look = False
            except StorageError as exc:
                log.warning("could not re-assert room metadata: %s", exc)
            except Exception:  # the refresh task must outlive any failure
                log.exception("could not re-assert room metadata")
            await asyncio.sleep(self.options.meta_refresh_seconds)

    def _now_ms(self) -> int:
        return round(self.options.wall_clock() * 1000)


def _uncalibrated(batch: ReadingColumns, rooms: set[str]) -> npt.NDArray[np.bool_]:
    """Which readings are of these rooms and not calibrated already."""
    codes = [code for code, (room_id, _) in enumerate(batch.keys) if room_id in rooms]
    mine = np.isin(batch.codes, codes)
    return mine if batch.raw is None else mine & np.isnan(batch.raw)
