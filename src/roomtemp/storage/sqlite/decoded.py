"""Decoded rollup slots kept by their bytes, so that repeated stats queries skip decoding.

A year of hourly stats of one room reads 13 blobs of 1h slots; decoding them (zlib, byte
planes, zigzag, running sums) is about half of the storage layer's work. The cache is keyed by
the blob's bytes themselves: a blob rewritten by a seal, a retention round or another process
is another key, so an entry can never be stale and nothing has to invalidate it. Entries are
dropped least recently used first, past a budget of bytes (the blobs and their decoded
arrays). The decoded arrays are read-only: every answer shares them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import fields

import numpy as np

from roomtemp.storage.rollups.records import Records, concat
from roomtemp.storage.sqlite import slots

DEFAULT_BUDGET_BYTES = 16 * 1024 * 1024
"""About 15 series-years of hourly slots (a year of one series is about 1 MB decoded)."""


class DecodedSlots:
    """slots.decode_many with the decoded records of each blob kept, up to `budget` bytes."""

    def __init__(self, budget: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget = budget
        self.held = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[bytes, tuple[Records, int]] = OrderedDict()
        self._lock = threading.Lock()

    def decode_many(self, blobs: list[bytes]) -> Records:
        """The non-empty slots of many periods (blobs of non-overlapping periods), by time."""
        parts = [self._decoded(blob) for blob in blobs]
        records = concat(parts)
        if len(parts) > 1 and np.any(np.diff(records.start) < 0):
            records = records.take(np.argsort(records.start, kind="stable"))
        return records

    def _decoded(self, blob: bytes) -> Records:
        with self._lock:
            entry = self._entries.get(blob)
            if entry is not None:
                self._entries.move_to_end(blob)
                self.hits += 1
                return entry[0]
            self.misses += 1
        records = slots.decode_many([blob])  # a corrupt blob raises here and is never kept
        arrays = [getattr(records, field.name) for field in fields(records)]
        for array in arrays:
            array.flags.writeable = False
        size = len(blob) + sum(array.nbytes for array in arrays)
        with self._lock:
            if blob not in self._entries and size <= self.budget:
                self._entries[blob] = (records, size)
                self.held += size
                while self.held > self.budget:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self.held -= dropped
        return records
