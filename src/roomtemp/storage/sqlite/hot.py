"""The hot tier: readings not sealed yet, decoded in memory, held once, in a few sorted runs.

Each run is sorted by a composite key `series << 44 | (ts + 2**43)`, carrying the reading's
value and the log row (batch) it came from. Runs merge like a log-structured tree (the newest
run is merged into the one before while that one is at most twice its size), so a process holds
O(log n) runs and every lookup or range read is a few binary searches. The key covers the days
of years 1691 to 2248; readings outside go straight to their sealed day (see sealer).

`bound[series]` is an upper bound of every stored timestamp of a series, hot or sealed (raised
eagerly, never lowered, so after a rollback it is only too high, which costs lookups and is never
wrong): a reading newer than it can be neither a duplicate nor a conflict, so live ingest skips
every lookup. `latest_*` hold each series' newest reading. Every change is idempotent (log rows
by batch id, seals by seal id), so a reader that catches up from the database while the writer
applies the same change ends in the same state.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite.keys import (
    WINDOW_HIGH,
    WINDOW_LOW,
    composite,
    pair_ranges,
    pairs_of,
    split_keys,
)

_NEVER = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Run:
    """Readings sorted by key, with their values and log batch ids."""

    keys: I64
    values: F64
    batches: I64

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def take(self, index: np.ndarray) -> Run:
        return Run(self.keys[index], self.values[index], self.batches[index])

    @functools.cached_property
    def ts_min(self) -> int:
        """The oldest timestamp in the run (computed once: runs never change)."""
        return int(split_keys(self.keys)[1].min()) if len(self) else WINDOW_HIGH


def sorted_run(keys: I64, values: F64, batches: I64) -> Run:
    order = np.argsort(keys, kind="stable")
    return Run(keys[order], values[order], batches[order])


def merge(runs: list[Run]) -> Run:
    """One run of all (timsort merges concatenated sorted runs in linear time)."""
    if len(runs) == 1:
        return runs[0]
    return sorted_run(
        np.concatenate([r.keys for r in runs]),
        np.concatenate([r.values for r in runs]),
        np.concatenate([r.batches for r in runs]),
    )


def lookup(runs: list[Run], keys: I64) -> tuple[np.ndarray, F64]:
    """(found, stored value) of each key in any of the runs."""
    found = np.zeros(keys.shape[0], bool)
    stored = np.full(keys.shape[0], np.nan)
    if not keys.shape[0]:
        return found, stored
    low, high = keys.min(), keys.max()
    for run in runs:
        if not len(run) or run.keys[-1] < low or run.keys[0] > high:
            continue
        pos = np.minimum(np.searchsorted(run.keys, keys), len(run) - 1)
        hit = run.keys[pos] == keys
        found |= hit
        stored[hit] = run.values[pos[hit]]
    return found, stored


class HotTier:
    """Runs of hot readings, per-batch counts of what is still hot, bounds and latest readings."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.runs: list[Run] = []
        self.remaining: dict[int, int] = {}
        self.high_water = 0
        self.applied_seal = 0
        self.epoch = -1
        self.arrivals: deque[tuple[int, float]] = deque()
        """(batch id, monotonic time it was added): which batches have settled."""
        self.bound = np.full(0, _NEVER, np.int64)
        self.latest_ts = np.full(0, _NEVER, np.int64)
        self.latest_value = np.full(0, np.nan)

    @property
    def readings(self) -> int:
        return sum(len(run) for run in self.runs)

    def ts_min(self) -> int | None:
        """The oldest hot timestamp (None when nothing is hot)."""
        firsts = [run.ts_min for run in self.runs if len(run)]
        return min(firsts) if firsts else None

    def grow(self, series_max: int) -> None:
        size = self.bound.shape[0]
        if series_max < size:
            return
        extra = max(series_max + 1, 2 * size, 1024) - size
        self.bound = np.concatenate((self.bound, np.full(extra, _NEVER, np.int64)))
        self.latest_ts = np.concatenate((self.latest_ts, np.full(extra, _NEVER, np.int64)))
        self.latest_value = np.concatenate((self.latest_value, np.full(extra, np.nan)))

    def add(self, batch_id: int, run: Run) -> None:
        """A committed log row (its run sorted by key); a second add of the same id is a no-op."""
        with self.lock:
            if batch_id <= self.high_water:
                return
            self.high_water = batch_id
            if not len(run):
                return
            self.arrivals.append((batch_id, time.monotonic()))
            self.remaining[batch_id] = len(run)
            self.runs.append(run)
            while len(self.runs) >= 2 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
                self.runs[-2:] = [merge(self.runs[-2:])]
            self.note_stored(*split_keys(run.keys), run.values)

    def note_stored(self, series: I64, ts: I64, values: F64) -> None:
        """Raise bounds and latest readings for stored readings sorted by (series, ts)."""
        if not series.shape[0]:
            return
        with self.lock:
            self.grow(int(series.max()))
            last = np.flatnonzero(np.diff(series, append=series[-1] + 1))
            ids, newest = series[last], ts[last]
            np.maximum.at(self.bound, ids, newest)
            newer = newest > self.latest_ts[ids]
            self.latest_ts[ids[newer]] = newest[newer]
            self.latest_value[ids[newer]] = values[last][newer]

    def raise_bounds(self, series: I64, ts: I64) -> None:
        with self.lock:
            self.grow(int(series.max()))
            np.maximum.at(self.bound, series, ts)

    def pair_readings(self, pairs: I64) -> Run:
        """Every hot reading of the given pairs, sorted by key (nothing is removed)."""
        with self.lock:
            low, high = pair_ranges(pairs)
            parts = [run.take(_in_ranges(run.keys, low, high)) for run in self.runs]
            parts = [part for part in parts if len(part)] or [_empty_run()]
            return merge(parts)

    def remove_pairs(self, pairs: I64, max_batches: I64) -> None:
        """Forget the readings of each pair from batches up to its `max_batches` (seals)."""
        with self.lock:
            kept: list[Run] = []
            for run in self.runs:
                gone = _sealed(run, pairs, max_batches)
                if gone.any():
                    self._count_gone(run.batches[gone])
                    run = run.take(~gone)
                if len(run):
                    kept.append(run)
            self.runs = kept

    def _count_gone(self, batches: I64) -> None:
        found, counts = np.unique(batches, return_counts=True)
        for batch, count in zip(found.tolist(), counts.tolist(), strict=True):
            left = self.remaining.get(batch, 0) - count
            if left > 0:
                self.remaining[batch] = left
            else:
                self.remaining.pop(batch, None)

    def forget_series(self, series_ids: list[int]) -> None:
        """Drop every hot reading, bound and latest of these series (a room deleted)."""
        with self.lock:
            ids = np.array(series_ids, np.int64)
            self.runs = [r.take(~np.isin(split_keys(r.keys)[0], ids)) for r in self.runs]
            self.runs = [r for r in self.runs if len(r)]
            inside = ids[ids < self.bound.shape[0]]
            self.bound[inside] = _NEVER
            self.latest_ts[inside] = _NEVER
            self.latest_value[inside] = np.nan

    def settled(self, seconds: float) -> int:
        """The newest batch added at least `seconds` ago (0: none)."""
        with self.lock:
            horizon = time.monotonic() - seconds
            while len(self.arrivals) > 1 and self.arrivals[1][1] <= horizon:
                self.arrivals.popleft()
            if self.arrivals and self.arrivals[0][1] <= horizon:
                return self.arrivals[0][0]
            return 0 if self.arrivals else self.high_water

    def due_pairs(self, cut_ms: int, settled_batch: int) -> tuple[I64, I64]:
        """Sorted pairs of hot readings older than `cut_ms` whose readings all came in batches
        up to `settled_batch` (a day still being filled waits), and their reading counts."""
        with self.lock:
            pairs_parts, batch_parts = [], []
            for run in self.runs:
                if run.ts_min < cut_ms:
                    old = split_keys(run.keys)[1] < cut_ms
                    pairs_parts.append(pairs_of(run.keys[old]))
                    batch_parts.append(run.batches[old])
            if not pairs_parts:
                return np.empty(0, np.int64), np.empty(0, np.int64)
            pairs, batches = np.concatenate(pairs_parts), np.concatenate(batch_parts)
            order = np.argsort(pairs, kind="stable")
            pairs, batches = pairs[order], batches[order]
            starts = np.flatnonzero(np.diff(pairs, prepend=pairs[0] - 1))
            newest = np.maximum.reduceat(batches, starts)
            counts = np.diff(np.append(starts, pairs.shape[0]))
            ready = newest <= settled_batch
            return pairs[starts][ready], counts[ready].astype(np.int64)

    def series_readings(self, series_id: int, low_ms: int, high_ms: int) -> tuple[I64, F64]:
        """Hot readings of one series in [low, high), oldest first."""
        low_ms, high_ms = max(low_ms, WINDOW_LOW), min(high_ms, WINDOW_HIGH)
        if low_ms >= high_ms:
            return np.empty(0, np.int64), np.empty(0)
        ends = composite(np.array([series_id, series_id]), np.array([low_ms, high_ms]))
        with self.lock:
            parts = []
            for run in self.runs:
                lo, hi = np.searchsorted(run.keys, ends)
                if hi > lo:
                    parts.append(run.take(np.arange(lo, hi)))
        if not parts:
            return np.empty(0, np.int64), np.empty(0)
        found = merge(parts)
        return split_keys(found.keys)[1], found.values

    def reset(self, runs: list[Run], high_water: int, applied_seal: int, epoch: int) -> None:
        """Start again from a full reload of the log."""
        with self.lock:
            # one log row a run: its length is the count of its batch still hot
            self.remaining = {int(run.batches[0]): len(run) for run in runs if len(run)}
            self.runs = [merge(runs)] if runs else []
            self.high_water, self.applied_seal, self.epoch = high_water, applied_seal, epoch
            self.bound[:] = _NEVER
            self.latest_ts[:] = _NEVER
            self.latest_value[:] = np.nan
            for run in self.runs:
                self.note_stored(*split_keys(run.keys), run.values)


def _in_ranges(keys: I64, low: I64, high: I64) -> np.ndarray:
    """Mask of keys inside any of the sorted, disjoint ranges [low[i], high[i])."""
    where = np.searchsorted(low, keys, "right") - 1
    return (where >= 0) & (keys < high[np.maximum(where, 0)])


def _sealed(run: Run, pairs: I64, max_batches: I64) -> np.ndarray:
    """Mask of the run's readings that seals of sorted `pairs` moved out of the hot tier."""
    low, high = pair_ranges(pairs)
    where = np.searchsorted(low, run.keys, "right") - 1
    index = np.maximum(where, 0)
    inside = (where >= 0) & (run.keys < high[index])
    return inside & (run.batches <= max_batches[index])


def _empty_run() -> Run:
    return Run(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))
