"""roomtemp benchmark (`make bench`): the issue's workload through roomtemp and straight into
Prometheus and VictoriaMetrics, in one run, printed side by side as ratios with the aims.

Every server is a real process on loopback with its data in a temporary folder: `roomtemp
serve` on a fresh embedded store, Prometheus 2.x and VictoriaMetrics (Debian packages). Load
comes from this process, one client, bodies encoded before the clock starts; the CPU the server
used is read from /proc. Absolute figures move from run to run on a shared machine: read the
ratios.

    python bench/run.py [--quick] [--only roomtemp,prometheus,victoriametrics,protocols]
                        [--profile DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.engines, tests.processes

from figures import Figure, Results, print_table
from phases import big_store, engine_phase, roomtemp_phase, single_readings
from protocols import protocol_phase
from sizes import FULL, QUICK, Sizes
from workloads import gateway_rows, rooms_workload, year_workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default="roomtemp,prometheus,victoriametrics,protocols")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--profile", type=Path, help="py-spy flame graphs of each phase here")
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    folder = Path(tempfile.mkdtemp(prefix="roomtemp-bench-"))
    try:
        results = run(folder, sizes, options.only.split(","), options.profile)
    finally:
        if options.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(results, sizes)


def run(folder: Path, sizes: Sizes, only: list[str], profile: Path | None) -> Results:
    rooms = rooms_workload(sizes.rooms, sizes.days)
    year = year_workload(sizes.year_minutes)
    print(f"data: {len(rooms.rows):,} readings of {sizes.rooms} rooms, {len(year.rows):,} of one")
    gateway = gateway_rows(sizes.gateway_rooms, sizes.gateway_minutes)
    results = Results()
    for kind in ("prometheus", "victoriametrics"):
        if kind in only:
            engine_phase(kind, folder, sizes, rooms, year, gateway, results)
    if "roomtemp" in only:
        roomtemp_phase(folder, sizes, rooms, year, results, profile)
        single_readings(folder, sizes, gateway, results, profile)
        big_store(folder, sizes, results)
    if "protocols" in only:
        protocol_phase(folder, sizes, results)
    return results


__all__ = ["Figure", "main"]

if __name__ == "__main__":
    main()
