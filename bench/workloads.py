"""The benchmark's data, the same for roomtemp and the engines, and its request bodies.

- rooms: 100 rooms x 7 days of per-minute readings, gauss(21, 1) rounded to 2 decimals, ending
  at the last whole minute (so today is a partial day), sent minute by minute as gateways do;
- year: one room for all of 2023, a daily sine plus noise;
- gateway: one reading of each of 1,000 rooms a request;
- big: 10 M readings in 1,000 series (10,000 minutes each), for memory and restart.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from roomtemp.storage.prometheus.remote_write import encode, series_labels

MINUTE = 60_000
YEAR_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1000)
Row = tuple[str, int, float]  # room, epoch ms, value


@dataclass(frozen=True)
class Workload:
    """Readings in the order they are sent, and where they end."""

    name: str
    rows: list[Row]
    start_ms: int
    end_ms: int

    @property
    def rooms(self) -> list[str]:
        return sorted({room for room, _, _ in self.rows})


def now_minute() -> int:
    return int(time.time() * 1000) // MINUTE * MINUTE


def rooms_workload(rooms: int = 100, days: int = 7, prefix: str = "room") -> Workload:
    """`rooms` rooms, each a reading a minute for `days` days up to now, minute by minute."""
    noise = random.Random(2)
    minutes = days * 1440
    end = now_minute()
    start = end - minutes * MINUTE
    rows = [
        (f"{prefix}-{r:04d}", start + k * MINUTE, round(21 + noise.gauss(0, 1), 2))
        for k in range(minutes)
        for r in range(rooms)
    ]
    return Workload(prefix, rows, start, end)


def gateway_rows(rooms: int, minutes: int) -> list[Row]:
    """The gateway shape's readings: the newest `minutes` of `rooms` rooms, minute by minute
    (sent a minute, one reading of each room, a request)."""
    return rooms_workload(rooms, 1, "gw").rows[-rooms * minutes :]


def year_workload(minutes: int = 525_600) -> Workload:
    """One room, one reading a minute from 2023-01-01: a daily cycle plus seeded noise."""
    noise = random.Random(1)
    rows = [
        (
            "year",
            YEAR_START + k * MINUTE,
            round(20 + 2 * math.sin(2 * math.pi * k / 1440) + noise.gauss(0, 0.2), 2),
        )
        for k in range(minutes)
    ]
    return Workload("year", rows, YEAR_START, YEAR_START + minutes * MINUTE)


def json_bodies(rows: list[Row], size: int) -> list[tuple[int, bytes]]:
    """roomtemp JSON bodies of `size` readings (timestamps as epoch seconds)."""
    return [
        (
            len(rows[i : i + size]),
            orjson.dumps(
                [
                    {"room_id": r, "timestamp": t / 1000, "value": v}
                    for r, t, v in rows[i : i + size]
                ]
            ),
        )
        for i in range(0, len(rows), size)
    ]


def remote_write_bodies(rows: list[Row], size: int) -> list[tuple[int, bytes]]:
    """Remote-write bodies of `size` samples each, grouped per series as Prometheus sends."""
    bodies = []
    for i in range(0, len(rows), size):
        series: dict[object, list[tuple[int, float]]] = defaultdict(list)
        for room, ts, value in rows[i : i + size]:
            series[series_labels("room_temperature_celsius", room=room)].append((ts, value))
        bodies.append((len(rows[i : i + size]), encode(series.items())))  # type: ignore[arg-type]
    return bodies
