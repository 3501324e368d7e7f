"""Feed `make stack` with readings: a few described rooms, one reading each per interval.

A stand-in for `roomtemp simulate` inside the local stack: it describes its rooms (name, building,
floor, comfort band) once, then pushes a reading per room every interval, following a daily cycle
with a little noise. Set ROOMTEMP_TOKEN when the API asks for a token.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time

import httpx

ROOMS = {
    "hq-lobby": {"name": "Lobby", "building": "hq", "floor": "0", "base": 20.5},
    "hq-lab": {"name": "Lab", "building": "hq", "floor": "1", "base": 22.0},
    "hq-server-room": {"name": "Server room", "building": "hq", "floor": "-1", "base": 19.0},
    "annex-office": {"name": "Office", "building": "annex", "floor": "2", "base": 21.0},
}
COMFORT = {"min_celsius": 17.0, "max_celsius": 25.0}


def reading(room: str, now: float, rng: random.Random) -> dict[str, object]:
    """Base temperature, +/- 1.5 °C over the day (warmest mid-afternoon UTC), and noise."""
    day_phase = (now % 86_400) / 86_400
    value = ROOMS[room]["base"] + 1.5 * math.sin(2 * math.pi * (day_phase - 0.375))  # type: ignore[operator]
    return {"room_id": room, "value": round(value + rng.gauss(0, 0.1), 2), "timestamp": now}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between readings")
    args = parser.parse_args()
    token = os.environ.get("ROOMTEMP_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    rng = random.Random(7)
    with httpx.Client(base_url=args.url, headers=headers, timeout=10) as client:
        for room, meta in ROOMS.items():
            described = {k: meta[k] for k in ("name", "building", "floor")}
            client.put(f"/api/v1/rooms/{room}", json={**described, "comfort": COMFORT})
        while True:
            batch = [reading(room, round(time.time(), 3), rng) for room in ROOMS]
            try:
                answer = client.post("/api/v1/readings", json=batch)
                print(answer.status_code, answer.text, flush=True)
            except httpx.HTTPError as exc:
                print(f"push failed, will retry: {exc}", file=sys.stderr, flush=True)
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
