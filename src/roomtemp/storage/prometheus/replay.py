"""Replaying the outage spool into the engine, in order, as fast as the engine takes it.

Chunks of many spooled batches go out together (one read for duplicates, large requests, four in
flight on disjoint series: the engines take them on several cores), and the next chunk is read
from disk and calibrated while the engine takes the current one. A failure is retried with
backoff from the same oldest pending record, the chunk read again (what was spooled meanwhile
joins it, instead of an outage's backlog starting with the few records there when it began; a
chunk written in part is harmless to resend: its readings are duplicates then), and a failure to
read the spool is retried the same way. The values as sent of calibrated readings follow their
chunk; readings spooled while their sensors' offsets were unknown are calibrated first, with the
offsets set then. Only what the engine refuses as data is set aside, found by halving the
refused part down to single readings; readings conflicting with stored ones are set aside as
well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

from roomtemp.domain import Reading, SensorKey
from roomtemp.errors import StorageError
from roomtemp.storage.prometheus import raw_series
from roomtemp.storage.prometheus.batches import (
    Merged,
    Run,
    SeriesBatch,
    halves,
    merge,
    readings_of,
    size,
    streams,
)
from roomtemp.storage.prometheus.client import EngineMisconfigured, EngineRejected
from roomtemp.storage.prometheus.frames import decode_columns, encode_columns
from roomtemp.storage.prometheus.records import Spooled
from roomtemp.storage.prometheus.spool import Chunk, Spool
from roomtemp.storage.prometheus.writer import EngineWriter, Unsent

log = logging.getLogger("roomtemp.storage.prometheus")

CHUNK_READINGS = 80_000
STREAMS = 4
"""A chunk's series go out in this many requests at once (each series in one of them)."""
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
CONFLICT = "another value is stored at the same timestamp"
Offsets = Callable[[set[str]], Awaitable[Mapping[SensorKey, float]]]


@dataclass
class EngineState:
    """Whether the engine takes writes, and why not; what replay has done."""

    reachable: bool = True
    problem: StorageError | None = None
    """The last write failure (engine down or refusing roomtemp), None once a write succeeds."""
    replayed: int = 0
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a readiness check reached the engine again: a replay backoff is cut short."""

    @property
    def up(self) -> bool:
        return self.reachable and self.problem is None

    @property
    def refusal_status(self) -> int | None:
        """The HTTP status by which the engine refuses roomtemp (a configuration problem)."""
        return self.problem.status if isinstance(self.problem, EngineMisconfigured) else None

    def wrote(self) -> None:
        self.reachable = True
        self.problem = None

    def failed(self, exc: StorageError) -> None:
        self.problem = exc
        self.answered.clear()


class Replayer:
    """The background task that drains the spool."""

    def __init__(
        self, spool: Spool, writer: EngineWriter, state: EngineState, offsets: Offsets
    ) -> None:
        self.spool = spool
        self.writer = writer
        self.state = state
        self.offsets = offsets
        """The current offsets of rooms' sensors, to calibrate readings spooled without them."""
        self.wake = asyncio.Event()

    async def run(self, idle_seconds: float) -> None:
        """Replay forever: wait for spooled batches, send them, back off while the engine fails."""
        delay = FIRST_BACKOFF_SECONDS
        chunk: Chunk | None = None
        while True:
            self.wake.clear()
            try:
                chunk = chunk or await self._next(0)
                if chunk is None:
                    await _wait(self.wake, idle_seconds)
                    continue
                upcoming = await self._replay(chunk)
                chunk = None  # replayed: never sent again, whatever happens next
                chunk = await upcoming
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the replay task must outlive any failure
                chunk = None  # read again when retried: what was spooled meanwhile joins it
                self._report(exc, delay)
                await _wait(self.state.answered, delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            delay = FIRST_BACKOFF_SECONDS

    async def _replay(self, chunk: Chunk) -> asyncio.Future[Chunk | None]:
        """Write the chunk and mark it done, the next one read (and calibrated) meanwhile: the
        engine takes one while this process readies the other. Returns the next one's future."""
        upcoming = asyncio.ensure_future(self._next(len(chunk.entries)))
        try:
            merged, sent = await self._calibrated(chunk)
            await self.store(merged)
            await raw_series.send(self.writer.client, sent)
            await asyncio.to_thread(self.spool.done, chunk)
        except asyncio.CancelledError:
            upcoming.cancel()
            raise
        except Exception:
            await asyncio.gather(upcoming, return_exceptions=True)  # read again after a retry
            raise
        self.state.wrote()
        self.state.replayed += chunk.readings
        return upcoming

    async def _next(self, skip: int) -> Chunk | None:
        """The pending chunk after the first `skip` records, calibrated if the engine answers
        for the offsets now (else when its turn comes)."""
        chunk = await asyncio.to_thread(self.spool.peek, CHUNK_READINGS, skip)
        if chunk is None or chunk.merged is not None:
            return chunk
        try:
            merged, sent = await self._calibrated(chunk)
        except StorageError:
            return chunk
        return replace(chunk, merged=merged, sent=sent)

    async def _calibrated(self, chunk: Chunk) -> tuple[Merged, SeriesBatch]:
        """The chunk's readings merged and the values as sent of calibrated ones, readings
        spooled without their offsets calibrated now (with the offsets set now)."""
        if chunk.merged is not None:
            return chunk.merged, chunk.sent
        rooms = {room_id for one in chunk.spooled for room_id, _ in one.uncalibrated}
        offsets = await self.offsets(rooms)
        return await asyncio.to_thread(_calibrated_merge, chunk, offsets)

    async def store(self, merged: Merged) -> None:
        """Write the batch, its series split between requests in flight at once (each series
        stays in order); set aside only what the engine refuses as data, and conflicts."""
        failed = [
            found
            for found in await asyncio.gather(
                *(self._store(part) for part in streams(merged.batch, STREAMS)),
                return_exceptions=True,
            )
            if isinstance(found, BaseException)
        ]
        if failed:
            raise failed[0]
        if merged.conflicts:  # the same reading spooled twice with different values
            await self._keep_aside(merged.conflicts, CONFLICT)

    async def _store(self, batch: SeriesBatch) -> None:
        parts = deque([batch])
        while parts:
            part = parts.popleft()
            try:
                stored = await self.writer.store(part, strict=False)
            except Unsent as exc:
                if not isinstance(exc.cause, EngineRejected):
                    raise exc.cause from exc
                if size(exc.unsent) == 1:
                    log.error("engine refused a spooled reading, kept aside: %s", exc.cause)
                    await self._keep_aside(readings_of(exc.unsent), str(exc.cause))
                else:
                    parts.extendleft(reversed(halves(exc.unsent)))
                continue
            if stored.conflicts:
                await self._keep_aside(stored.conflicts, CONFLICT)

    async def _keep_aside(self, readings: list[Reading], reason: str) -> None:
        await asyncio.to_thread(self.spool.keep_aside, readings, reason)

    def _report(self, exc: Exception, delay: float) -> None:
        if isinstance(exc, StorageError):
            self.state.failed(exc)
            log.warning("spool replay waits %.1f s: %s", delay, exc)
        else:
            log.exception("spool replay failed unexpectedly; retrying in %.1f s", delay)


def _calibrated_merge(
    chunk: Chunk, offsets: Mapping[SensorKey, float]
) -> tuple[Merged, SeriesBatch]:
    """The chunk's readings calibrated with `offsets` and merged; the values as sent of the
    calibrated ones."""
    parts = [_calibrate(one, offsets) for one in chunk.spooled]
    merged = merge([batch for batches, _ in parts for batch in batches])
    return merged, merge([chunk.sent, *(sent for _, sent in parts)]).batch


def _calibrate(
    spooled: Spooled, offsets: Mapping[SensorKey, float]
) -> tuple[list[SeriesBatch], SeriesBatch]:
    """A spooled write's readings, those spooled without offsets calibrated (a series may be in
    both parts: readings calibrated already came beside uncalibrated ones); and the values as
    sent of those calibrated now: the spooled runs themselves. A series without an offset is
    taken as it is, its bytes untouched."""
    if offsets.keys().isdisjoint(spooled.uncalibrated):  # most often: nothing to calibrate
        return [spooled.readings, spooled.uncalibrated], {}
    ready: SeriesBatch = {}
    sent: SeriesBatch = {}
    for key, run in spooled.uncalibrated.items():
        offset = offsets.get(key)
        if offset:
            ts, values = decode_columns(run.encoded)
            calibrated = encode_columns(ts, values + offset)
            ready[key] = Run(run.first_ms, run.last_ms, run.count, encoded=calibrated)
            sent[key] = run
        else:
            ready[key] = run
    return [spooled.readings, ready], sent


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until the event is set or the time is up."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
