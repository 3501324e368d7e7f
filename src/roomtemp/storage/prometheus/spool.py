"""The durable outage spool: batches of readings appended to fsync'd segment files.

Each batch is one checksummed record (records.py), with the values as sent of its calibrated
readings, and readings whose offsets were unknown kept apart to be calibrated on replay. On
open, a damaged record is logged, counted and skipped, and a torn tail (a crash mid-append, never
acknowledged) is cut off; nothing else is lost. An append is acknowledged only after fsync, and
only if it fits both the spool's bound and the free space of its disk (else StorageFull: 503
with Retry-After); a failed append is cut off again so that later records follow a sound one.
The cursor says how far replay got. Replay is at-least-once around a crash; the backend's
duplicate detection makes a re-sent reading harmless. Each process claims its own numbered slot
(flock), so several workers share one spool directory and a restarted process finds what was
left. Only the records' places are kept in memory.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from roomtemp.domain import Reading
from roomtemp.errors import ConfigurationError, StorageFull
from roomtemp.storage.prometheus import records
from roomtemp.storage.prometheus.batches import Merged, SeriesBatch, group, merge
from roomtemp.storage.prometheus.legacy_spool import migrate_line_segments
from roomtemp.storage.prometheus.records import Spooled
from roomtemp.storage.prometheus.segments import RETRY_AFTER_SECONDS, SegmentWriter
from roomtemp.storage.prometheus.spool_disk import Cursor, Disk, claim_slot, segment_path, segments

log = logging.getLogger("roomtemp.storage.spool")

RESERVE_BYTES = 64 * 1024
"""Free space an append leaves on the disk, for the set-aside file and the file system itself."""


@dataclass(frozen=True, slots=True)
class Entry:
    """Where one pending record lies, and how many readings it holds."""

    segment: int
    start: int
    end: int
    count: int


@dataclass(frozen=True)
class Chunk:
    """The oldest pending records, merged into one batch to replay together."""

    entries: list[Entry]
    spooled: list[Spooled]
    merged: Merged | None
    """Their readings merged, None while some wait to be calibrated (`uncalibrated`)."""
    sent: SeriesBatch
    """The values as sent of their calibrated readings."""

    @property
    def readings(self) -> int:
        """How many readings were spooled in these records."""
        return sum(entry.count for entry in self.entries)


@dataclass
class SpoolCounts:
    """What the spool found wrong since the process started."""

    damaged_records: int = 0
    lost_readings: int = 0
    torn_records: int = 0


class Spool:
    """A bounded, durable FIFO of reading batches."""

    def __init__(self, directory: Path, max_bytes: int, disk: Disk | None = None) -> None:
        self.root = directory
        self.directory = directory
        self.max_bytes = max_bytes
        self.disk = disk if disk is not None else Disk()
        self.counts = SpoolCounts()
        self.set_aside = 0
        """Readings the engine refused for good, kept in `set-aside.jsonl`."""
        self._lock = threading.Lock()
        self._pending: deque[Entry] = deque()
        self._bytes = 0
        self._readings = 0
        self._writer: SegmentWriter | None = None
        self._cursor: Cursor | None = None
        self._lock_file: IO[bytes] | None = None

    @property
    def readings(self) -> int:
        """Readings waiting to be replayed."""
        return self._readings

    @property
    def full(self) -> bool:
        """True when not even a small batch fits any more (in the bound, or on the disk)."""
        small = 1024
        if self._bytes + small > self.max_bytes:
            return True
        return self.disk.free_bytes(self.directory) < small + RESERVE_BYTES

    def open(self) -> None:
        """Claim a free slot under the directory and load what an earlier process left there."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.directory, self._lock_file = claim_slot(self.root)
            self._cursor = Cursor(self.directory / "cursor.bin")
            first, offset = self._cursor.open()
            found = segments(self.directory)
            for segment in found:
                self._load(segment, offset if segment == first else 0, first)
            active = max([first, *found]) + (0 if self._pending else 1)
            self._drop_replayed(self._pending[0].segment if self._pending else active)
            size = _size(segment_path(self.directory, active))
            self._writer = SegmentWriter(self.directory, self.disk, active, size)
            self.set_aside = _count_set_aside(self.directory / "set-aside.jsonl")
            migrate_line_segments(self.directory, lambda readings: self.append(group(readings)))
        except OSError as exc:
            raise ConfigurationError(f"cannot use spool directory {self.root}: {exc}") from exc

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._cursor is not None:
            self._cursor.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def append(self, spooled: Spooled | SeriesBatch) -> None:
        """Append a write (or a batch of readings alone) durably; StorageFull when the bound or
        the disk would be passed."""
        record = records.encode(spooled)
        with self._lock:
            self._check_room(len(record))
            assert self._writer is not None
            self._push(Entry(*self._writer.append(record), records.count(record)))

    def peek(self, max_readings: int, skip: int = 0) -> Chunk | None:
        """The oldest pending records after the first `skip`, up to `max_readings` readings
        (at least one record)."""
        with self._lock:
            entries: list[Entry] = []
            total = 0
            for entry in itertools.islice(self._pending, skip, None):
                if entries and total + entry.count > max_readings:
                    break
                entries.append(entry)
                total += entry.count
        if not entries:
            return None
        spooled = self._read(entries)
        waiting = any(one.uncalibrated for one in spooled)
        merged = None if waiting else merge([one.readings for one in spooled])
        return Chunk(entries, spooled, merged, merge([one.sent for one in spooled]).batch)

    def done(self, chunk: Chunk) -> None:
        """Mark a peeked chunk replayed; segments go once nothing in them is pending."""
        with self._lock:
            for entry in chunk.entries:
                if not self._pending or self._pending[0] != entry:
                    raise RuntimeError("spool chunks must be marked done oldest first")
                self._pending.popleft()
                self._bytes -= entry.end - entry.start
                self._readings -= entry.count
            last = chunk.entries[-1]
            assert self._cursor is not None
            self._cursor.save(last.segment, last.end)
            assert self._writer is not None
            self._drop_replayed(self._pending[0].segment if self._pending else self._writer.segment)

    def keep_aside(self, readings: Sequence[Reading], reason: str) -> None:
        """Record readings the engine refused for good, for people to look at; count them."""
        record = {
            "reason": reason,
            "readings": [[r.room_id, r.sensor_id, r.timestamp_ms, r.value] for r in readings],
        }
        path = self.directory / "set-aside.jsonl"
        with self._lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                self.disk.write(fd, orjson.dumps(record) + b"\n")
            finally:
                os.close(fd)
            self.set_aside += len(readings)

    def _check_room(self, size: int) -> None:
        if self._bytes + size > self.max_bytes:
            raise StorageFull(
                f"the outage spool is full ({self._bytes} of {self.max_bytes} bytes, "
                f"{self._readings} readings) while the engine does not take writes; retry later",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
        free = self.disk.free_bytes(self.directory)
        if free < size + RESERVE_BYTES:
            raise StorageFull(
                f"the disk under the outage spool {self.directory} has {free} bytes free, "
                f"too little for {size} more; retry later",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )

    def _push(self, entry: Entry) -> None:
        self._pending.append(entry)
        self._bytes += entry.end - entry.start
        self._readings += entry.count

    # -- reading -------------------------------------------------------------------------------

    def _load(self, segment: int, start: int, first: int) -> None:
        """Index the records of a segment (from `start`), reporting what is damaged or torn."""
        if segment < first:
            return
        path = segment_path(self.directory, segment)
        data = path.read_bytes()
        for item in records.scan(data, start):
            if isinstance(item, records.Found):
                self._push(Entry(segment, item.start, item.end, item.count))
            elif isinstance(item, records.Damaged):
                self._report_damage(path, item)
            else:
                self.counts.torn_records += 1
                log.warning(
                    "spool %s: dropped an incomplete record at byte %d (a crash while it was "
                    "appended, so it was never acknowledged)",
                    path,
                    item.start,
                )
                os.truncate(path, item.start)

    def _report_damage(self, path: Path, damage: records.Damaged) -> None:
        self.counts.damaged_records += 1
        self.counts.lost_readings += damage.count or 0
        lost = (
            f"{damage.count} readings"
            if damage.count is not None
            else "an unknown number of readings"
        )
        log.error(
            "spool %s: bytes %d-%d are damaged (checksum mismatch): %s lost; "
            "the records around them are kept",
            path,
            damage.start,
            damage.end,
            lost,
        )

    def _read(self, entries: list[Entry]) -> list[Spooled]:
        """The writes of the entries, read back from their segments and checked again."""
        batches: list[Spooled] = []
        for run in _runs(entries):
            path = segment_path(self.directory, run[0].segment)
            with path.open("rb") as segment_file:
                segment_file.seek(run[0].start)
                data = segment_file.read(run[-1].end - run[0].start)
            for item in records.scan(data):
                if isinstance(item, records.Found):
                    batches.append(records.decode(memoryview(data)[item.start : item.end]))
                elif isinstance(item, records.Damaged):
                    self._report_damage(path, item)
        return batches

    def _drop_replayed(self, keep_from: int) -> None:
        """Delete the segments before `keep_from` (nothing in them is pending)."""
        for segment in segments(self.directory):
            if segment < keep_from:
                segment_path(self.directory, segment).unlink(missing_ok=True)


def _runs(entries: list[Entry]) -> list[list[Entry]]:
    """The entries in runs that lie back to back in one segment (read in one go each)."""
    runs: list[list[Entry]] = []
    for entry in entries:
        if runs and runs[-1][-1].segment == entry.segment and runs[-1][-1].end == entry.start:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _count_set_aside(path: Path) -> int:
    try:
        with path.open("rb") as found:
            return sum(len(orjson.loads(line)["readings"]) for line in found if line.strip())
    except FileNotFoundError:
        return 0
