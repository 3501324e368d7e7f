"""mean_time_weighted and coverage on every backend equal a plain reading of DESIGN's rule:
each reading of a sensor holds its value until that sensor's next reading, for at most
stale-after; a reading just before a bucket carries into it; coverage is the share of the
bucket during which at least one sensor held a value."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomtemp.domain import Aggregate, AggregateColumns, Reading
from roomtemp.storage import Storage
from roomtemp.storage.sqlite import EmbeddedOptions, SqliteStorage
from roomtemp.timeparse import epoch_buckets, local_day_buckets
from tests.backends import SealingSqliteStorage
from tests.support import ms

pytestmark = pytest.mark.anyio

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
STALE = 15 * MINUTE  # the default ROOMTEMP_STALE_AFTER, which every backend uses here
BASE = ms("2024-03-29T00:00:00Z")  # the days around Europe/Paris' spring-forward night
Points = dict[str | None, list[tuple[int, float]]]


def reference(
    points: Points, edges: list[int], start: int, end: int, stale: int
) -> list[tuple[int, float | None, float]]:
    """(bucket start, time-weighted mean, coverage) of every bucket holding readings, by
    brute force: every hold of every reading, cut to each bucket."""
    found = []
    for low_edge, high_edge in itertools.pairwise(edges):
        low, high = max(low_edge, start), min(high_edge, end)
        if not any(low <= t < high for readings in points.values() for t, _ in readings):
            continue
        integral = held = 0.0
        spans = []
        for readings in points.values():
            ordered = sorted(r for r in readings if r[0] < end)
            for (t, v), following in zip(ordered, [*ordered[1:], None], strict=True):
                stop = t + stale if following is None else min(following[0], t + stale)
                a, b = max(t, low), min(stop, high)
                if b > a:
                    integral, held = integral + v * (b - a), held + (b - a)
                    spans.append((a, b))
        covered, reach = 0.0, -math.inf
        for a, b in sorted(spans):
            covered += max(0.0, b - max(a, reach))
            reach = max(reach, b)
        found.append((low_edge, integral / held if held else None, covered / (high - low)))
    return found


def check(got: list[Aggregate], want: list[tuple[int, float | None, float]]) -> None:
    assert [a.start_ms for a in got] == [w[0] for w in want]
    for bucket, (_, weighted, coverage) in zip(got, want, strict=True):
        assert weighted is not None
        assert bucket.mean_time_weighted is not None
        assert math.isclose(bucket.mean_time_weighted, weighted, rel_tol=1e-9)
        assert bucket.coverage is not None
        assert math.isclose(bucket.coverage, coverage, rel_tol=1e-9, abs_tol=1e-12)


gaps = st.sampled_from([MINUTE, MINUTE, 61_234, 30_000, 7 * MINUTE, 25 * MINUTE, 2 * HOUR])
sensor_points = st.tuples(
    st.integers(0, 2 * HOUR),  # first reading after BASE (some before the range's start)
    st.lists(st.tuples(gaps, st.integers(1500, 2800)), min_size=1, max_size=120),
)
rooms = st.dictionaries(st.sampled_from([None, "a", "b"]), sensor_points, min_size=1, max_size=3)
ranges = st.tuples(
    st.integers(0, 3 * HOUR),
    st.integers(6 * HOUR, 3 * DAY),
    st.sampled_from([7 * MINUTE, HOUR, 6 * HOUR, DAY, 0]),
)


def expand(room: dict[str | None, tuple[int, list[tuple[int, int]]]]) -> Points:
    points: Points = {}
    for sensor, (first, steps) in room.items():
        t, readings = BASE + first, []
        for gap, centi in steps:
            readings.append((t, centi / 100))
            t += gap
        points[sensor] = readings
    return points


async def compare(
    storage: Storage, room: str, points: Points, span: tuple[int, int, int], stale: int
) -> None:
    await storage.write(
        [Reading(room, sensor, t, v) for sensor, readings in points.items() for t, v in readings]
    )
    start, end = BASE + span[0], BASE + span[0] + span[1]
    if span[2]:
        buckets = epoch_buckets(start, end, span[2])
    else:  # local days of Paris across the spring-forward night
        buckets = local_day_buckets(start, end, 1, ZoneInfo("Europe/Paris"))
    edges = [b.start_ms for b in buckets] + [buckets[-1].end_ms]
    found = (await storage.aggregate([room], buckets)).get(room, [])
    check(list(found), reference(points, edges, start, end, stale))
    if isinstance(found, AggregateColumns):  # the summary: the whole range at once
        whole = reference(points, [start, end], start, end, stale)
        if whole and whole[0][1] is not None and found.totals.mean_time_weighted is not None:
            assert math.isclose(found.totals.mean_time_weighted, whole[0][1], rel_tol=1e-9)


counter = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(room=rooms, span=ranges)
async def test_time_weighted_figures_match_the_rule(
    storage: Storage, room: dict, span: tuple[int, int, int]
) -> None:
    await compare(storage, f"tw-{next(counter)}", expand(room), span, STALE)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    room=rooms,
    span=ranges,
    stale=st.sampled_from([2 * MINUTE, 15 * MINUTE, 3 * HOUR]),
    sealed=st.booleans(),
)
async def test_embedded_tiers_match_the_rule_for_any_stale_after(
    tmp_path: Path, room: dict, span: tuple[int, int, int], stale: int, sealed: bool
) -> None:
    options = EmbeddedOptions(seal_every_ms=10**12, stale_after_ms=stale)
    path = tmp_path / f"tw-{next(counter)}.sqlite3"
    storage = (SealingSqliteStorage if sealed else SqliteStorage)(path, options)
    await storage.open()
    try:
        await compare(storage, "lab", expand(room), span, stale)
    finally:
        await storage.close()
