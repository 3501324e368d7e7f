"""Rollup records of one series over one period as a fixed grid of slots (one per bucket), so
that many periods decode together in a few numpy calls.

Fields per slot: count, total, min, max, first offset, first value, last offset, last value,
and the integral's residual against the regular-spacing prediction (0 for evenly spaced
readings, so the integral costs nothing on regular sensors):
    residual = integral x (count - 1) - (total - last_value) x (last_ts - first_ts)
With scaled integers (values with at most 4 decimals, checked exactly) every field is an
integer; each field is delta-coded along the slots, zigzagged, split into byte planes, then zlib.
Otherwise (float mode) the fields are stored as float64 bits.

Layout: <B version, B mode, B decimals, B width, H slots, q period start, q slot width, I crc32>
+ zlib; the crc32 (version 2) covers the header before it and the compressed body, so that a
flipped bit in the scale, the period or the slot width is refused, not decoded into other
figures. Version 1 (written before 3 Dec 2026, still read) had no checksum (zlib's own covers
the grid, not the header).
"""

from __future__ import annotations

import struct
import zlib
from collections import defaultdict

import numpy as np
import numpy.typing as npt

from roomtemp.storage.rollups.records import F64, I64, Records, concat
from roomtemp.storage.sqlite.codec import CorruptBlock, planes, scale_of, unzigzag, zigzag

VERSION = 2
UNCHECKED = 1
"""The first version, still read: no checksum of its own."""
SCALED, FLOAT = 0, 1
FIELDS = 9
_HEADER = struct.Struct("<BBBBHqq")
_CRC = struct.Struct("<I")
_KINDS: dict[int, type[np.unsignedinteger]] = {
    1: np.uint8,
    2: np.uint16,
    4: np.uint32,
    8: np.uint64,
}
Grid = npt.NDArray[np.float64]


def encode(records: Records, period_start: int, width_ms: int, slots: int) -> bytes:
    """Records whose buckets lie in `[period_start, period_start + slots * width)`."""
    slot = ((records.start - period_start) // width_ms).astype(np.intp)
    grid = np.zeros((FIELDS, slots), np.float64)
    values = np.concatenate(
        (records.minimum, records.maximum, records.first_value, records.last_value)
    )
    decimals = scale_of(values) if values.size else 0
    mode = FLOAT if decimals is None else SCALED
    grid[:, slot] = _fields(records, 10.0 ** (decimals or 0), mode)
    if mode == FLOAT:
        body, width = grid.tobytes(), 8
    else:
        ints = grid.astype(np.int64)
        width, body = planes(zigzag(np.diff(ints, axis=1, prepend=0).ravel()))
    header = _HEADER.pack(VERSION, mode, decimals or 0, width, slots, period_start, width_ms)
    packed = zlib.compress(body, 6)
    return header + _CRC.pack(zlib.crc32(packed, zlib.crc32(header))) + packed


def _fields(records: Records, factor: float, mode: int) -> Grid:
    first_off = (records.first_ts - records.start).astype(np.float64)
    last_off = (records.last_ts - records.start).astype(np.float64)
    count = records.count.astype(np.float64)
    if mode == FLOAT:
        return np.stack(
            (count, records.total, records.minimum, records.maximum, first_off,
             records.first_value, last_off, records.last_value, records.integral)
        )  # fmt: skip
    total = np.rint(records.total * factor)
    last = np.rint(records.last_value * factor)
    integral = np.rint(records.integral * factor)
    span = (records.last_ts - records.first_ts).astype(np.float64)
    residual = integral * np.maximum(records.count - 1, 0) - (total - last) * span
    return np.stack(
        (count, total, np.rint(records.minimum * factor), np.rint(records.maximum * factor),
         first_off, np.rint(records.first_value * factor), last_off, last, residual)
    )  # fmt: skip


def decode_many(blobs: list[bytes]) -> Records:
    """The non-empty slots of many periods (blobs of non-overlapping periods), by time."""
    groups: dict[tuple[int, int, int, int, int], list[tuple[int, bytes]]] = defaultdict(list)
    for blob in blobs:
        try:
            version, mode, decimals, width, slots, start, slot_width = _HEADER.unpack_from(blob)
            body = zlib.decompress(_checked_body(blob, version))
        except (struct.error, zlib.error) as exc:
            raise CorruptBlock(f"rollup slots do not decode: {exc}") from exc
        if len(body) != FIELDS * slots * (8 if mode == FLOAT else width):
            raise CorruptBlock(f"rollup slots of version {version}: the grid's size is wrong")
        groups[(mode, decimals, width, slots, slot_width)].append((start, body))
    parts = [_decode_group(*key, items) for key, items in groups.items()]
    if len(parts) == 1:
        return parts[0]  # blobs come in time order, and so do their slots
    records = concat(parts)
    return records.take(np.argsort(records.start, kind="stable"))


def _checked_body(blob: bytes, version: int) -> bytes:
    """The compressed grid of a blob whose checksum (version 2) holds."""
    if version == UNCHECKED:
        return blob[_HEADER.size :]
    if version != VERSION:
        raise CorruptBlock(f"rollup slots of unknown version {version}")
    at = _HEADER.size + _CRC.size
    (crc,) = _CRC.unpack_from(blob, _HEADER.size)
    if zlib.crc32(blob[at:], zlib.crc32(blob[: _HEADER.size])) != crc:
        raise CorruptBlock("rollup slots checksum mismatch")
    return blob[at:]


def _decode_group(
    mode: int, decimals: int, width: int, slots: int, slot_width: int,
    items: list[tuple[int, bytes]],
) -> Records:  # fmt: skip
    count = len(items)
    raw = np.frombuffer(b"".join(body for _, body in items), np.uint8)
    if mode == FLOAT:
        grid = raw.view(np.float64).reshape(count, FIELDS, slots)
    else:
        planes_ = raw.reshape(count, width, FIELDS * slots).transpose(0, 2, 1).copy()
        coded = planes_.view(_KINDS[width]).reshape(count, FIELDS, slots).astype(np.uint64)
        grid = np.cumsum(unzigzag(coded), axis=2).astype(np.float64)
    starts = np.array([start for start, _ in items], np.int64)
    which, slot = np.nonzero(grid[:, 0, :] > 0)
    fields = grid[which, :, slot].T
    bucket = starts[which] + slot.astype(np.int64) * slot_width
    return _records(fields, bucket, 10.0**decimals, mode)


def _records(fields: Grid, bucket: I64, factor: float, mode: int) -> Records:
    count = fields[0].astype(np.int64)
    first_ts = bucket + fields[4].astype(np.int64)
    last_ts = bucket + fields[6].astype(np.int64)
    if mode == FLOAT:
        total, low, high, first, last, integral = (fields[i] for i in (1, 2, 3, 5, 7, 8))
        return Records(bucket, count, total, low, high, first_ts, first, last_ts, last, integral)
    span = (last_ts - first_ts).astype(np.float64)
    predicted = fields[8] + (fields[1] - fields[7]) * span
    scaled: F64 = np.where(count > 1, predicted / np.maximum(count - 1, 1), 0.0)
    return Records(
        bucket, count, fields[1] / factor, fields[2] / factor, fields[3] / factor, first_ts,
        fields[5] / factor, last_ts, fields[7] / factor, scaled / factor,
    )  # fmt: skip
