"""The sensor model on its own: deterministic, plausible, and thermostat-controlled."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from roomtemp.cli.room_model import SENSOR_NAMES, SimReading, Simulation, make_profile, room_ids
from roomtemp.timeparse import MS_PER_DAY as DAY_MS
from tests.support import ms

JAN_15 = ms("2024-01-15T00:00:00Z")
MINUTE = 60_000
HOUR = 60 * MINUTE

seeds = st.integers(min_value=0, max_value=2**32)
days = st.integers(min_value=0, max_value=364)


def flatten(simulation: Simulation, start: int, end: int) -> list[tuple[str, str, int, float]]:
    return [
        (r.room_id, r.sensor_id, r.timestamp_ms, r.value)
        for step in simulation.history(start, end)
        for r in step
    ]


@settings(max_examples=15, deadline=None)
@given(seed=seeds, day=days, offset_steps=st.integers(min_value=1, max_value=600))
def test_a_later_start_sends_the_same_readings(seed: int, day: int, offset_steps: int) -> None:
    start = JAN_15 + day * DAY_MS
    end = start + 12 * 3_600_000
    full = flatten(Simulation(seed, 3, MINUTE), start, end)
    late = flatten(Simulation(seed, 3, MINUTE), start + offset_steps * MINUTE, end)
    assert late == [r for r in full if r[2] >= start + offset_steps * MINUTE]
    assert full == flatten(Simulation(seed, 3, MINUTE), start, end)


Identity = tuple[str, str, int]


def by_identity(steps: Iterable[list[SimReading]]) -> dict[Identity, float]:
    return {(r.room_id, r.sensor_id, r.timestamp_ms): r.value for step in steps for r in step}


def within(readings: dict[Identity, float], start: int, end: int) -> dict[Identity, float]:
    return {key: value for key, value in readings.items() if start <= key[2] < end}


@settings(max_examples=12, deadline=None)
@example(seed=0, interval=MINUTE, start_offset=0, inner=(0.99, 0.01), live=(0.5, 0.3))
@example(seed=0, interval=5 * MINUTE, start_offset=0, inner=(0.99, 0.01), live=(0.5, 0.3))
@given(
    seed=seeds,
    interval=st.sampled_from([MINUTE, 5 * MINUTE, 7 * MINUTE, 15 * MINUTE, HOUR, 7 * HOUR]),
    start_offset=st.integers(min_value=0, max_value=DAY_MS - 1),
    inner=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    live=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
)
def test_runs_started_at_different_times_send_identical_readings(
    seed: int,
    interval: int,
    start_offset: int,
    inner: tuple[float, float],
    live: tuple[float, float],
) -> None:
    """A re-run, a shorter run inside a longer one, and live mode after a backfill all send the
    same value for the same (room, sensor, timestamp), across UTC midnights."""
    start = JAN_15 + start_offset
    end = start + 2 * DAY_MS + 6 * HOUR
    full = by_identity(Simulation(seed, 2, interval).history(start, end))

    inner_start = start + round(inner[0] * (end - start))
    inner_end = min(end, inner_start + round(inner[1] * DAY_MS) + 1)
    short = by_identity(Simulation(seed, 2, interval).history(inner_start, inner_end))
    assert short == within(full, inner_start, inner_end)

    backfill_end = start + round(live[0] * (end - start))
    simulation = Simulation(seed, 2, interval)
    assert by_identity(simulation.history(start, backfill_end)) == within(full, start, backfill_end)
    # live mode starts at the newest grid time before now: at, before or after the backfill's end
    tick = simulation.grid_at_or_after(max(start, backfill_end - round(live[1] * DAY_MS)))
    ticks: set[int] = set()
    while tick < end and len(ticks) < 50:
        ticks.add(tick)
        tick = simulation.grid_at_or_after(tick + 1)
    pushed = by_identity(simulation.readings_at(tick) for tick in sorted(ticks))
    assert pushed == {key: value for key, value in full.items() if key[2] in ticks}


@settings(max_examples=15, deadline=None)
@given(seed=seeds, day=days, rooms=st.integers(min_value=1, max_value=6))
def test_readings_are_plausible_and_on_the_grid(seed: int, day: int, rooms: int) -> None:
    start = JAN_15 + day * DAY_MS
    simulation = Simulation(seed, rooms, 5 * MINUTE)
    readings = flatten(simulation, start, start + DAY_MS)
    identities = {(room, sensor, t) for room, sensor, t, _ in readings}
    assert len(identities) == len(readings)
    assert all(t % (5 * MINUTE) == 0 and start <= t < start + DAY_MS for _, _, t, _ in readings)
    assert all(5.0 <= value <= 40.0 for *_, value in readings)
    for profile in simulation.profiles:
        assert 1 <= len(profile.sensors) <= 3
        assert set(profile.sensors) <= set(SENSOR_NAMES)
        sent = sum(1 for room, *_ in readings if room == profile.room_id)
        # dropouts and outages lose some readings, never most of them
        assert 0.5 * 288 * len(profile.sensors) <= sent <= 288 * len(profile.sensors)
    assert simulation.grid_times(start, start + DAY_MS) == 288


@settings(max_examples=10, deadline=None)
@given(seed=seeds, day=st.integers(min_value=0, max_value=30))
def test_the_thermostat_holds_the_day_setpoint_in_winter(seed: int, day: int) -> None:
    start = JAN_15 + day * DAY_MS
    simulation = Simulation(seed, 4, MINUTE)
    by_room: dict[str, list[float]] = defaultdict(list)
    for room, _, t, value in flatten(simulation, start, start + DAY_MS):
        if 11 * 60 <= (t - start) // MINUTE < 21 * 60:
            by_room[room].append(value)
    for profile in simulation.profiles:
        assert abs(statistics.fmean(by_room[profile.room_id]) - profile.day_setpoint) < 1.0


def test_nights_are_cooler_than_days_in_winter() -> None:
    simulation = Simulation(7, 5, MINUTE)
    readings = flatten(simulation, JAN_15, JAN_15 + DAY_MS)
    night = [v for _, _, t, v in readings if (t - JAN_15) < 6 * 3_600_000]
    day = [v for _, _, t, v in readings if 12 * 3_600_000 <= (t - JAN_15) < 20 * 3_600_000]
    assert statistics.fmean(day) - statistics.fmean(night) > 1.5


def test_a_grid_time_is_required() -> None:
    with pytest.raises(ValueError, match="grid"):
        Simulation(1, 1, MINUTE).readings_at(JAN_15 + 1)


def test_every_room_has_its_own_name_for_any_number_of_rooms() -> None:
    ids = room_ids(5000)
    names = [make_profile(1, room_id, index).name for index, room_id in enumerate(ids, start=1)]
    assert len(set(names)) == len(names)
