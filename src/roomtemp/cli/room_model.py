"""A sensor model for demos, tests and benchmarks: rooms that warm and cool through the day.

Each room has an outdoor climate (season, daily cycle, day-to-day weather), walls that leak heat,
a heater driven by a thermostat with a night setback (some rooms also cool), sun and people.
Each of its 1 to 3 sensors adds its own bias and noise and now and then drops out.

Everything is deterministic in the seed. A room is simulated on a grid of `interval` from each
UTC midnight, with its state and random draws started afresh at midnight, so the value at a given
timestamp never depends on when a run started: a re-run (or live mode after a backfill) re-sends
identical readings, which the server counts as duplicates rather than conflicts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from roomtemp.timeparse import MS_PER_DAY

HOUR_MS = 3_600_000
SENSOR_NAMES = ("wall", "desk", "window")
BUILDINGS = ("hq", "annex", "lab")

DROPOUT_PROBABILITY = 0.005
"""Chance that one sensor misses one reading."""
OUTAGE_PROBABILITY = 0.0005
"""Chance per step that a sensor goes silent for a while (a flat battery, a lost radio link)."""
HYSTERESIS = 0.3
"""Half-width of the thermostat's dead band, in °C."""
PEOPLE_RISE = 2.0
"""How far people at work (09:00-18:00) would lift a room above the outdoor temperature, in °C."""


@dataclass(frozen=True)
class SimReading:
    """One simulated reading (°C, epoch ms)."""

    room_id: str
    sensor_id: str
    timestamp_ms: int
    value: float


@dataclass(frozen=True)
class RoomProfile:
    """The fixed traits of one simulated room, drawn from the seed.

    The room relaxes towards an equilibrium at `loss_per_hour` (1/h); each heat source moves that
    equilibrium: the heater lifts it `heater_rise` °C above the outdoor temperature, and so on.
    """

    room_id: str
    name: str
    building: str
    floor: str
    sensors: tuple[str, ...]
    sensor_bias: tuple[float, ...]
    loss_per_hour: float
    heater_rise: float
    cooler_drop: float
    day_setpoint: float
    night_setpoint: float
    cooling_setpoint: float | None
    solar_rise: float
    comfort: tuple[float, float]

    def metadata(self) -> dict[str, object]:
        """The room's metadata in the shape of `PUT /api/v1/rooms/{room}`."""
        return {
            "name": self.name,
            "building": self.building,
            "floor": self.floor,
            "labels": {"source": "simulated"},
            "comfort": {"min_celsius": self.comfort[0], "max_celsius": self.comfort[1]},
        }


def room_ids(count: int, prefix: str = "room") -> list[str]:
    """The ids of `count` simulated rooms: room-001, room-002, ..."""
    width = max(3, len(str(count)))
    return [f"{prefix}-{index:0{width}d}" for index in range(1, count + 1)]


def make_profile(seed: int, room_id: str, index: int) -> RoomProfile:
    """Draw a room's traits from the seed and its id (other rooms do not change them)."""
    rng = random.Random(f"{seed}/{room_id}")
    sensor_count = rng.choice((1, 2, 2, 3))
    floor = str(index // 10 % 5)
    day_setpoint = round(rng.uniform(20.0, 22.0), 1)
    cools = rng.random() < 0.3
    return RoomProfile(
        room_id=room_id,
        name=f"Room {floor}.{index:02d}",  # the whole index: unique for any number of rooms
        building=BUILDINGS[rng.randrange(len(BUILDINGS))],
        floor=floor,
        sensors=SENSOR_NAMES[:sensor_count],
        sensor_bias=tuple(round(rng.uniform(-0.4, 0.4), 2) for _ in range(sensor_count)),
        loss_per_hour=rng.uniform(0.05, 0.2),
        heater_rise=rng.uniform(30.0, 40.0),
        cooler_drop=rng.uniform(10.0, 15.0) if cools else 0.0,
        day_setpoint=day_setpoint,
        night_setpoint=round(day_setpoint - rng.uniform(2.0, 4.0), 1),
        cooling_setpoint=round(rng.uniform(24.0, 26.0), 1) if cools else None,
        solar_rise=rng.uniform(0.0, 4.0),
        comfort=(round(day_setpoint - 2.0, 1), round(day_setpoint + 3.0, 1)),
    )


def outdoor_celsius(timestamp_ms: int, weather: float) -> float:
    """Outdoor temperature: a season (coldest mid-January), a daily cycle peaking at 15:00 UTC."""
    day_of_year = (timestamp_ms % (365 * MS_PER_DAY)) / MS_PER_DAY
    hour = (timestamp_ms % MS_PER_DAY) / HOUR_MS
    season = 10.0 - 9.0 * math.cos(2 * math.pi * (day_of_year - 15) / 365)
    return season + weather + 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)


class RoomDay:
    """One room simulated through one UTC day, step by step from midnight."""

    def __init__(self, seed: int, profile: RoomProfile, day_start_ms: int, step_ms: int) -> None:
        self.profile = profile
        self.step_ms = step_ms
        self.day_start_ms = day_start_ms
        self.next_ms = day_start_ms
        self._rng = random.Random(f"{seed}/{profile.room_id}/{day_start_ms}")
        self._weather = random.Random(f"{seed}/weather/{day_start_ms}").gauss(0.0, 3.0)
        self._temperature = self._start_temperature(day_start_ms)
        self._heating = False
        self._cooling = False
        self._silent_until = [0] * len(profile.sensors)

    def _start_temperature(self, day_start_ms: int) -> float:
        """Near where the previous night would have left the room, so midnight shows no jump."""
        profile = self.profile
        start = max(profile.night_setpoint, outdoor_celsius(day_start_ms, self._weather) + 1.0)
        if profile.cooling_setpoint is not None:
            start = min(start, profile.cooling_setpoint)
        return start + self._rng.uniform(-HYSTERESIS, HYSTERESIS)

    def step(self) -> list[SimReading]:
        """Advance to the next grid time; the readings its sensors send then."""
        now = self.next_ms
        self._advance(now)
        self.next_ms += self.step_ms
        return self._sense(now)

    def _advance(self, now: int) -> None:
        """Move the room's temperature one step towards where its heat sources would take it."""
        profile = self.profile
        hour = (now % MS_PER_DAY) / HOUR_MS
        daytime = 7.0 <= hour < 22.0
        setpoint = profile.day_setpoint if daytime else profile.night_setpoint
        if self._temperature < setpoint - HYSTERESIS:
            self._heating = True
        elif self._temperature > setpoint + HYSTERESIS:
            self._heating = False
        cooling_setpoint = profile.cooling_setpoint
        if cooling_setpoint is not None:
            if self._temperature > cooling_setpoint + HYSTERESIS:
                self._cooling = True
            elif self._temperature < cooling_setpoint - HYSTERESIS:
                self._cooling = False
        sun = max(0.0, math.sin(math.pi * (hour - 6.0) / 12.0)) if 6.0 <= hour < 18.0 else 0.0
        people = PEOPLE_RISE if 9.0 <= hour < 18.0 else 0.0
        rise = (
            profile.heater_rise * self._heating
            - profile.cooler_drop * self._cooling
            + profile.solar_rise * sun
            + people
        )
        loss = profile.loss_per_hour
        equilibrium = outdoor_celsius(now, self._weather) + rise
        decay = math.exp(-loss * self.step_ms / HOUR_MS)
        self._temperature = equilibrium + (self._temperature - equilibrium) * decay

    def _sense(self, now: int) -> list[SimReading]:
        rng = self._rng
        readings = []
        profile = self.profile
        for index, sensor in enumerate(profile.sensors):
            noise = rng.gauss(0.0, 0.08)
            dropped = rng.random() < DROPOUT_PROBABILITY
            if rng.random() < OUTAGE_PROBABILITY:
                self._silent_until[index] = now + rng.randint(10, 120) * self.step_ms
            if dropped or now < self._silent_until[index]:
                continue
            value = round(self._temperature + profile.sensor_bias[index] + noise, 2)
            readings.append(SimReading(profile.room_id, sensor, now, value))
        return readings


class Simulation:
    """Many rooms on one time grid: `interval` steps counted from each UTC midnight."""

    def __init__(self, seed: int, rooms: int, interval_ms: int, prefix: str = "room") -> None:
        if not 0 < interval_ms <= MS_PER_DAY:
            raise ValueError("the interval must be positive and at most one day")
        self.seed = seed
        self.interval_ms = interval_ms
        self.profiles = [
            make_profile(seed, room_id, index)
            for index, room_id in enumerate(room_ids(rooms, prefix), start=1)
        ]
        self._days: dict[str, RoomDay] = {}

    def grid_at_or_after(self, timestamp_ms: int) -> int:
        """The first grid time at or after `timestamp_ms`."""
        day_start = timestamp_ms - timestamp_ms % MS_PER_DAY
        steps = -(-(timestamp_ms - day_start) // self.interval_ms)
        grid = day_start + steps * self.interval_ms
        return grid if grid < day_start + MS_PER_DAY else day_start + MS_PER_DAY

    def readings_at(self, grid_ms: int) -> list[SimReading]:
        """Every room's readings at one grid time (steps rooms forward, or restarts their day)."""
        if self.grid_at_or_after(grid_ms) != grid_ms:
            raise ValueError(f"{grid_ms} is not a time of the simulation's grid")
        readings: list[SimReading] = []
        for profile in self.profiles:
            readings += self._room_day(profile, grid_ms).step()
        return readings

    def history(self, start_ms: int, end_ms: int) -> Iterator[list[SimReading]]:
        """The readings of every grid time in `[start, end)`, one list per grid time."""
        grid = self.grid_at_or_after(start_ms)
        while grid < end_ms:
            yield self.readings_at(grid)
            grid = self.grid_at_or_after(grid + 1)

    def grid_times(self, start_ms: int, end_ms: int) -> int:
        """How many grid times lie in `[start, end)` (for progress bars)."""
        count, grid = 0, self.grid_at_or_after(start_ms)
        while grid < end_ms:
            day_end = grid - grid % MS_PER_DAY + MS_PER_DAY
            last = min(day_end, end_ms)
            in_day = -(-(last - grid) // self.interval_ms)
            count += in_day
            grid = self.grid_at_or_after(day_end)
        return count

    def _room_day(self, profile: RoomProfile, grid_ms: int) -> RoomDay:
        """The room's day at `grid_ms`, stepped up to it: the one kept from the previous call if
        it is the same UTC day and not past `grid_ms`, else a fresh one from midnight."""
        day = self._days.get(profile.room_id)
        day_start = grid_ms - grid_ms % MS_PER_DAY
        if day is None or day.day_start_ms != day_start or day.next_ms > grid_ms:
            day = RoomDay(self.seed, profile, day_start, self.interval_ms)
            self._days[profile.room_id] = day
        while day.next_ms < grid_ms:
            day.step()
        return day
