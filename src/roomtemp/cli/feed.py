"""Feeding a server with simulated readings: history in large batches, or live, tick by tick."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson

from roomtemp.cli.client import ApiClient, ApiError
from roomtemp.cli.room_model import SimReading, Simulation
from roomtemp.timeparse import format_timestamp

log = logging.getLogger("roomtemp.cli")

MAX_PENDING = 100_000
"""Most readings live mode holds while the server is unreachable; the oldest go first."""


@dataclass
class Totals:
    """What the server said about everything sent so far."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    failed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, sent: int, answer: dict[str, int]) -> None:
        self.sent += sent
        self.requests += 1
        self.accepted += int(answer.get("accepted", 0))
        self.duplicates += int(answer.get("duplicates", 0))


def encode(readings: Sequence[SimReading]) -> bytes:
    """A JSON batch for POST /api/v1/readings (epoch seconds keep the exact millisecond)."""
    return orjson.dumps(
        [
            {
                "room_id": r.room_id,
                "sensor_id": r.sensor_id,
                "timestamp": r.timestamp_ms / 1000,
                "value": r.value,
            }
            for r in readings
        ]
    )


def describe_rooms(client: ApiClient, simulation: Simulation) -> None:
    """PUT each simulated room's metadata (names, building, floor, comfort band)."""
    for profile in simulation.profiles:
        client.put_room(profile.room_id, profile.metadata())
    log.info("described %d rooms", len(simulation.profiles))


def batches(steps: Iterable[list[SimReading]], size: int) -> Iterator[list[SimReading]]:
    """Regroup readings into batches of `size` (the last one may be smaller)."""
    batch: list[SimReading] = []
    for readings in steps:
        batch += readings
        while len(batch) >= size:
            yield batch[:size]
            batch = batch[size:]
    if batch:
        yield batch


def backfill(
    client: ApiClient,
    simulation: Simulation,
    start_ms: int,
    end_ms: int,
    *,
    batch_size: int = 5000,
    concurrency: int = 2,
    on_progress: Callable[[int], None] = lambda sent: None,
) -> Totals:
    """Write the history of `[start, end)`; a few requests in flight while the next is built."""
    totals = Totals()
    in_flight: list[tuple[int, Future[dict[str, int]]]] = []

    def settle(entry: tuple[int, Future[dict[str, int]]]) -> None:
        sent, future = entry
        totals.add(sent, future.result())
        on_progress(sent)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for batch in batches(simulation.history(start_ms, end_ms), batch_size):
            if len(in_flight) >= concurrency:
                settle(in_flight.pop(0))
            in_flight.append((len(batch), pool.submit(client.post_readings, encode(batch))))
        for entry in in_flight:
            settle(entry)
    return totals


@dataclass
class LiveFeed:
    """Push every room's readings at each grid time until `until_ms` (or forever)."""

    client: ApiClient
    simulation: Simulation
    until_ms: int | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    batch_size: int = 5000
    totals: Totals = field(default_factory=Totals)
    _pending: list[SimReading] = field(default_factory=list)

    def run(self) -> Totals:
        """The first tick is the newest grid time already passed; then one per interval."""
        now_ms = self._now_ms()
        grid = self.simulation.grid_at_or_after(now_ms - self.simulation.interval_ms + 1)
        while self.until_ms is None or grid < self.until_ms:
            wait = (grid - self._now_ms()) / 1000
            if wait > 0:
                self.sleep(wait)
            self.tick(grid)
            grid = self.simulation.grid_at_or_after(grid + 1)
        return self.totals

    def tick(self, grid_ms: int) -> None:
        """Send the readings of one grid time, after any that earlier ticks could not send."""
        self._pending += self.simulation.readings_at(grid_ms)
        if len(self._pending) > MAX_PENDING:
            dropped = len(self._pending) - MAX_PENDING
            log.error("server unreachable too long: dropping the %d oldest readings", dropped)
            self.totals.failed += dropped
            self._pending = self._pending[dropped:]
        while self._pending:
            batch = self._pending[: self.batch_size]
            if not self._push(batch, grid_ms):
                return
            self._pending = self._pending[len(batch) :]

    def _push(self, batch: list[SimReading], grid_ms: int) -> bool:
        try:
            answer = self.client.post_readings(encode(batch))
        except ApiError as exc:
            if exc.status is not None and exc.status < 500 and exc.status != 429:
                log.error("server refused %d readings, dropping them: %s", len(batch), exc)
                self.totals.failed += len(batch)
                self.totals.errors.append(str(exc))
                return True
            log.error("%s; keeping %d readings for the next tick", exc, len(self._pending))
            return False
        self.totals.add(len(batch), answer)
        log.info(
            "%s: pushed %d readings (%d new, %d duplicates)",
            format_timestamp(grid_ms),
            len(batch),
            answer.get("accepted", 0),
            answer.get("duplicates", 0),
        )
        return True

    def _now_ms(self) -> int:
        return round(self.clock() * 1000)
