"""Known data for the dashboard tests: rooms, readings with explicit timestamps, and the numbers
the dashboard should show, computed here in plain Python (independently of roomtemp)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import httpx

from tests.support import iso, ms

NOW_MS = ms("2024-03-01T12:00:00Z")
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
EN_DASH = "\u2013"  # the page writes ranges and missing values with it
OFFSET_MS = 77_000  # readings sit off the minute grid, so no range edge falls on one


@dataclass
class Room:
    room_id: str
    meta: dict[str, object] | None
    readings: list[tuple[int, float, str | None]] = field(default_factory=list)

    def values_in(self, start_ms: int, end_ms: int) -> list[float]:
        return [v for t, v, _ in self.readings if start_ms <= t < end_ms]


def _lab() -> Room:
    room = Room(
        "lab-1",
        {
            "name": "Lab 1",
            "building": "hq",
            "floor": "1",
            "labels": {"wing": "east"},
            "comfort": {"min_celsius": 19, "max_celsius": 24},
        },
    )
    for k in range(31 * 144):  # every 10 minutes for 31 days, two sensors
        t = NOW_MS - OFFSET_MS - k * 10 * MINUTE_MS
        daily = 1.5 * math.sin(2 * math.pi * (t % DAY_MS) / DAY_MS)
        wiggle = ((k * 37) % 11 - 5) / 20
        room.readings.append((t, round(21 + daily + wiggle - 0.3, 2), "door"))
        room.readings.append((t, round(21 + daily - wiggle + 0.35, 2), "window"))
    return room


def _kitchen() -> Room:
    room = Room(
        "kitchen",
        {
            "name": "Kitchen",
            "building": "hq",
            "floor": "0",
            "comfort": {"min_celsius": 18, "max_celsius": 22},
        },
    )
    for k in range(48):  # hourly for two days before the last hour
        room.readings.append(
            (NOW_MS - OFFSET_MS - HOUR_MS - k * HOUR_MS, 21.0 + (k % 5) / 10, None)
        )
    for k in range(6):  # warming up over the last hour, newest 3 minutes ago
        room.readings.append((NOW_MS - 3 * MINUTE_MS - k * 10 * MINUTE_MS, 23.4 - k * 0.3, None))
    return room


def seed_rooms() -> list[Room]:
    """Lab (two sensors, ok), kitchen (too hot, warming), cellar (too cold), attic (stale),
    store (no metadata, no band), empty (metadata only)."""
    cellar = Room(
        "cellar",
        {
            "name": "Cellar",
            "building": "annex",
            "floor": "B1",
            "comfort": {"min_celsius": 16, "max_celsius": 20},
        },
    )
    cellar.readings = [
        (NOW_MS - OFFSET_MS - k * 5 * MINUTE_MS, 14.2 + k / 100, None) for k in range(12)
    ]
    attic = Room(
        "attic",
        {
            "name": "Attic",
            "building": "hq",
            "floor": "2",
            "comfort": {"min_celsius": 18, "max_celsius": 24},
        },
    )
    attic.readings = [(NOW_MS - 2 * HOUR_MS - k * HOUR_MS, 25.1 - k / 10, None) for k in range(5)]
    store = Room("store", None)
    store.readings = [(NOW_MS - 4 * MINUTE_MS, 20.0, "s1"), (NOW_MS - 9 * MINUTE_MS, 19.4, "s1")]
    empty = Room("empty", {"name": "Empty office", "building": "annex", "floor": "1"})
    return [_lab(), _kitchen(), cellar, attic, store, empty]


def push(base_url: str, rooms: list[Room]) -> None:
    """Store every room's metadata and readings through the public API."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for room in rooms:
            if room.meta is not None:
                client.put(f"/api/v1/rooms/{room.room_id}", json=room.meta).raise_for_status()
            if room.readings:
                body = [
                    {"value": v, "timestamp": iso(t), **({"sensor_id": s} if s else {})}
                    for t, v, s in room.readings
                ]
                answer = client.post(f"/api/v1/rooms/{room.room_id}/readings", json=body)
                assert answer.status_code == 201, answer.text
                assert answer.json()["accepted"] == len(body)


def shown(value: float) -> str:
    """How the page writes a number with one decimal (JavaScript's toFixed: half away from 0)."""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent(share: float) -> str:
    """How the page writes a coverage: whole percent, rounded down."""
    return f"{math.floor(share * 100 + 1e-9)} %"


def fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32
