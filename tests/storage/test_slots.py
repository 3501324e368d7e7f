"""Rollup slot blobs: what is encoded comes back, a damaged blob (a bit flipped in its header or
its grid) is refused, never decoded into other figures; blobs of the first version still read."""

from __future__ import annotations

import struct
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.storage.rollups.records import Records, rollup
from roomtemp.storage.sqlite import slots
from roomtemp.storage.sqlite.codec import CorruptBlock
from tests.storage.test_decoded_slots import HOUR, PERIOD, T0, blob, same

HEADER = struct.Struct("<BBBBHqq").size
"""Version, mode, scale, byte width, slots, period start, slot width; version 2 adds a crc32."""


@given(st.integers(0, 10_000), st.data())
def test_a_flipped_bit_anywhere_is_refused(seed: int, data: st.DataObject) -> None:
    payload = bytearray(blob(seed, readings=50))
    bit = data.draw(st.integers(0, len(payload) * 8 - 1))
    payload[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(CorruptBlock):
        slots.decode_many([bytes(payload)])


def _first_version(payload: bytes) -> bytes:
    """The blob as the first version wrote it: version 1, no checksum."""
    return b"\x01" + payload[1:HEADER] + payload[HEADER + 4 :]


@given(st.integers(0, 10_000), st.sampled_from([2, None]))
def test_a_blob_of_the_first_version_still_decodes(seed: int, decimals: int | None) -> None:
    rng = np.random.default_rng(seed)
    ts = np.unique(T0 + rng.integers(0, PERIOD, 300)).astype(np.int64)
    values = rng.uniform(15, 28, ts.shape[0])
    values = values if decimals is None else np.round(values, decimals)
    current = slots.encode(rollup(ts, values, HOUR), T0, HOUR, 32 * 24)
    found = slots.decode_many([_first_version(current)])
    assert same(found, slots.decode_many([current]))
    assert found.start.shape[0] == rollup(ts, values, HOUR).start.shape[0]


def test_blobs_of_both_versions_decode_together() -> None:
    old, new = _first_version(blob(1, period=0)), blob(2, period=1)
    both = slots.decode_many([old, new])
    parts = [slots.decode_many([old]), slots.decode_many([new])]
    assert both.start.shape[0] == sum(part.start.shape[0] for part in parts)
    for field in fields(Records):
        joined = np.concatenate([getattr(part, field.name) for part in parts])
        assert np.array_equal(getattr(both, field.name), joined)
