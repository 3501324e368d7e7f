"""The decoded-slots cache: what it hands out equals a fresh decode, a changed blob is never
answered from the old one, a bad blob is refused and not kept, and it stays in its budget."""

from __future__ import annotations

import random
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.config import Settings
from roomtemp.domain import Reading
from roomtemp.storage import open_storage
from roomtemp.storage.rollups.records import Records, rollup
from roomtemp.storage.sqlite import SqliteStorage, slots
from roomtemp.storage.sqlite.codec import CorruptBlock
from roomtemp.storage.sqlite.decoded import DEFAULT_BUDGET_BYTES, DecodedSlots
from roomtemp.timeparse import epoch_buckets
from roomtemp.wiring import storage_options
from tests.backends import SealingSqliteStorage
from tests.storage.test_sqlite_tiers import NEVER
from tests.support import close, ms, reference_buckets

HOUR, DAY = 3_600_000, 86_400_000
PERIOD = 32 * DAY
T0 = ms("2024-01-01T00:00:00Z")


def blob(seed: int, period: int = 0, readings: int = 500) -> bytes:
    """The 1h slots of one 32-day period of random readings (2 decimals)."""
    rng = random.Random(seed)
    start = T0 + period * PERIOD
    ts = np.unique(np.array([start + rng.randrange(PERIOD) for _ in range(readings)], np.int64))
    values = np.array([round(rng.uniform(15, 28), 2) for _ in ts])
    return slots.encode(rollup(ts, values, HOUR), start, HOUR, 32 * 24)


def same(one: Records, other: Records) -> bool:
    return all(
        np.array_equal(getattr(one, f.name), getattr(other, f.name)) for f in fields(Records)
    )


@given(st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_cached_answers_equal_a_fresh_decode(asked: list[int]) -> None:
    """Blobs asked again and again, in any mix: every answer as slots.decode_many gives it."""
    cache = DecodedSlots()
    blobs = [blob(seed, period=seed) for seed in range(6)]
    for count in range(1, len(asked) + 1):
        periods = sorted(set(asked[:count]))
        wanted = [blobs[p] for p in periods]
        assert same(cache.decode_many(wanted), slots.decode_many(wanted))
    assert cache.hits + cache.misses == sum(len(set(asked[:k])) for k in range(1, len(asked) + 1))
    assert cache.misses == len(set(asked))


def test_a_rewritten_blob_is_decoded_again() -> None:
    cache = DecodedSlots()
    old, new = blob(1), blob(2)
    assert same(cache.decode_many([old]), slots.decode_many([old]))
    assert same(cache.decode_many([new]), slots.decode_many([new]))
    assert cache.misses == 2


def test_shared_arrays_cannot_be_changed() -> None:
    records = DecodedSlots().decode_many([blob(3)])
    with pytest.raises(ValueError, match="read-only"):
        records.total[0] = 1.0


def test_a_corrupt_blob_is_refused_every_time_and_never_kept() -> None:
    cache = DecodedSlots()
    bad = blob(4)[:-5]
    for _ in range(2):
        with pytest.raises(CorruptBlock):
            cache.decode_many([bad])
    assert cache.held == 0
    assert cache.misses == 2


def test_the_least_recently_used_go_first_past_the_budget() -> None:
    blobs = [blob(seed, period=seed) for seed in range(4)]
    sizes = []
    for one in blobs:
        alone = DecodedSlots()
        alone.decode_many([one])
        sizes.append(alone.held)
    s0, s1, s2, s3 = sizes
    cache = DecodedSlots(budget=max(s0 + s1 + s2, s0 + s2 + s3))  # room for three of them
    cache.decode_many(blobs[:3])
    cache.decode_many(blobs[:1])  # the first is now the most recently used
    cache.decode_many(blobs[3:])  # so the second goes
    assert cache.held == s0 + s2 + s3 <= cache.budget
    hits = cache.hits
    cache.decode_many([blobs[0], blobs[2], blobs[3]])
    assert cache.hits == hits + 3
    cache.decode_many(blobs[1:2])
    assert cache.hits == hits + 3  # dropped: decoded again


@pytest.mark.anyio
async def test_stats_see_a_late_reading_sealed_into_a_cached_period(tmp_path: Path) -> None:
    """Hourly stats over sealed days twice (the second from the cache), then a late reading
    sealed into one of those days: the next answer holds it, like the reference."""
    storage = SealingSqliteStorage(tmp_path / "s.sqlite3", NEVER)
    await storage.open()
    try:
        rng = random.Random(5)
        found = {T0 + k * 60_000 + rng.randrange(1000): round(rng.uniform(15, 28), 2)
                 for k in range(0, 5 * 1440, 7)}  # fmt: skip
        await storage.write([Reading("lab", None, t, v) for t, v in found.items()])
        start, end = T0, T0 + 5 * DAY
        buckets = epoch_buckets(start, end, HOUR)
        edges = [b.start_ms for b in buckets] + [end]

        async def check() -> None:
            got = (await storage.aggregate(["lab"], buckets))["lab"]
            want = reference_buckets(sorted(found.items()), start, end, edges)
            assert [(a.start_ms, a.count) for a in got] == [(b.start_ms, b.count) for b in want]
            assert all(close(a.mean, b.mean) for a, b in zip(got, want, strict=True))
            assert all(a.maximum == b.maximum for a, b in zip(got, want, strict=True))

        await check()
        hits = storage.decoded.hits
        await check()
        assert storage.decoded.hits > hits
        late = T0 + 2 * DAY + 30 * 60_000 + 1
        assert (await storage.write([Reading("lab", None, late, 99.5)])).accepted == 1
        assert storage.hot.readings == 0  # sealed into its day and its hour slots
        found[late] = 99.5
        await check()
    finally:
        await storage.close()


@pytest.mark.anyio
async def test_the_budget_is_a_setting_and_none_keeps_nothing(tmp_path: Path) -> None:
    """ROOMTEMP_DECODED_CACHE_BYTES reaches the store; with 0 every query decodes again and
    answers the same as with the default budget."""
    settings = Settings(storage=f"sqlite:///{tmp_path / 'c.sqlite3'}", decoded_cache_bytes=0)
    opened = await open_storage(settings.storage, storage_options(settings))
    assert isinstance(opened, SqliteStorage)
    assert opened.decoded.budget == 0
    await opened.close()
    answers = []
    for budget in (0, DEFAULT_BUDGET_BYTES):
        options = replace(NEVER, decoded_cache_bytes=budget)
        storage = SealingSqliteStorage(tmp_path / f"s{budget}.sqlite3", options)
        await storage.open()
        try:
            await storage.write(
                [Reading("lab", None, T0 + k * 60_000, k % 97 / 10) for k in range(3 * 1440)]
            )
            buckets = epoch_buckets(T0, T0 + 3 * DAY, HOUR)
            first = (await storage.aggregate(["lab"], buckets))["lab"]
            again = (await storage.aggregate(["lab"], buckets))["lab"]
            assert [(a.count, a.total) for a in first] == [(a.count, a.total) for a in again]
            answers.append([(a.count, a.total, a.minimum, a.maximum) for a in first])
            assert (storage.decoded.held == 0) == (budget == 0)
            assert (storage.decoded.hits > 0) == (budget > 0)
        finally:
            await storage.close()
    assert answers[0] == answers[1]
