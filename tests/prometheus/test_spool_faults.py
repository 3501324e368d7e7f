"""The spool's faults against real engines: a damaged or torn record loses only itself (logged
and counted), and a full disk is refused with 503 + Retry-After before anything is acknowledged;
every acknowledged reading is in the engine exactly once afterwards."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.storage import Storage
from roomtemp.storage.prometheus import PrometheusStorage, records
from roomtemp.storage.prometheus.options import options_from
from roomtemp.storage.prometheus.spool import Chunk, Spool
from roomtemp.storage.prometheus.spool_disk import Disk
from roomtemp.wiring import storage_options
from tests.backends import engine_settings
from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.test_faults import metric, post
from tests.prometheus.test_outage import RANGE, batches, expected, wait_drained
from tests.support import FakeClock

pytestmark = pytest.mark.slow


def spooled_records(spool_dir: Path) -> tuple[Path, list[records.Found]]:
    segment = next((spool_dir / "slot-0").glob("segment-*"))
    found = [i for i in records.scan(segment.read_bytes()) if isinstance(i, records.Found)]
    return segment, found


@pytest.mark.parametrize("damage", ["flipped bit", "torn tail"])
def test_a_damaged_spool_record_loses_only_itself(
    engine: Engine,
    engine_client: ClientFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    damage: str,
) -> None:
    sent = batches(20)
    engine.stop()
    with engine_client(engine) as client:
        assert post(client, sent) == [202] * 20
    segment, found = spooled_records(tmp_path / "spool")
    data = bytearray(segment.read_bytes())
    if damage == "flipped bit":
        lost = 10
        data[(found[lost].start + found[lost].end) // 2] ^= 0x10
    else:
        lost = 19
        del data[found[lost].end - 40 :]
    segment.write_bytes(bytes(data))
    engine.start()
    with caplog.at_level(logging.WARNING), engine_client(engine) as client:
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
        damaged = metric(client, "roomtemp_spool_damaged_records_total")
        lost_readings = metric(client, "roomtemp_spool_lost_readings_total")
    assert stored == expected(sent[:lost] + sent[lost + 1 :])
    if damage == "flipped bit":
        assert (damaged, lost_readings) == (1, 25)
        assert "25 readings lost" in caplog.text
    else:
        assert "dropped an incomplete record" in caplog.text


class BoundedDisk(Disk):
    """A disk of `capacity` bytes under `root`, for machines where no small file system can be
    mounted: it reports its free space and fails a write that does not fit part-way, with ENOSPC."""

    def __init__(self, root: Path, capacity: int) -> None:
        self.root = root
        self.capacity = capacity

    def used(self) -> int:
        return sum(path.stat().st_size for path in self.root.rglob("*") if path.is_file())

    def free_bytes(self, directory: Path) -> int:
        return max(0, self.capacity - self.used())

    def write(self, fd: int, data: bytes) -> None:
        room = self.free_bytes(self.root)
        if len(data) > room:
            os.write(fd, data[:room])
            raise OSError(errno.ENOSPC, "No space left on device")
        super().write(fd, data)


@contextmanager
def small_disk(path: Path, capacity: int) -> Iterator[tuple[Disk | None, Callable[[], None]]]:
    """A file system of `capacity` bytes at `path` holding a 64 KiB filler file: a real tmpfs
    where this machine allows mounting one, else a BoundedDisk (then the Disk is returned).
    Also a function that frees space (removes the filler)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={capacity}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    filler = path / "filler"
    filler.write_bytes(b"\0" * 65536)
    disk = None if mounted.returncode == 0 else BoundedDisk(path, capacity)
    try:
        yield disk, filler.unlink
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", str(path)], check=True)


def spool_on(
    make: Callable[[Path, int], Spool],
) -> Callable[[Settings], Awaitable[Storage]]:
    """A storage factory whose spool `make(directory, max_bytes)` builds."""

    async def factory(settings: Settings) -> Storage:
        options = options_from(settings.storage, storage_options(settings))
        spool = make(options.spool_dir, options.spool_max_bytes)
        storage = PrometheusStorage(options, spool=spool)
        await storage.open()
        return storage

    return factory


def test_a_full_disk_refuses_before_acknowledging_and_keeps_what_it_took(
    engine: Engine, tmp_path: Path, clock: FakeClock
) -> None:
    sent = batches(30, size=250)
    engine.stop()
    with small_disk(tmp_path / "disk", 192 * 1024) as (disk, free_space):
        settings = engine_settings(engine, tmp_path / "disk" / "spool")
        app = create_app(
            settings,
            clock=clock,
            storage_factory=spool_on(lambda path, most: Spool(path, most, disk)),
        )
        with TestClient(app) as client:
            answers = [client.post("/api/v1/rooms/lab/readings", json=b) for b in sent[:25]]
            codes = [answer.status_code for answer in answers]
            taken = codes.count(202)
            assert 0 < taken < 25
            assert codes == [202] * taken + [503] * (25 - taken)
            assert int(answers[-1].headers["Retry-After"]) > 0
            assert "full" in answers[-1].json()["detail"]
            free_space()
            assert post(client, sent[25:27]) == [202, 202]
            engine.start()
            wait_drained(client.get)
            stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == expected(sent[:taken] + sent[25:27])


class UnreadableForAWhile(Spool):
    """A spool whose reads fail the first `failures` times (a disk error while replaying)."""

    def __init__(self, directory: Path, max_bytes: int, failures: int) -> None:
        super().__init__(directory, max_bytes)
        self.failures = failures

    def peek(self, max_readings: int, skip: int = 0) -> Chunk | None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError(errno.EIO, "Input/output error")
        return super().peek(max_readings, skip)


def test_replay_outlives_a_spool_read_error(
    engine: Engine, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sent = batches(10)
    engine.stop()
    settings = engine_settings(engine, tmp_path / "spool")
    factory = spool_on(lambda path, most: UnreadableForAWhile(path, most, failures=2))
    app = create_app(settings, clock=clock, storage_factory=factory)
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert post(client, sent) == [202] * 10
        engine.start()
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == expected(sent)
    assert "spool replay failed unexpectedly" in caplog.text


class Watched(Spool):
    """A spool that notes when it is first read and how many records each replayed chunk held."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        super().__init__(directory, max_bytes)
        self.peeked = threading.Event()
        self.replayed: list[int] = []

    def peek(self, max_readings: int, skip: int = 0) -> Chunk | None:
        chunk = super().peek(max_readings, skip)
        if chunk is not None:
            self.peeked.set()
        return chunk

    def done(self, chunk: Chunk) -> None:
        self.replayed.append(len(chunk.entries))
        super().done(chunk)


def test_a_replay_retried_after_an_outage_takes_what_was_spooled_meanwhile(
    engine: Engine, tmp_path: Path, clock: FakeClock
) -> None:
    """The chunk a failed attempt read is read again when retried: the backlog spooled during
    the outage goes out in full chunks, not the one record that was there when it began."""
    sent = batches(10)
    engine.stop()
    spools: list[Watched] = []
    factory = spool_on(lambda path, most: spools.append(Watched(path, most)) or spools[-1])
    app = create_app(
        engine_settings(engine, tmp_path / "spool"), clock=clock, storage_factory=factory
    )
    with TestClient(app) as client:
        assert post(client, sent[:1]) == [202]
        assert spools[0].peeked.wait(30)  # the replay read that record and failed to send it
        assert post(client, sent[1:]) == [202] * 9
        engine.start()
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == expected(sent)
    assert spools[0].replayed == [10]
