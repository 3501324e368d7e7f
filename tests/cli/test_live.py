"""Live mode of `roomtemp simulate` against real servers, in fake time.

The clock is fake and sleeping moves it on at once, so each run takes as long as its requests,
and which grid times are pushed does not depend on how fast this machine is. A server that comes
up late is a real process started once the fake clock has passed a given time.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from roomtemp.cli.client import ApiClient
from roomtemp.cli.room_model import Simulation
from roomtemp.cli.simulate import SimulateOptions, run
from tests.cli.server import Server, expected, server_settings, stored
from tests.processes import ServerProcess, free_port
from tests.support import FakeClock, ms

T0 = ms("2024-03-01T00:00:00Z")
DAY_MS = 86_400_000


class FakeTime:
    """A fake clock and a sleep that moves it on at once, running what falls due by then."""

    def __init__(self, now: float) -> None:
        self.clock = FakeClock(now)
        self.slept: list[float] = []
        self._due: list[tuple[float, Callable[[], None]]] = []

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run `action` in the first sleep that ends at or after `when`."""
        self._due.append((when, action))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds)
        due = [entry for entry in self._due if entry[0] <= self.clock.now]
        for entry in due:
            self._due.remove(entry)
            entry[1]()


def live(rooms: int, seed: int, prefix: str, interval: str, duration: str) -> SimulateOptions:
    """Options of `simulate --interval ... --duration ...` without a backfill."""
    return SimulateOptions(
        rooms=rooms,
        seed=seed,
        interval=interval,
        backfill=None,
        end=None,
        live=True,
        duration=duration,
        describe=True,
        prefix=prefix,
        batch_size=5000,
    )


def stored_rooms(server: Server, rooms: list[str]) -> dict[str, list[tuple[str, int, float]]]:
    """What the server stored for these rooms on the day of T0."""
    return {room: stored(server, room, T0, T0 + DAY_MS) for room in rooms}


def all_new(sent: int, requests: int) -> str:
    """How live mode reports when the server took everything it was sent as new."""
    return f"live: sent {sent} readings in {requests} requests: {sent} new, 0 duplicates, 0 failed"


@pytest.fixture
def cli_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="roomtemp")
    return caplog


def test_live_mode_pushes_every_interval_for_a_bounded_time(
    server: Server, capsys: pytest.CaptureFixture[str], cli_logs: pytest.LogCaptureFixture
) -> None:
    prefix = server.room_prefix()
    began = (T0 + 60_100) / 1000  # 100 ms after a grid time
    time = FakeTime(began)
    client = ApiClient(server.url, sleep=time.sleep)
    run(live(2, 5, prefix, "500ms", "2s"), client, clock=time.clock, sleep=time.sleep)

    # the first tick is the grid time just passed, the last at most one interval before the end
    assert time.clock.now - began == pytest.approx(1.9)
    assert time.slept == pytest.approx([0.4, 0.5, 0.5, 0.5])
    rooms = stored_rooms(server, [f"{prefix}-001", f"{prefix}-002"])
    ticks = sorted({t for rows in rooms.values() for _, t, _ in rows})
    assert ticks == [T0 + 60_000 + 500 * step for step in range(5)]
    assert [b - a for a, b in itertools.pairwise(ticks)] == [500] * 4
    simulation = Simulation(5, 2, 500, prefix)
    want = [r for t in ticks for r in simulation.readings_at(t)]
    for room, rows in rooms.items():
        assert rows == expected(want, room)
    total = sum(len(rows) for rows in rooms.values())
    assert all_new(total, requests=5) in capsys.readouterr().err
    assert sum("pushed" in record.getMessage() for record in cli_logs.records) == 5


class LateServer:
    """A server on a free port that comes up only when `start` is called (ready on return)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.api = Server(f"http://127.0.0.1:{self.port}", itertools.count(1))
        self._folder = folder
        self._process: ServerProcess | None = None

    def start(self) -> None:
        settings = server_settings(self._folder / "late.sqlite3")
        self._process = ServerProcess(settings, self._folder / "server.log", self.port)
        self._process.wait_ready()

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()


@pytest.fixture
def late(tmp_path: Path) -> Iterator[LateServer]:
    server = LateServer(tmp_path)
    yield server
    server.stop()


def test_simulate_waits_for_a_server_that_comes_up_late(
    late: LateServer, capsys: pytest.CaptureFixture[str], cli_logs: pytest.LogCaptureFixture
) -> None:
    time = FakeTime((T0 + 60_100) / 1000)
    time.at(time.clock.now + 0.1, late.start)  # while the client backs off after its first try
    client = ApiClient(late.api.url, retries=8, sleep=time.sleep)
    run(live(1, 0, "late", "1s", "6s"), client, clock=time.clock, sleep=time.sleep)

    messages = [record.getMessage() for record in cli_logs.records]
    retried = r"PUT /api/v1/rooms/late-001: ConnectError.*retry 1 of 8"
    assert [message for message in messages if re.search(retried, message)] != []
    room = late.api.get("/api/v1/rooms/late-001").json()
    assert room["name"] == "Room 0.01"
    assert room["latest"] is not None
    assert math.isfinite(room["latest"]["value"])
    rows = stored(late.api, "late-001", T0, T0 + DAY_MS)
    ticks = sorted({t for _, t, _ in rows})
    assert ticks == [T0 + 60_000 + 1000 * step for step in range(7)]
    simulation = Simulation(0, 1, 1000, "late")
    assert rows == expected([r for t in ticks for r in simulation.readings_at(t)], "late-001")
    assert all_new(len(rows), requests=7) in capsys.readouterr().err


def test_live_mode_keeps_what_the_server_did_not_take_for_the_next_tick(
    late: LateServer, capsys: pytest.CaptureFixture[str], cli_logs: pytest.LogCaptureFixture
) -> None:
    time = FakeTime((T0 + 60_100) / 1000)
    time.at(time.clock.now + 0.5, late.start)  # while live mode waits for its second tick
    client = ApiClient(late.api.url, retries=0, sleep=time.sleep)
    options = dataclasses.replace(live(1, 3, "down", "1s", "3s"), describe=False)
    run(options, client, clock=time.clock, sleep=time.sleep)

    simulation = Simulation(3, 1, 1000, "down")
    by_tick = [simulation.readings_at(T0 + 60_000 + 1000 * step) for step in range(4)]
    messages = [record.getMessage() for record in cli_logs.records]
    kept = f"keeping {len(by_tick[0])} readings for the next tick"
    assert [message for message in messages if kept in message] != []
    rows = stored(late.api, "down-001", T0, T0 + DAY_MS)
    assert rows == expected([r for readings in by_tick for r in readings], "down-001")
    assert all_new(len(rows), requests=3) in capsys.readouterr().err
