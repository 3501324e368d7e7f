"""Remote-write samples encoded and decoded a column at a time (numpy), with no object per sample.

A Sample message inside a TimeSeries is `0x12 len 0x09 <8-byte LE double> 0x10 <varint ts>`. A
millisecond timestamp in `[2**35, 2**42)` (1971 to 2109) is always a 6-byte varint, so such a
sample is always the same 18 bytes around its value and time: a batch of them is built (and read
back) as a numpy array of rows. Any other timestamp takes remote_write's general encoder, which
writes the same bytes (tests/prometheus/test_frames.py holds the two against each other and against
the protobuf library).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from roomtemp.storage.prometheus.remote_write import decode_samples, encode_samples

FIXED_LOW_MS, FIXED_HIGH_MS = 1 << 35, 1 << 42
"""Timestamps with a 6-byte varint."""
FRAME_BYTES = 18
_VARINT_BYTES = 6
_HEAD = np.array([0x12, 16, 0x09], np.uint8)
_TIMESTAMP_TAG = 0x10
_SHIFTS = np.arange(0, 7 * _VARINT_BYTES, 7, dtype=np.uint64)
_CONTINUE = np.array([0x80] * (_VARINT_BYTES - 1) + [0], np.uint8)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def fixed_width(ts: I64) -> bool:
    """True when every timestamp has a 6-byte varint (so every frame is 18 bytes)."""
    return ts.shape[0] == 0 or bool(ts.min() >= FIXED_LOW_MS and ts.max() < FIXED_HIGH_MS)


def encode_columns(ts: I64, values: F64) -> bytes:
    """Samples in the order given, as remote_write.encode_samples writes them."""
    if not fixed_width(ts):
        return encode_samples(zip(ts.tolist(), values.tolist(), strict=True))
    return frames(ts, values).tobytes()


def frames(ts: I64, values: F64) -> npt.NDArray[np.uint8]:
    """The 18-byte frames (one row a sample) of timestamps in the fixed-width range."""
    rows = np.empty((ts.shape[0], FRAME_BYTES), np.uint8)
    rows[:, :3] = _HEAD
    rows[:, 3:11] = np.ascontiguousarray(values, "<f8").view(np.uint8).reshape(-1, 8)
    rows[:, 11] = _TIMESTAMP_TAG
    groups = (ts.astype(np.uint64)[:, None] >> _SHIFTS) & np.uint64(0x7F)
    rows[:, 12:] = groups.astype(np.uint8) | _CONTINUE
    return rows


def decode_columns(data: bytes) -> tuple[I64, F64]:
    """Timestamps and values of encoded samples (as encode_samples or encode_columns wrote them)."""
    rows = _fixed_rows(data)
    if rows is None:
        samples = decode_samples(data)
        return (
            np.array([t for t, _ in samples], np.int64),
            np.array([v for _, v in samples], np.float64),
        )
    values = rows[:, 3:11].copy().view("<f8").reshape(-1).astype(np.float64)
    groups = (rows[:, 12:] & 0x7F).astype(np.uint64) << _SHIFTS
    return np.bitwise_or.reduce(groups, axis=1).astype(np.int64), values


def _fixed_rows(data: bytes) -> npt.NDArray[np.uint8] | None:
    """The data as 18-byte frames, or None when it is not made only of such frames."""
    if len(data) % FRAME_BYTES:
        return None
    rows = np.frombuffer(data, np.uint8).reshape(-1, FRAME_BYTES)
    sound = (
        np.all(rows[:, :3] == _HEAD)
        and np.all(rows[:, 11] == _TIMESTAMP_TAG)
        and np.all((rows[:, 12:] & 0x80) == _CONTINUE)
        and np.all(rows[:, -1] != 0)
    )
    return rows if sound else None
