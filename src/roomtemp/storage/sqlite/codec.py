"""Raw blocks: one (series, day) of readings in a few bytes each, checksummed.

Timestamps are delta-of-delta coded; values are scaled integers when they have at most 4
decimals (checked exactly: every value must come back bit for bit) or XOR-ed float64 bits
otherwise; then zigzag, the narrowest of 1/2/4/8 bytes, byte planes (all low bytes, then the
next ...) and zlib, which finds the long runs of zero bytes that regular sensors leave.

Block layout (little endian):
    header  <B version, B mode (0 scaled deltas, 1 float bits, 2 scaled offsets), B decimals,
             B pad, I count, q first_ts, I crc32>
    body    zlib( B ts_width, B value_width, ts planes, value planes )
The crc32 of version 2 covers the header before it and the compressed body, so that a flipped
bit anywhere in the block is refused; version 1 (written before 3 Dec 2026, still read) covered
the body only.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

from roomtemp.storage.rollups.records import F64, I64

VERSION = 2
BODY_ONLY_CRC = 1
"""The first version, still read: its checksum covers the body, not the header."""
MODE_SCALED, MODE_FLOAT, MODE_OFFSET = 0, 1, 2
MAX_DECIMALS = 4
U64 = npt.NDArray[np.uint64]
_HEADER = struct.Struct("<BBBxIqI")
_CRC_AT = _HEADER.size - 4
_WIDTHS: tuple[tuple[int, type[np.unsignedinteger]], ...] = (
    (0xFF, np.uint8),
    (0xFFFF, np.uint16),
    (0xFFFF_FFFF, np.uint32),
)
_KINDS: dict[int, type[np.unsignedinteger]] = {
    1: np.uint8,
    2: np.uint16,
    4: np.uint32,
    8: np.uint64,
}


class CorruptBlock(ValueError):
    """A block whose checksum or layout does not match: never decoded into answers."""


def scale_of(values: F64) -> int | None:
    """The fewest decimals (0..4) whose scaled integers give back every value exactly."""
    for decimals in range(MAX_DECIMALS + 1):
        factor = 10.0**decimals
        ints = np.rint(values * factor)
        if np.all(np.abs(ints) < 2**50) and np.array_equal(ints / factor, values):
            return decimals
    return None


def zigzag(deltas: I64) -> U64:
    return ((deltas << 1) ^ (deltas >> 63)).view(np.uint64)


def unzigzag(encoded: U64) -> I64:
    one = np.uint64(1)
    return (encoded >> one).view(np.int64) ^ -((encoded & one).view(np.int64))


def planes(encoded: U64) -> tuple[int, bytes]:
    """(width, bytes grouped plane by plane) of zigzagged integers in their narrowest width."""
    top = int(encoded.max()) if encoded.size else 0
    kind: type[np.unsignedinteger] = np.uint64
    for limit, candidate in _WIDTHS:
        if top <= limit:
            kind = candidate
            break
    width = np.dtype(kind).itemsize
    narrow = encoded.astype(kind)
    return width, narrow.view(np.uint8).reshape(-1, width).T.tobytes()


def unplanes(buffer: bytes, offset: int, count: int, width: int) -> U64:
    raw = np.frombuffer(buffer, np.uint8, count * width, offset).reshape(width, count)
    return raw.T.copy().view(_KINDS[width]).ravel().astype(np.uint64)


def _unzigzagged(buffer: bytes, offset: int, count: int, width: int) -> I64:
    """unzigzag(unplanes(...)) in fewer numpy calls: below 8 bytes every value fits an int64,
    whose arithmetic undoes the zigzag directly (a day's block decodes in 52 µs instead of
    63)."""
    if width == 8:
        return unzigzag(unplanes(buffer, offset, count, width))
    raw = np.frombuffer(buffer, np.uint8, count * width, offset)
    narrow = raw if width == 1 else raw.reshape(width, count).T.copy().view(_KINDS[width])
    ints = narrow.ravel().astype(np.int64)
    result: I64 = (ints >> 1) ^ -(ints & 1)
    return result


def _deltas(column: I64) -> I64:
    """First element, then successive differences."""
    return np.diff(column, prepend=np.int64(0))


def encode_block(ts: I64, values: F64, level: int = 6) -> bytes:
    """One block of readings sorted by timestamp (at least one)."""
    count = int(ts.shape[0])
    ts_width, ts_planes = planes(zigzag(_deltas(np.diff(ts))))
    best: tuple[bytes, int, int] | None = None
    for mode, decimals, column in _value_columns(values):
        width, value_planes = planes(column)
        body = zlib.compress(bytes((ts_width, width)) + ts_planes + value_planes, level)
        if best is None or len(body) < len(best[0]):
            best = (body, mode, decimals)
    assert best is not None
    body, mode, decimals = best
    head = _HEADER.pack(VERSION, mode, decimals, count, int(ts[0]), 0)[:_CRC_AT]
    return head + struct.pack("<I", zlib.crc32(body, zlib.crc32(head))) + body


def _value_columns(values: F64) -> list[tuple[int, int, U64]]:
    """The value encodings worth trying: scaled deltas and offsets, or XOR-ed float bits."""
    decimals = scale_of(values)
    if decimals is None:
        bits = values.view(np.int64)
        xored = np.concatenate((bits[:1], bits[1:] ^ bits[:-1]))
        return [(MODE_FLOAT, 0, xored.view(np.uint64))]
    ints = np.rint(values * 10.0**decimals).astype(np.int64)
    offsets = ints - ints[:1]
    offsets[:1] = ints[:1]
    return [
        (MODE_SCALED, decimals, zigzag(_deltas(ints))),
        (MODE_OFFSET, decimals, zigzag(offsets)),
    ]


def decode_block(payload: bytes) -> tuple[I64, F64]:
    """(timestamps, values) of a block; CorruptBlock when it does not check out."""
    try:
        version, mode, decimals, count, first, crc = _HEADER.unpack_from(payload)
        body = payload[_HEADER.size :]
        if version == VERSION:
            found = zlib.crc32(body, zlib.crc32(payload[:_CRC_AT]))
        elif version == BODY_ONLY_CRC:
            found = zlib.crc32(body)
        else:
            raise CorruptBlock(f"raw block of unknown version {version}")
        if found != crc:
            raise CorruptBlock("raw block checksum mismatch")
        return _decoded(zlib.decompress(body), mode, decimals, count, first)
    except (struct.error, zlib.error, ValueError, IndexError) as exc:
        if isinstance(exc, CorruptBlock):
            raise
        raise CorruptBlock(f"raw block does not decode: {exc}") from exc


def _decoded(raw: bytes, mode: int, decimals: int, count: int, first: int) -> tuple[I64, F64]:
    ts_width, value_width = raw[0], raw[1]
    steps = count - 1
    ts = np.empty(count, np.int64)
    ts[0] = 0
    np.cumsum(np.cumsum(_unzigzagged(raw, 2, steps, ts_width)), out=ts[1:])
    ts += first
    at = 2 + steps * ts_width
    values: F64
    if mode == MODE_FLOAT:
        encoded = unplanes(raw, at, count, value_width)
        values = np.bitwise_xor.accumulate(encoded.view(np.int64)).view(np.float64)
    elif mode == MODE_SCALED:
        values = np.cumsum(_unzigzagged(raw, at, count, value_width)) / 10.0**decimals
    else:
        ints = _unzigzagged(raw, at, count, value_width)
        ints[1:] += ints[0]
        values = ints / 10.0**decimals
    return ts, values
