"""The spool's files: a slot per process, segment files, the replay cursor, and the disk itself.

`Disk` is the one place that writes, syncs and asks for free space, so that a test can stand in
a disk that fills up where it cannot mount a small file system.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import zlib
from pathlib import Path
from typing import IO

MAX_SLOTS = 64
SEGMENT_SUFFIX = ".rts"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_POSITION = struct.Struct("<QQQ")
_CHECKSUM = struct.Struct("<I")
_SLOT_BYTES = 32


class Disk:
    """Writes that are durable once they return, and the free space under a directory."""

    def free_bytes(self, directory: Path) -> int:
        """Bytes an unprivileged process may still write there."""
        stats = os.statvfs(directory)
        return stats.f_bavail * stats.f_frsize

    def write(self, fd: int, data: bytes) -> None:
        """Write all of `data` (a short write is continued) and fsync."""
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)


def is_disk_full(exc: OSError) -> bool:
    """True for the errors that mean "no space" (disk, quota or file size limit)."""
    return exc.errno in _DISK_FULL


def sync_directory(directory: Path) -> None:
    """Make a created or removed file's directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Cursor:
    """How far replay got: two checksummed slots overwritten in place, newest sound one wins.

    Overwriting needs no new disk blocks, so replay can record progress on a full disk, and a
    write torn by a crash leaves the other slot.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sequence = 0
        self.position = (0, 0)
        self._fd = -1

    def open(self) -> tuple[int, int]:
        """Open (creating both slots) and return (segment, offset)."""
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        raw = os.pread(self._fd, 2 * _SLOT_BYTES, 0)
        slots = (raw[:_SLOT_BYTES], raw[_SLOT_BYTES:])
        sound = [_POSITION.unpack_from(slot) for slot in slots if _sound(slot)]
        if sound:
            self.sequence, segment, offset = max(sound)
            self.position = (segment, offset)
        if len(raw) < 2 * _SLOT_BYTES:
            self.save(*self.position)
            self.save(*self.position)
        return self.position

    def save(self, segment: int, offset: int) -> None:
        """Record that everything before `offset` in `segment` (and earlier segments) is done."""
        self.sequence += 1
        body = _POSITION.pack(self.sequence, segment, offset)
        slot = (body + _CHECKSUM.pack(zlib.crc32(body))).ljust(_SLOT_BYTES, b"\0")
        os.pwrite(self._fd, slot, (self.sequence % 2) * _SLOT_BYTES)
        os.fsync(self._fd)
        self.position = (segment, offset)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _sound(slot: bytes) -> bool:
    size = _POSITION.size
    if len(slot) < size + _CHECKSUM.size:
        return False
    stored: int = _CHECKSUM.unpack_from(slot, size)[0]
    return stored == zlib.crc32(slot[:size])


def claim_slot(root: Path) -> tuple[Path, IO[bytes]]:
    """The first `slot-N` directory no other process holds, and the lock file that holds it."""
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


def segment_path(directory: Path, segment: int) -> Path:
    return directory / f"segment-{segment:08d}{SEGMENT_SUFFIX}"


def segments(directory: Path) -> list[int]:
    """The numbers of the segment files in a slot, oldest first."""
    return sorted(
        int(path.stem.split("-")[1]) for path in directory.glob(f"segment-*{SEGMENT_SUFFIX}")
    )
