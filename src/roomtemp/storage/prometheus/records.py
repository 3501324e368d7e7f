"""The spool's record format: each batch of readings framed and checksummed on its own.

    magic (4 bytes) | payload length | reading count | payload crc32 | header crc32 | payload

The four numbers are little-endian u32; the header checksum covers the magic and the three numbers
before it, the payload checksum the payload (orjson of `[[room, sensor, ts_ms, value], ...]`).
A record whose header is sound but whose payload is not loses only itself, and its reading count
is still known. A damaged header is skipped by looking for the next magic, which the payload can
never contain (JSON text has no 0x00 or 0xFF bytes): one bad record never hides the ones after it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import orjson

from roomtemp.domain import Reading

MAGIC = b"\xffRT\x00"
_HEADER = struct.Struct("<4sIIII")
HEADER_BYTES = _HEADER.size


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


def encode(readings: Sequence[Reading]) -> bytes:
    """One record holding the batch."""
    payload = orjson.dumps([[r.room_id, r.sensor_id, r.timestamp_ms, r.value] for r in readings])
    numbers = (MAGIC, len(payload), len(readings), zlib.crc32(payload))
    header_crc = zlib.crc32(_HEADER.pack(*numbers, 0)[:-4])
    return _HEADER.pack(*numbers, header_crc) + payload


def decode(data: bytes | memoryview) -> list[Reading]:
    """The readings of one sound record (as `scan` found it)."""
    payload = bytes(data[HEADER_BYTES:])
    return [Reading(room, sensor, ts, value) for room, sensor, ts, value in orjson.loads(payload)]


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
        cut = data.find(MAGIC, position + HEADER_BYTES, min(end, len(data)))
        if cut != -1:  # another record starts inside this one's payload: it was cut short
            yield Damaged(position, cut, count)
            position = cut
            continue
        if end > len(data):
            yield Torn(position)
            return
        if zlib.crc32(data[position + HEADER_BYTES : end]) == payload_crc:
            yield Found(position, end, count)
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
