"""Log rows: one group commit's new readings as little-endian columns with a CRC32.

    <I count, I crc32(body)> body = series (i32) | timestamps (i64) | values (f64)

Readings are sorted by (series, ts); only readings inside the hot tier's window are logged.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite.codec import CorruptBlock
from roomtemp.storage.sqlite.hot import Run
from roomtemp.storage.sqlite.keys import composite, split_keys

_HEADER = struct.Struct("<II")


def encode(keys: I64, values: F64) -> bytes:
    """The payload of a log row holding readings sorted by composite key."""
    series, ts = split_keys(keys)
    body = series.astype("<i4").tobytes() + ts.astype("<i8").tobytes()
    body += values.astype("<f8").tobytes()
    return _HEADER.pack(int(keys.shape[0]), zlib.crc32(body)) + body


def decode(batch_id: int, payload: bytes) -> Run:
    """The run of one log row; CorruptBlock when its checksum or size does not match."""
    count, crc = _HEADER.unpack_from(payload) if len(payload) >= _HEADER.size else (-1, 0)
    body = memoryview(payload)[_HEADER.size :]
    if count < 0 or len(body) != count * 20 or zlib.crc32(body) != crc:
        raise CorruptBlock(f"log row {batch_id} is corrupt")
    series = np.frombuffer(body, "<i4", count, 0).astype(np.int64)
    ts = np.frombuffer(body, "<i8", count, count * 4).astype(np.int64)
    values = np.frombuffer(body, "<f8", count, count * 12).astype(np.float64)
    return Run(composite(series, ts), values, np.full(count, batch_id, np.int64))
