"""The spool's record format: each batch of readings framed and checksummed on its own.

    magic (4 bytes) | payload length | reading count | payload crc32 | header crc32 | payload

The four numbers are little-endian u32; the header checksum covers the magic and the three numbers
before it, the payload checksum the payload: the length of an index (u32), the index (orjson of
`[[room, sensor, first_ms, last_ms, count, bytes(, part)], ...]`, one entry per series), then each
series' samples as remote write encodes them (so that a replay sends them as they are). `part`
says what a series holds (absent in records of earlier versions: readings stored as they are):
1 the values as sent of calibrated readings (written beside them), 2 readings of sensors whose
offsets were unknown when they came (calibrated when replayed). The reading count is that of
parts 0 and 2.
A record whose header is sound but whose payload is not loses only itself, and its reading count
is still known. A damaged header, or a record cut short by a failed write, is skipped by looking
for the next magic; where the magic happens to occur inside a payload, the header checksum that
must follow it fails and the search goes on. One bad record never hides the ones after it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from roomtemp.storage.prometheus.batches import Run, SeriesBatch, size

MAGIC = b"\xffRT\x00"
_HEADER = struct.Struct("<4sIIII")
_INDEX_LENGTH = struct.Struct("<I")
HEADER_BYTES = _HEADER.size


@dataclass(frozen=True)
class Spooled:
    """What one spooled write holds."""

    readings: SeriesBatch
    """Readings to store as they are (calibrated already, or of sensors with no offset)."""
    sent: SeriesBatch = field(default_factory=dict)
    """The values as sent of calibrated readings, written beside them."""
    uncalibrated: SeriesBatch = field(default_factory=dict)
    """Readings of sensors whose offsets were unknown (the engine away): calibrated on replay."""

    @property
    def count(self) -> int:
        """How many readings it holds."""
        return size(self.readings) + size(self.uncalibrated)


_PARTS = ("readings", "sent", "uncalibrated")


@dataclass(frozen=True, slots=True)
class Found:
    """A sound record at `[start, end)` of a segment."""

    start: int
    end: int
    count: int


@dataclass(frozen=True, slots=True)
class Damaged:
    """Bytes at `[start, end)` that are no sound record; `count` readings lost, None if unknown."""

    start: int
    end: int
    count: int | None


@dataclass(frozen=True, slots=True)
class Torn:
    """An incomplete record at the end of a segment (a crash mid-append: never acknowledged)."""

    start: int


def encode(spooled: Spooled | SeriesBatch) -> bytes:
    """One record holding a spooled write (a batch alone: readings stored as they are)."""
    if not isinstance(spooled, Spooled):
        spooled = Spooled(spooled)
    series = [
        (part, key, run)
        for part, name in enumerate(_PARTS)
        for key, run in getattr(spooled, name).items()
    ]
    index = orjson.dumps(
        [
            [room, sensor, run.first_ms, run.last_ms, run.count, len(run.encoded)]
            + ([part] if part else [])
            for part, (room, sensor), run in series
        ]
    )
    payload = b"".join(
        [_INDEX_LENGTH.pack(len(index)), index, *(run.encoded for _, _, run in series)]
    )
    numbers = (MAGIC, len(payload), spooled.count, zlib.crc32(payload))
    header_crc = zlib.crc32(_HEADER.pack(*numbers, 0)[:-4])
    return _HEADER.pack(*numbers, header_crc) + payload


def decode(data: bytes | memoryview) -> Spooled:
    """The spooled write of one sound record (as `scan` found it)."""
    payload = bytes(data[HEADER_BYTES:])
    (index_length,) = _INDEX_LENGTH.unpack_from(payload)
    position = _INDEX_LENGTH.size + index_length
    parts: tuple[SeriesBatch, SeriesBatch, SeriesBatch] = ({}, {}, {})
    for row in orjson.loads(payload[_INDEX_LENGTH.size : position]):
        # [room, sensor, first_ms, last_ms, count, length] + [part] when not 0; by index, not
        # unpacked: a starred unpacking per series was a quarter of a replay's CPU
        end = position + row[5]
        run = Run(row[2], row[3], row[4], None, payload[position:end])
        parts[row[6] if len(row) > 6 else 0][row[0], row[1]] = run
        position = end
    return Spooled(*parts)


def count(record: bytes) -> int:
    """How many readings an encoded record holds."""
    count_field: int = _HEADER.unpack_from(record)[2]
    return count_field


def scan(data: bytes, start: int = 0) -> Iterator[Found | Damaged | Torn]:
    """Every record from `start` on, with what is damaged between them and a torn tail."""
    position = start
    while position < len(data):
        header = _header(data, position)
        if header is None:
            if len(data) - position < HEADER_BYTES and MAGIC.startswith(data[position:][:4]):
                yield Torn(position)
                return
            following = data.find(MAGIC, position + 1)
            end = following if following != -1 else len(data)
            yield Damaged(position, end, None)
            position = end
            continue
        length, count, payload_crc = header
        end = position + HEADER_BYTES + length
        if end <= len(data) and zlib.crc32(data[position + HEADER_BYTES : end]) == payload_crc:
            yield Found(position, end, count)
            position = end
            continue
        cut = data.find(MAGIC, position + HEADER_BYTES, min(end, len(data)))
        if cut != -1:  # perhaps another record starts inside this one: it was cut short
            yield Damaged(position, cut, count)
            position = cut
        elif end > len(data):
            yield Torn(position)
            return
        else:
            yield Damaged(position, end, count)
            position = end


def _header(data: bytes, position: int) -> tuple[int, int, int] | None:
    """(payload length, count, payload crc) of a sound header at `position`, else None."""
    raw = data[position : position + HEADER_BYTES]
    if len(raw) < HEADER_BYTES or not raw.startswith(MAGIC):
        return None
    _, length, count, payload_crc, header_crc = _HEADER.unpack(raw)
    if zlib.crc32(raw[:-4]) != header_crc:
        return None
    return length, count, payload_crc
