"""Appending spool records to a slot's segment files, the newest one at a time.

An append returns once the record is on disk (fsync); one that fails is cut back off the file,
so the next record follows a sound one (and if even that fails, the next goes to a new segment).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from roomtemp.errors import StorageFull, StorageUnavailable
from roomtemp.storage.prometheus.spool_disk import Disk, is_disk_full, segment_path, sync_directory

log = logging.getLogger("roomtemp.storage.spool")

SEGMENT_BYTES = 8 * 1024 * 1024
RETRY_AFTER_SECONDS = 30


class SegmentWriter:
    """Writes records to segment `segment` (of `size` bytes so far) and the ones after it."""

    def __init__(self, directory: Path, disk: Disk, segment: int, size: int) -> None:
        self.directory = directory
        self.disk = disk
        self.segment = segment
        self.size = size
        self._fd = -1

    def append(self, record: bytes) -> tuple[int, int, int]:
        """Write a record durably: (segment, start, end); StorageFull when the disk is full."""
        fd = self._writable(len(record))
        start = self.size
        try:
            self.disk.write(fd, record)
        except OSError as exc:
            self._cut_back(fd, start)
            raise self._failed(exc) from exc
        self.size = start + len(record)
        return self.segment, start, self.size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _writable(self, size: int) -> int:
        """The segment's descriptor, moving on to a new segment when this one is full."""
        if self._fd >= 0 and self.size + size <= SEGMENT_BYTES:
            return self._fd
        if self._fd >= 0:
            self.close()
            self.segment += 1
            self.size = 0
        path = segment_path(self.directory, self.segment)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        sync_directory(self.directory)
        return self._fd

    def _cut_back(self, fd: int, size: int) -> None:
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError:
            log.exception("could not cut a failed spool append back; starting a new segment")
            self.size = SEGMENT_BYTES

    def _failed(self, exc: OSError) -> StorageUnavailable:
        if is_disk_full(exc):
            return StorageFull(
                f"the disk under the outage spool {self.directory} is full ({exc}); retry later",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
        log.error("cannot append to the outage spool %s: %s", self.directory, exc)
        return StorageUnavailable(f"cannot append to the outage spool: {exc}")
