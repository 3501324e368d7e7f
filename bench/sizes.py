"""How much the benchmark does: the full run (the issue's workload, under 15 minutes here) and
a quick smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    rooms: int = 100
    days: int = 7
    year_minutes: int = 525_600
    gateway_rooms: int = 1000
    gateway_minutes: int = 120
    big_series: int = 1000
    big_minutes: int = 10_000
    batch: int = 1000
    single_seconds: int = 10
    single_clients: int = 32
    runs: int = 30
    protocol_readings: int = 100_000


FULL = Sizes()
QUICK = Sizes(
    rooms=20, days=2, year_minutes=60 * 1440, gateway_minutes=10, big_minutes=500,
    single_seconds=3, runs=10, protocol_readings=20_000,
)  # fmt: skip
