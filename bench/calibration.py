"""What calibration and quarantine cost at ingest, on the embedded store, side by side in one
run: batches of live readings through RoomService.ingest (validation, screening, the write) in
reject mode (the default), in quarantine mode, in quarantine mode with ROOMTEMP_MAX_RATE, and
with every sensor calibrated; rounds interleaved, medians, as ratios to the default.

    .venv/bin/python bench/calibration.py [--rounds N] [--batch N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from roomtemp.domain import SensorSettings
from roomtemp.screening import Screening
from roomtemp.service import RoomService, ServiceOptions
from roomtemp.storage.sqlite import SqliteStorage

SENSORS = 10
T0_S = 1_709_251_200.0
VARIANTS = {
    "reject (default)": (Screening(), False),
    "quarantine": (Screening(quarantine=True), False),
    "quarantine + max rate": (Screening(quarantine=True, max_rate_per_minute=2.0), False),
    "calibrated sensors": (Screening(), True),
}


def batch_items(first_s: float, size: int) -> list[dict[str, object]]:
    """Live readings: each sensor one a minute, values slowly varying (all plausible)."""
    return [
        {
            "value": 21.0 + (index % 7) * 0.1,
            "timestamp": first_s + (index // SENSORS) * 60,
            "sensor_id": f"s{index % SENSORS}",
        }
        for index in range(size)
    ]


async def open_variant(
    folder: Path, name: str, screening: Screening, calibrate: bool
) -> RoomService:
    storage = SqliteStorage(folder / f"{name.replace(' ', '_')}.sqlite3")
    await storage.open()
    if calibrate:
        for sensor in range(SENSORS):
            await storage.put_sensor("lab", SensorSettings(f"s{sensor}", 0.5))
    end = T0_S + 10**8
    return RoomService(storage, ServiceOptions(screening=screening), lambda: end)


async def run(rounds: int, size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        services = {
            name: await open_variant(Path(folder), name, *variant)
            for name, variant in VARIANTS.items()
        }
        times: dict[str, list[float]] = {name: [] for name in services}
        for round_index in range(rounds):
            first = T0_S + round_index * max(1, size // SENSORS) * 60
            items = batch_items(first, size)
            for name, service in services.items():
                started = time.perf_counter()
                result = await service.ingest(items, "lab")
                times[name].append(time.perf_counter() - started)
                assert result.accepted == size, (name, result)
        for service in services.values():
            await service.storage.close()  # type: ignore[attr-defined]
        return {name: statistics.median(found) * 1000 for name, found in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    found = asyncio.run(run(args.rounds, args.batch))
    floor = found["reject (default)"]
    print(f"ingest of {args.batch} live readings ({SENSORS} sensors), median of {args.rounds}")
    for name, ms in found.items():
        print(f"  {name:24s} {ms:8.2f} ms  {ms / floor:5.2f}x")


if __name__ == "__main__":
    main()
