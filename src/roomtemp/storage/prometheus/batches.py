"""Readings grouped by series, the shape the whole write path works in.

A batch maps (room, sensor) to a `Run`: that series' samples in time order, no two at one time,
held as a list, as their remote-write encoding, or both (each made from the other when first
needed). A batch is encoded once: the request to the engine and the spool record take the same
bytes, and a replay whose series are all newer than what the engine holds only joins them. The
write path decides per series (first and last time), and a reading becomes a `Reading` again
only when it must be named (a conflict, a sample set aside).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter

import numpy as np

from roomtemp.domain import Reading, ReadingColumns
from roomtemp.storage.prometheus.frames import (
    FRAME_BYTES,
    decode_columns,
    encode_columns,
    fixed_width,
    frames,
)
from roomtemp.storage.prometheus.remote_write import Sample, encode_samples

SeriesKey = tuple[str, str | None]
_TIME = itemgetter(0)
FIRST_MS, LAST_MS, _COUNT = attrgetter("first_ms"), attrgetter("last_ms"), attrgetter("count")


class Run:
    """One series' samples in time order."""

    __slots__ = ("_encoded", "_samples", "count", "first_ms", "last_ms")

    def __init__(
        self,
        first_ms: int,
        last_ms: int,
        count: int,
        samples: list[Sample] | None = None,
        encoded: bytes | None = None,
    ) -> None:
        self.first_ms = first_ms
        self.last_ms = last_ms
        self.count = count
        self._samples = samples
        self._encoded = encoded

    @classmethod
    def of(cls, samples: list[Sample]) -> Run:
        """A run of samples already in time order (at least one)."""
        return cls(samples[0][0], samples[-1][0], len(samples), samples=samples)

    @property
    def samples(self) -> list[Sample]:
        if self._samples is None:
            assert self._encoded is not None
            ts, values = decode_columns(self._encoded)
            self._samples = list(zip(ts.tolist(), values.tolist(), strict=True))
        return self._samples

    @property
    def encoded(self) -> bytes:
        if self._encoded is None:
            self._encoded = encode_samples(self.samples)
        return self._encoded


SeriesBatch = dict[SeriesKey, Run]


def group(readings: Sequence[Reading]) -> SeriesBatch:
    """Readings with distinct identities (the service removed repeats) grouped by series, each
    series encoded a column at a time (frames.py): no object per reading."""
    batch = ReadingColumns.of(readings)
    if not len(batch):
        return {}
    order = np.lexsort((batch.ts, batch.codes))
    codes, ts, values = batch.codes[order], batch.ts[order], batch.values[order]
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    ends = np.append(starts[1:], len(codes))
    whole = frames(ts, values).tobytes() if fixed_width(ts) else None
    runs: SeriesBatch = {}
    keys = batch.keys
    for code, start, end, first, last in zip(
        codes[starts].tolist(), starts.tolist(), ends.tolist(),
        ts[starts].tolist(), ts[ends - 1].tolist(), strict=True,
    ):  # fmt: skip
        if whole is None:
            encoded = encode_columns(ts[start:end], values[start:end])
        else:
            encoded = whole[start * FRAME_BYTES : end * FRAME_BYTES]
        runs[keys[code]] = Run(first, last, end - start, encoded=encoded)
    return runs


def joined(earlier: Run, later: Run) -> Run:
    """One run of two runs of a series, the first wholly before the second."""
    count = earlier.count + later.count
    return Run(earlier.first_ms, later.last_ms, count, encoded=earlier.encoded + later.encoded)


def readings_of(batch: SeriesBatch) -> list[Reading]:
    return [
        Reading(room_id, sensor_id, timestamp_ms, value)
        for (room_id, sensor_id), run in batch.items()
        for timestamp_ms, value in run.samples
    ]


def size(batch: SeriesBatch) -> int:
    """How many samples the batch holds."""
    return sum(map(_COUNT, batch.values()))


def span(batch: SeriesBatch) -> tuple[int, int]:
    """The oldest and one past the newest timestamp of a non-empty batch."""
    return min(map(FIRST_MS, batch.values())), max(map(LAST_MS, batch.values())) + 1


@dataclass
class Merged:
    """Spooled batches merged into one; repeats of an identity counted, other values kept apart."""

    batch: SeriesBatch = field(default_factory=dict)
    duplicates: int = 0
    conflicts: list[Reading] = field(default_factory=list)


def merge(batches: Iterable[SeriesBatch]) -> Merged:
    """One batch of many, in order. Runs of a series that do not overlap in time are joined as
    they are (in time order); where they overlap, the first value of an identity stays (the same
    value again is a duplicate, another value a conflict)."""
    runs: dict[SeriesKey, list[Run]] = {}
    for batch in batches:
        for key, run in batch.items():
            runs.setdefault(key, []).append(run)
    merged = Merged()
    for key, found in runs.items():
        in_time = sorted(found, key=FIRST_MS) if len(found) > 1 else found
        if all(a.last_ms < b.first_ms for a, b in itertools.pairwise(in_time)):
            encoded = b"".join(run.encoded for run in in_time)
            total = sum(run.count for run in found)
            first, last = in_time[0].first_ms, in_time[-1].last_ms
            merged.batch[key] = Run(first, last, total, encoded=encoded)
        else:
            samples = sorted((s for run in found for s in run.samples), key=_TIME)  # stable
            merged.batch[key] = Run.of(_first_of_each_time(key, samples, merged))
    return merged


def pieces(batch: SeriesBatch, most: int) -> Iterator[SeriesBatch]:
    """The batch in parts of at most `most` samples, each part later in time than the one
    before (so that a head that moves forward never leaves the next part behind)."""
    if size(batch) <= most:
        yield batch
        return
    flat = sorted(
        ((sample, key) for key, run in batch.items() for sample in run.samples),
        key=lambda item: item[0][0],
    )
    for start in range(0, len(flat), most):
        part: dict[SeriesKey, list[Sample]] = {}
        for sample, key in flat[start : start + most]:
            part.setdefault(key, []).append(sample)
        yield {key: Run.of(samples) for key, samples in part.items()}


def streams(batch: SeriesBatch, most: int) -> list[SeriesBatch]:
    """The batch's series in at most `most` parts of about the same number of samples (each
    series wholly in one part, so that parts can be sent at once and each series stays in
    order)."""
    total = size(batch)
    parts: list[SeriesBatch] = [{}]
    taken = 0
    for key, run in batch.items():
        if taken >= total * len(parts) / most and len(parts) < most:
            parts.append({})
        parts[-1][key] = run
        taken += run.count
    return [part for part in parts if part]


def halves(batch: SeriesBatch) -> tuple[SeriesBatch, SeriesBatch]:
    """Two parts of a batch of at least two samples: by series, or one series' samples."""
    keys = list(batch)
    if len(keys) > 1:
        middle = len(keys) // 2
        return {k: batch[k] for k in keys[:middle]}, {k: batch[k] for k in keys[middle:]}
    key = keys[0]
    samples = batch[key].samples
    middle = len(samples) // 2
    return {key: Run.of(samples[:middle])}, {key: Run.of(samples[middle:])}


def _first_of_each_time(key: SeriesKey, samples: list[Sample], merged: Merged) -> list[Sample]:
    kept = []
    for _, same_time in itertools.groupby(samples, key=_TIME):
        first, *repeats = same_time
        kept.append(first)
        for repeat in repeats:
            if repeat[1] == first[1]:
                merged.duplicates += 1
            else:
                merged.conflicts.append(Reading(key[0], key[1], repeat[0], repeat[1]))
    return kept
