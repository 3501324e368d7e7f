"""The storage contract: every backend gives the same answers for the same data."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from roomtemp.domain import (
    Comfort,
    Reading,
    ReadingColumns,
    RoomMeta,
    SensorSettings,
    SetAside,
)
from roomtemp.errors import ConflictingReading
from roomtemp.storage import Storage
from roomtemp.timeparse import Bucket, epoch_buckets, local_day_buckets
from tests.support import close, ms, reference_buckets

pytestmark = pytest.mark.anyio

T0 = ms("2024-03-01T00:00:00Z")
MINUTE = 60_000
HOUR = 3_600_000


def r(room: str, t: int, value: float, sensor: str | None = None) -> Reading:
    return Reading(room, sensor, t, value)


async def test_write_counts_new_readings_and_creates_the_room(storage: Storage) -> None:
    result = await storage.write([r("lab", T0, 20.0), r("lab", T0 + MINUTE, 21.0, "door")])
    assert (result.accepted, result.duplicates) == (2, 0)
    assert await storage.get_room("lab") == RoomMeta("lab")
    assert [m.room_id for m in await storage.list_rooms()] == ["lab"]


async def test_an_empty_write_stores_nothing(storage: Storage) -> None:
    result = await storage.write([])
    assert (result.accepted, result.duplicates) == (0, 0)
    assert await storage.list_rooms() == []


async def test_identical_resend_is_a_duplicate(storage: Storage) -> None:
    await storage.write([r("lab", T0, 20.0)])
    result = await storage.write([r("lab", T0, 20.0), r("lab", T0 + MINUTE, 20.5)])
    assert (result.accepted, result.duplicates) == (1, 1)
    page = await storage.readings("lab", T0, T0 + HOUR)
    assert [x.value for x in page.readings] == [20.0, 20.5]


async def test_conflict_stores_nothing_of_the_batch(storage: Storage) -> None:
    await storage.write([r("lab", T0, 20.0)])
    with pytest.raises(ConflictingReading):
        await storage.write([r("lab", T0 + MINUTE, 22.0), r("lab", T0, 25.0), r("new", T0, 1.0)])
    page = await storage.readings("lab", T0, T0 + HOUR)
    assert [(x.timestamp_ms, x.value) for x in page.readings] == [(T0, 20.0)]
    assert await storage.get_room("new") is None


async def test_same_timestamp_in_two_sensors_is_two_readings(storage: Storage) -> None:
    result = await storage.write([r("lab", T0, 20.0, "a"), r("lab", T0, 21.0, "b")])
    assert result.accepted == 2


async def test_room_metadata_round_trips_and_lists_sorted(storage: Storage) -> None:
    meta = RoomMeta("b-room", "Room B", "hq", "2", {"wing": "east"}, Comfort(19.0, 24.0))
    assert await storage.put_room(meta) is True
    assert await storage.put_room(meta) is False
    await storage.put_room(RoomMeta("a-room"))
    assert await storage.get_room("b-room") == meta
    assert [m.room_id for m in await storage.list_rooms()] == ["a-room", "b-room"]
    await storage.put_room(RoomMeta("c-room"))
    assert [m.room_id for m in await storage.list_rooms(limit=2)] == ["a-room", "b-room"]
    assert [m.room_id for m in await storage.list_rooms(after="a-room", limit=1)] == ["b-room"]
    assert [m.room_id for m in await storage.list_rooms(after="b-room")] == ["c-room"]


async def test_metadata_survives_new_readings(storage: Storage) -> None:
    meta = RoomMeta("lab", "Lab", "hq", "1", {}, Comfort(None, 25.0))
    await storage.put_room(meta)
    await storage.write([r("lab", T0, 20.0)])
    assert await storage.get_room("lab") == meta


async def test_delete_room_removes_readings(storage: Storage) -> None:
    await storage.write([r("lab", T0, 20.0), r("other", T0, 19.0)])
    assert await storage.delete_room("lab") is True
    assert await storage.delete_room("lab") is False
    assert await storage.get_room("lab") is None
    assert "lab" not in await storage.latest()
    await storage.write([r("lab", T0, 23.0)])
    page = await storage.readings("lab", T0, T0 + HOUR)
    assert [x.value for x in page.readings] == [23.0]


async def test_latest_per_sensor(storage: Storage) -> None:
    await storage.write(
        [
            r("lab", T0, 20.0, "a"),
            r("lab", T0 + 2 * MINUTE, 21.0, "a"),
            r("lab", T0 + MINUTE, 22.0),
            r("hall", T0, 18.0, "x"),
        ]
    )
    latest = await storage.latest()
    assert {(s.sensor_id, s.timestamp_ms, s.value) for s in latest["lab"]} == {
        ("a", T0 + 2 * MINUTE, 21.0),
        (None, T0 + MINUTE, 22.0),
    }
    only = await storage.latest(["hall"])
    assert list(only) == ["hall"]


async def test_readings_are_ordered_and_paginate_across_sensors(storage: Storage) -> None:
    readings = [
        r("lab", T0 + (i // 2) * MINUTE, float(i), "b" if i % 2 else "a") for i in range(25)
    ]
    await storage.write(readings)
    seen = []
    after = None
    while True:
        page = await storage.readings("lab", T0, T0 + HOUR, after=after, limit=4)
        seen += page.readings
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == sorted(readings, key=lambda x: (x.timestamp_ms, x.sensor_id or ""))


async def test_readings_respect_range_and_sensor(storage: Storage) -> None:
    await storage.write(
        [r("lab", T0 + i * MINUTE, float(i), "a" if i % 2 else None) for i in range(10)]
    )
    page = await storage.readings("lab", T0 + 2 * MINUTE, T0 + 6 * MINUTE, sensor_id="a")
    assert [x.value for x in page.readings] == [3.0, 5.0]
    page = await storage.readings("lab", T0 + 2 * MINUTE, T0 + 6 * MINUTE, sensor_id="")
    assert [x.value for x in page.readings] == [2.0, 4.0]


async def _random_room(
    storage: Storage, seed: int, start: int, span: int
) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    points = {}
    for _ in range(400):
        sensor = rng.choice([None, "a", "b"])
        t = start + rng.randrange(span)
        points[(sensor, t)] = round(rng.uniform(15, 28), 3)
    await storage.write([r("lab", t, v, s) for (s, t), v in points.items()])
    return [(t, v) for (_, t), v in points.items()]


def _check(found: list, expected: list) -> None:
    assert [(a.start_ms, a.end_ms, a.count) for a in found] == [
        (b.start_ms, b.end_ms, b.count) for b in expected
    ]
    for a, b in zip(found, expected, strict=True):
        assert close(a.mean, b.mean)
        assert a.minimum == b.minimum
        assert a.maximum == b.maximum


@pytest.mark.parametrize("step", [MINUTE * 7, HOUR, HOUR * 5, 86_400_000])
async def test_aggregate_matches_reference(storage: Storage, step: int) -> None:
    points = await _random_room(storage, step, T0, 3 * 86_400_000)
    start, end = T0 + 1234567, T0 + 2 * 86_400_000 + 98765
    buckets = epoch_buckets(start, end, step)
    found = (await storage.aggregate(["lab"], buckets))["lab"]
    edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
    _check(found, reference_buckets(points, start, end, edges))


async def test_aggregate_local_days_across_dst(storage: Storage) -> None:
    paris = ZoneInfo("Europe/Paris")
    start, end = ms("2024-03-29T12:00:00Z"), ms("2024-04-02T00:00:00Z")
    points = await _random_room(storage, 7, start - HOUR, end - start + 2 * HOUR)
    buckets = local_day_buckets(start, end, 1, paris)
    assert [b.end_ms - b.start_ms for b in buckets] == [
        24 * HOUR,
        24 * HOUR,
        23 * HOUR,
        24 * HOUR,
        24 * HOUR,
    ]
    found = (await storage.aggregate(["lab"], buckets))["lab"]
    edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
    _check(found, reference_buckets(points, start, end, edges))


async def test_aggregate_several_rooms_one_bucket(storage: Storage) -> None:
    await storage.write([r("a", T0, 10.0), r("a", T0 + HOUR, 20.0), r("b", T0, 5.0)])
    await storage.write([r("c", T0 + 10 * HOUR, 5.0)])
    bucket = Bucket(T0, T0 + 2 * HOUR, T0, T0 + 2 * HOUR)
    found = await storage.aggregate(["a", "b", "c", "a"], [bucket])  # "a" asked twice
    assert set(found) == {"a", "b"}
    assert (found["a"][0].mean, found["a"][0].count) == (15.0, 2)
    assert (found["b"][0].minimum, found["b"][0].maximum) == (5.0, 5.0)


@pytest.mark.parametrize("step", [MINUTE, MINUTE * 7])
async def test_plain_aggregate_of_many_rooms_matches_reference(storage: Storage, step: int) -> None:
    """Count, total, min and max of short buckets of several rooms at once (what alerts judge
    minutes by), clipped at both ends; the same figures `aggregate` gives."""
    rng = random.Random(step)
    span = 3 * HOUR
    points = {
        room: {
            (rng.choice([None, "a"]), T0 + rng.randrange(span)): round(rng.uniform(15, 28), 2)
            for _ in range(150)
        }
        for room in ("r1", "r2", "r3")
    }
    for room, found in points.items():
        await storage.write([r(room, t, v, sensor) for (sensor, t), v in found.items()])
    start, end = T0 + HOUR + 12_345, T0 + 2 * HOUR + 54_321
    buckets = epoch_buckets(start, end, step)
    edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
    rooms = ["r1", "r2", "r3", "nowhere", "r2"]  # a room asked twice counts once
    plain = await storage.plain_aggregate(rooms, buckets)
    full = await storage.aggregate(rooms, buckets)
    assert not plain.get("nowhere")
    for room, found in points.items():
        want = reference_buckets([(t, v) for (_, t), v in found.items()], start, end, edges)
        got = list(plain[room])
        assert [(a.start_ms, a.end_ms, a.count) for a in got] == [
            (b.start_ms, b.end_ms, b.count) for b in want
        ]
        _check(got, want)
        assert [(a.count, a.minimum, a.maximum) for a in got] == [
            (a.count, a.minimum, a.maximum) for a in full[room]
        ]


@pytest.mark.parametrize(
    ("after", "limit", "keep"),
    [
        (None, None, None),
        (None, 2, None),
        ("hall", None, None),
        ("a-room", 2, None),
        (None, None, "no-a"),
        (None, 3, "none"),
        ("lab", None, None),
    ],
)
async def test_read_rooms_is_the_list_and_its_rooms_sensors(
    storage: Storage, after: str | None, limit: int | None, keep: str | None
) -> None:
    """read_rooms answers what list_rooms, latest and sensor_settings answer apart."""
    await storage.put_room(RoomMeta("a-room", "A", "hq", "1", {}, Comfort(19.0, 24.0)))
    await storage.write(
        [r("lab", T0, 20.0, "a"), r("lab", T0 + MINUTE, 21.0), r("hall", T0, 18.0, "x")]
    )
    await storage.put_sensor("lab", SensorSettings("a", 0.5, 300_000))
    await storage.put_sensor("b-room", SensorSettings("door", None, 60_000))
    keeps = {"no-a": lambda meta: not meta.room_id.startswith("a"), "none": lambda meta: False}
    chosen = keeps[keep] if keep is not None else None

    read = await storage.read_rooms(after=after, limit=limit, keep=chosen)

    listed = await storage.list_rooms(after=after, limit=limit)
    kept = [meta for meta in listed if chosen is None or chosen(meta)]
    ids = [meta.room_id for meta in kept]
    assert read.listed == listed
    assert read.rooms == kept
    assert read.latest == ((await storage.latest(ids)) if ids else {})
    assert read.settings == ((await storage.sensor_settings(ids)) if ids else {})


async def test_sensor_settings_round_trip_and_create_the_room(storage: Storage) -> None:
    door = SensorSettings("door", 0.5, 300_000)
    assert await storage.put_sensor("lab", door) is True
    assert await storage.put_sensor("lab", SensorSettings("door", -0.25)) is False
    await storage.put_sensor("lab", SensorSettings("attic", None, 60_000))
    await storage.put_sensor("hall", SensorSettings("x"))
    assert await storage.get_room("lab") == RoomMeta("lab")
    assert (await storage.sensor_settings(["lab"])) == {
        "lab": [SensorSettings("attic", None, 60_000), SensorSettings("door", -0.25)]
    }
    assert sorted(await storage.sensor_settings()) == ["hall", "lab"]
    assert await storage.sensor_settings([]) == {}
    assert await storage.delete_room("lab") is True
    assert "lab" not in await storage.sensor_settings()


async def test_offsets_apply_from_when_they_are_set_and_keep_the_value_as_sent(
    storage: Storage,
) -> None:
    await storage.write([r("lab", T0, 20.0, "door"), r("lab", T0, 19.0)])
    await storage.put_sensor("lab", SensorSettings("door", 0.5))
    await storage.write([r("lab", T0 + MINUTE, 21.0, "door"), r("lab", T0 + MINUTE, 19.5)])
    page = await storage.readings("lab", T0, T0 + HOUR)
    shown = [(x.timestamp_ms, x.sensor_id, x.value) for x in page.readings]
    assert shown == [
        (T0, None, 19.0),
        (T0, "door", 20.0),
        (T0 + MINUTE, None, 19.5),
        (T0 + MINUTE, "door", 21.5),
    ]
    assert page.raw_values == [None, None, None, 21.0]
    (minute,) = (await storage.aggregate(["lab"], [Bucket(T0, T0 + HOUR, T0, T0 + HOUR)]))["lab"]
    assert minute.maximum == 21.5


async def test_a_resend_compares_values_as_sent_whatever_the_offset(storage: Storage) -> None:
    await storage.write([r("lab", T0, 20.0, "door")])
    await storage.put_sensor("lab", SensorSettings("door", 0.5))
    await storage.write([r("lab", T0 + MINUTE, 21.0, "door")])
    await storage.put_sensor("lab", SensorSettings("door", 1.0))
    again = await storage.write([r("lab", T0, 20.0, "door"), r("lab", T0 + MINUTE, 21.0, "door")])
    assert (again.accepted, again.duplicates) == (0, 2)
    with pytest.raises(ConflictingReading):
        await storage.write([r("lab", T0 + MINUTE, 21.25, "door"), r("lab", T0 + HOUR, 1.0)])
    page = await storage.readings("lab", T0, T0 + 2 * HOUR)
    assert [x.value for x in page.readings] == [20.0, 21.5]


async def test_readings_set_aside_page_by_time_and_count_in_no_stats(storage: Storage) -> None:
    aside = [
        SetAside("lab", "b", T0 + MINUTE, 85.0, "rate"),
        SetAside("lab", None, T0, -127.0, "implausible"),
        SetAside("lab", "a", T0 + MINUTE, 99.5, "implausible"),
    ]
    await storage.write([r("lab", T0 + 2 * MINUTE, 20.0)])
    await storage.set_aside(aside)
    await storage.set_aside(aside[:1])  # a re-sent reading is kept once
    first = await storage.set_aside_readings("lab", T0, T0 + HOUR, limit=2)
    rest = await storage.set_aside_readings("lab", T0, T0 + HOUR, after=first.next_after)
    assert first.readings + rest.readings == [aside[1], aside[2], aside[0]]
    assert rest.next_after is None
    assert (await storage.set_aside_readings("lab", T0 + 1, T0 + MINUTE)).readings == []
    (stats,) = (await storage.aggregate(["lab"], [Bucket(T0, T0 + HOUR, T0, T0 + HOUR)]))["lab"]
    assert (stats.count, stats.maximum) == (1, 20.0)
    await storage.delete_room("lab")
    assert (await storage.set_aside_readings("lab", T0, T0 + HOUR)).readings == []


async def test_readings_calibrated_already_are_stored_as_they_are(storage: Storage) -> None:
    # an import of an export: each reading with its value as sent; the sensor's offset here is
    # not added again, and the value as sent is kept only where it differs
    await storage.put_sensor("lab", SensorSettings("door", -2.0))
    given = ReadingColumns.of([r("lab", T0, 20.0, "door"), r("lab", T0 + MINUTE, 21.5, "door")])
    given.raw = np.array([20.0, 21.0])
    assert (await storage.write(given)).accepted == 2
    page = await storage.readings("lab", T0, T0 + HOUR)
    assert [x.value for x in page.readings] == [20.0, 21.5]
    assert page.raw_values == [None, 21.0]
    assert (await storage.write(given)).duplicates == 2
