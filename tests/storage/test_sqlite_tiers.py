"""The embedded store's tiers give the same answers: hot, sealed, late readings into sealed days,
timestamps outside the hot tier's window, expired raw, and two stores on one file (as two
worker processes would open it)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomtemp.domain import Reading
from roomtemp.errors import ConflictingReading
from roomtemp.storage.sqlite import EmbeddedOptions, SqliteStorage
from roomtemp.timeparse import Bucket, epoch_buckets
from tests.backends import SealingSqliteStorage
from tests.support import close, ms, reference_buckets

pytestmark = pytest.mark.anyio

T0 = ms("2024-03-01T00:00:00Z")
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NEVER = EmbeddedOptions(seal_every_ms=10**12)


def points(seed: int, count: int, span: int) -> dict[tuple[str | None, int], float]:
    rng = random.Random(seed)
    return {
        (rng.choice([None, "a", "b"]), T0 + rng.randrange(span)): round(rng.uniform(15, 28), 2)
        for _ in range(count)
    }


async def opened(path: Path, sealing: bool = False) -> SqliteStorage:
    storage = (SealingSqliteStorage if sealing else SqliteStorage)(path, NEVER)
    await storage.open()
    return storage


async def check_stats(storage: SqliteStorage, found: dict[tuple[str | None, int], float]) -> None:
    flat = [(t, v) for (_, t), v in found.items()]
    for step in (7 * MINUTE, HOUR, DAY, 5 * MINUTE):
        start, end = T0 + 1_234_567, T0 + 2 * DAY + 98_765
        buckets = epoch_buckets(start, end, step)
        got = (await storage.aggregate(["lab"], buckets))["lab"]
        edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
        want = reference_buckets(flat, start, end, edges)
        assert [(a.start_ms, a.count) for a in got] == [(b.start_ms, b.count) for b in want]
        for a, b in zip(got, want, strict=True):
            assert close(a.mean, b.mean)
            assert (a.minimum, a.maximum) == (b.minimum, b.maximum)


async def test_late_readings_into_sealed_days_and_resends(tmp_path: Path) -> None:
    storage = await opened(tmp_path / "s.sqlite3", sealing=True)
    try:
        found = points(1, 3000, 3 * DAY)
        batch = [Reading("lab", s, t, v) for (s, t), v in found.items()]
        for first in range(0, len(batch), 700):
            await storage.write(batch[first : first + 700])
        assert storage.hot.readings == 0
        late = {("a", T0 + DAY + 30_001): 30.5, (None, T0 + 2 * DAY + 7): 11.25}
        result = await storage.write([Reading("lab", s, t, v) for (s, t), v in late.items()])
        assert (result.accepted, result.duplicates) == (2, 0)
        found.update(late)
        await check_stats(storage, found)
        again = await storage.write(batch[:1000])
        assert (again.accepted, again.duplicates) == (0, 1000)
        clash = batch[5]._replace(value=batch[5].value + 0.5)
        with pytest.raises(ConflictingReading):
            await storage.write([Reading("lab", None, T0 - DAY, 1.0), clash])
        page = await storage.readings("lab", T0 - 2 * DAY, T0 + 4 * DAY, limit=10_000)
        assert len(page.readings) == len(found)
    finally:
        await storage.close()


async def test_hot_and_sealed_answers_are_the_same(tmp_path: Path) -> None:
    storage = await opened(tmp_path / "s.sqlite3")
    try:
        found = points(2, 2000, 3 * DAY)
        await storage.write([Reading("lab", s, t, v) for (s, t), v in found.items()])
        assert storage.hot.readings == len(found)
        await check_stats(storage, found)
        hot_page = await storage.readings("lab", T0, T0 + 3 * DAY, limit=10_000)
        await storage.close()
        storage = await opened(tmp_path / "s.sqlite3")  # the clean stop sealed everything
        assert storage.hot.readings == 0
        await check_stats(storage, found)
        assert (await storage.readings("lab", T0, T0 + 3 * DAY, limit=10_000)) == hot_page
    finally:
        await storage.close()


async def test_instants_outside_the_hot_window_are_kept_exactly(tmp_path: Path) -> None:
    storage = await opened(tmp_path / "s.sqlite3")
    try:
        first, last = ms("0001-01-02T00:00:00Z"), ms("9999-12-30T23:59:59Z")
        readings = [Reading("lab", None, first, 1.5), Reading("lab", None, last, 2.5)]
        assert (await storage.write(readings)).accepted == 2
        assert (await storage.write(readings)).duplicates == 2
        with pytest.raises(ConflictingReading):
            await storage.write([readings[1]._replace(value=3.0)])
        page = await storage.readings("lab", first, last + 1)
        assert page.readings == readings
        latest = await storage.latest(["lab"])
        assert [(s.timestamp_ms, s.value) for s in latest["lab"]] == [(last, 2.5)]
    finally:
        await storage.close()


async def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    one, two = await opened(path), await opened(path)
    try:
        found = points(3, 1500, 2 * DAY)
        batch = [Reading("lab", s, t, v) for (s, t), v in found.items()]
        assert (await one.write(batch[:1000])).accepted == 1000
        result = await two.write(batch[500:])
        assert (result.accepted, result.duplicates) == (len(batch) - 1000, 500)
        conn = one._connect()
        try:
            one.housekeeper.seal_everything(conn)  # one seals; two replays the seal
        finally:
            conn.close()
        assert one.hot.readings == 0
        await check_stats(two, found)
        assert two.hot.readings == 0
        assert (await two.write(batch[:10])).duplicates == 10
    finally:
        await one.close()
        await two.close()


async def test_expired_raw_keeps_the_rollups_answers(tmp_path: Path) -> None:
    storage = await opened(tmp_path / "s.sqlite3", sealing=True)
    try:
        found = points(4, 2000, 3 * DAY)
        await storage.write([Reading("lab", s, t, v) for (s, t), v in found.items()])
        buckets = epoch_buckets(T0, T0 + 3 * DAY, HOUR)
        before = (await storage.aggregate(["lab"], buckets))["lab"]
        conn = storage._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            from roomtemp.storage.sqlite import retention

            assert retention.expire_raw(conn, T0 + 3 * DAY) > 0
            conn.execute("COMMIT")
        finally:
            conn.close()
        assert (await storage.readings("lab", T0, T0 + 3 * DAY)).readings == []
        after = (await storage.aggregate(["lab"], buckets))["lab"]
        assert [(a.start_ms, a.count, a.minimum, a.maximum) for a in after] == [
            (b.start_ms, b.count, b.minimum, b.maximum) for b in before
        ]
        assert all(close(a.mean, b.mean) for a, b in zip(after, before, strict=True))
        plain = (await storage.plain_aggregate(["lab"], buckets))["lab"]  # from the rollups
        assert [(a.start_ms, a.count, a.minimum, a.maximum) for a in plain] == [
            (b.start_ms, b.count, b.minimum, b.maximum) for b in before
        ]
    finally:
        await storage.close()


async def test_plain_buckets_of_many_rooms_are_the_same_hot_and_sealed(tmp_path: Path) -> None:
    """Minutes of several rooms at once (what alerts judge by), across a day boundary and
    clipped at both ends: from the hot tier's runs, then from the sealed days' blocks."""
    rooms = {f"r{k}": points(20 + k, 400, 2 * DAY) for k in range(5)}
    for k, found in enumerate(rooms.values()):  # readings right on minute edges too
        found.update({("a", T0 + DAY + (k - m) * MINUTE): 20.0 + m for m in range(-3, 4)})
    start, end = T0 + DAY - 47 * MINUTE - 5_000, T0 + DAY + 31 * MINUTE + 7_000
    buckets = epoch_buckets(start, end, MINUTE)
    edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
    want = {
        room: reference_buckets([(t, v) for (_, t), v in found.items()], start, end, edges)
        for room, found in rooms.items()
    }
    async for storage in hot_then_sealed(tmp_path / "s.sqlite3", rooms):
        got = await storage.plain_aggregate(sorted(rooms), buckets)
        for room, expected in want.items():
            assert [(a.start_ms, a.end_ms, a.count, a.minimum, a.maximum) for a in got[room]] == [
                (b.start_ms, b.end_ms, b.count, b.minimum, b.maximum) for b in expected
            ]
            assert all(close(a.mean, b.mean) for a, b in zip(got[room], expected, strict=True))


async def test_every_rooms_summary_is_the_same_hot_and_sealed(tmp_path: Path) -> None:
    """One summary per room over ragged days (GET /stats): from the hot tier, then from the
    sealed days' rows and the ragged days' blocks (decoded together) after a clean stop."""
    rooms = {f"r{k}": points(10 + k, 500, 3 * DAY) for k in range(4)}
    start, end = T0 + 1_234_567, T0 + 2 * DAY + 98_765
    expected = {}
    for room, found in rooms.items():
        values = [v for (_, t), v in found.items() if start <= t < end]
        expected[room] = (len(values), min(values), max(values), sum(values))
    async for storage in hot_then_sealed(tmp_path / "s.sqlite3", rooms):
        got = await storage.aggregate(sorted(rooms), [Bucket(start, end, start, end)])
        for room, (count, low, high, total) in expected.items():
            (summary,) = got[room]
            assert (summary.count, summary.minimum, summary.maximum) == (count, low, high)
            assert close(summary.total, total)


async def hot_then_sealed(
    path: Path, rooms: dict[str, dict[tuple[str | None, int], float]]
) -> AsyncIterator[SqliteStorage]:
    """A store holding the rooms' readings in its hot tier, then the same store reopened after
    a clean stop (everything sealed)."""
    storage = await opened(path)
    try:
        for room, found in rooms.items():
            await storage.write([Reading(room, s, t, v) for (s, t), v in found.items()])
        yield storage
        await storage.close()
        storage = await opened(path)
        assert storage.hot.readings == 0
        yield storage
    finally:
        await storage.close()
