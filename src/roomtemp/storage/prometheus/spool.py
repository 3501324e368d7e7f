"""The durable outage spool: batches of readings appended to fsync'd segment files.

Each record is one line, `<crc32 hex> <json>`; a torn last line (a crash mid-append, never
acknowledged) fails its checksum and is dropped. A `cursor` file (replaced atomically) says how far
replay got, so a restart resumes there. Replay is at-least-once around a crash; re-sent samples are
identical and the engines ignore them. Each process claims its own numbered slot (flock), so
several workers can share one spool directory and a restarted process finds what was left.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from roomtemp.domain import Reading
from roomtemp.errors import ConfigurationError, StorageFull

MAX_SLOTS = 64
SEGMENT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class SpooledBatch:
    """One appended batch: where its record ends, and its readings."""

    segment: int
    end: int
    size: int
    readings: list[Reading]


class Spool:
    """A bounded, durable FIFO of reading batches."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.root = directory
        self.max_bytes = max_bytes
        self.directory = directory
        self._lock = threading.Lock()
        self._pending: deque[SpooledBatch] = deque()
        self._bytes = 0
        self._readings = 0
        self._active = 0
        self._lock_file: IO[bytes] | None = None
        self.set_aside = 0
        """Readings the engine refused for good, kept in `set-aside.jsonl`."""

    @property
    def readings(self) -> int:
        """Readings waiting to be replayed."""
        return self._readings

    @property
    def full(self) -> bool:
        """True when not even a small batch fits any more."""
        return self._bytes + 1024 > self.max_bytes

    def open(self) -> None:
        """Claim a free slot under the directory and load what an earlier process left there."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.directory, self._lock_file = _claim_slot(self.root)
        except OSError as exc:
            raise ConfigurationError(f"cannot use spool directory {self.root}: {exc}") from exc
        cursor = _read_cursor(self.directory)
        for segment in _segments(self.directory):
            if segment >= cursor[0]:
                self._load(segment, cursor[1] if segment == cursor[0] else 0)
                self._active = segment
            else:
                (self.directory / _name(segment)).unlink()
        if not self._pending:
            for segment in _segments(self.directory):
                (self.directory / _name(segment)).unlink()
            self._active = cursor[0] + 1
        self.set_aside = _count_set_aside(self.directory / "set-aside.jsonl")

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def append(self, readings: Sequence[Reading]) -> None:
        """Append a batch durably (fsync), or StorageFull when the bound would be passed."""
        payload = orjson.dumps(
            [[r.room_id, r.sensor_id, r.timestamp_ms, r.value] for r in readings]
        )
        line = b"%08x %s\n" % (zlib.crc32(payload), payload)
        with self._lock:
            if self._bytes + len(line) > self.max_bytes:
                raise StorageFull(
                    f"the outage spool is full ({self._bytes} of {self.max_bytes} bytes, "
                    f"{self._readings} readings) while the engine is unreachable; retry later",
                    retry_after_seconds=30,
                )
            path = self.directory / _name(self._active)
            if path.exists() and path.stat().st_size + len(line) > SEGMENT_BYTES:
                self._active += 1
                path = self.directory / _name(self._active)
            with path.open("ab") as segment_file:
                segment_file.write(line)
                segment_file.flush()
                os.fsync(segment_file.fileno())
                end = segment_file.tell()
            self._push(SpooledBatch(self._active, end, len(line), list(readings)))

    def peek(self) -> SpooledBatch | None:
        """The oldest batch not yet replayed."""
        with self._lock:
            return self._pending[0] if self._pending else None

    def done(self, batch: SpooledBatch) -> None:
        """Mark the oldest batch replayed; its segment goes once nothing in it is pending."""
        with self._lock:
            if not self._pending or self._pending[0] is not batch:
                raise RuntimeError("spool batches must be marked done oldest first")
            self._pending.popleft()
            self._bytes -= batch.size
            self._readings -= len(batch.readings)
            _write_cursor(self.directory, batch.segment, batch.end)
            segment_done = not self._pending or self._pending[0].segment != batch.segment
            if segment_done and batch.segment != self._active:
                (self.directory / _name(batch.segment)).unlink(missing_ok=True)

    def keep_aside(self, readings: Sequence[Reading], reason: str) -> None:
        """Record readings the engine refused for good, for people to look at; count them."""
        record = {
            "reason": reason,
            "readings": [[r.room_id, r.sensor_id, r.timestamp_ms, r.value] for r in readings],
        }
        with self._lock, (self.directory / "set-aside.jsonl").open("ab") as aside:
            aside.write(orjson.dumps(record) + b"\n")
            aside.flush()
            os.fsync(aside.fileno())
            self.set_aside += len(readings)

    def _push(self, batch: SpooledBatch) -> None:
        self._pending.append(batch)
        self._bytes += batch.size
        self._readings += len(batch.readings)

    def _load(self, segment: int, start: int) -> None:
        with (self.directory / _name(segment)).open("r+b") as segment_file:
            segment_file.seek(start)
            offset = start
            for line in segment_file:
                readings = _parse(line)
                if readings is None:  # torn by a crash mid-append: never acknowledged
                    segment_file.truncate(offset)
                    return
                offset += len(line)
                self._push(SpooledBatch(segment, offset, len(line), readings))


def _parse(line: bytes) -> list[Reading] | None:
    checksum, _, payload = line.rstrip(b"\n").partition(b" ")
    if not line.endswith(b"\n") or checksum != b"%08x" % zlib.crc32(payload):
        return None
    return [Reading(room, sensor, ts, value) for room, sensor, ts, value in orjson.loads(payload)]


def _claim_slot(root: Path) -> tuple[Path, IO[bytes]]:
    for slot in range(MAX_SLOTS):
        directory = root / f"slot-{slot}"
        directory.mkdir(exist_ok=True)
        lock_file = (directory / "lock").open("ab")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            continue
        return directory, lock_file
    raise OSError(f"all {MAX_SLOTS} spool slots are held by other processes")


def _name(segment: int) -> str:
    return f"segment-{segment:08d}.log"


def _segments(directory: Path) -> list[int]:
    return sorted(int(path.stem.split("-")[1]) for path in directory.glob("segment-*.log"))


def _read_cursor(directory: Path) -> tuple[int, int]:
    try:
        segment, offset = (directory / "cursor").read_text().split()
        return int(segment), int(offset)
    except (FileNotFoundError, ValueError):
        return 0, 0


def _write_cursor(directory: Path, segment: int, offset: int) -> None:
    temporary = directory / "cursor.tmp"
    with temporary.open("w") as cursor_file:
        cursor_file.write(f"{segment} {offset}\n")
        cursor_file.flush()
        os.fsync(cursor_file.fileno())
    temporary.replace(directory / "cursor")


def _count_set_aside(path: Path) -> int:
    try:
        with path.open("rb") as records:
            return sum(len(orjson.loads(record)["readings"]) for record in records)
    except FileNotFoundError:
        return 0
