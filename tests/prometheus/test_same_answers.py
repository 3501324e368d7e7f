"""The same known data pushed through the API gives the same answers on SQLite and on an engine."""

from __future__ import annotations

import random
from typing import Any

from fastapi.testclient import TestClient

from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory
from tests.support import close, iso, ms

DAY = 86_400_000
START = ms("2024-02-24T00:00:00Z")
END = ms("2024-03-01T11:30:00Z")
ROOMS = {"kitchen": "hq", "lab.1": "hq", "labx1": "annex", "hall": "annex"}

QUERIES = [
    "/api/v1/rooms",
    "/api/v1/rooms?building=hq",
    "/api/v1/rooms/kitchen",
    "/api/v1/rooms/lab.1/temperature",
    "/api/v1/rooms/kitchen/temperature?unit=F",
    "/api/v1/stats?start=2024-02-24T00:00:00Z&end=2024-03-01T12:00:00Z",
    "/api/v1/stats?start=2024-02-25T13:17:00Z&end=2024-02-27T00:00:00Z&building=hq",
    "/api/v1/rooms/kitchen/stats?start=2024-02-24T00:00:00Z&end=2024-03-01T12:00:00Z&step=1h",
    "/api/v1/rooms/kitchen/stats?start=2024-02-24T03:21:00Z&end=2024-03-01T00:00:00Z&step=7m",
    "/api/v1/rooms/hall/stats?start=2024-02-24T00:00:00Z&end=2024-03-01T12:00:00Z&step=1d",
    "/api/v1/rooms/lab.1/stats?start=2024-02-24T10:00:00Z&end=2024-03-01T12:00:00Z"
    "&step=1d&tz=America/Sao_Paulo",
    "/api/v1/rooms/labx1/stats?start=2024-02-24T10:00:00Z&end=2024-03-01T12:00:00Z"
    "&step=2d&tz=Asia/Kathmandu",
    "/api/v1/rooms/kitchen/stats?start=2024-02-26T00:00:00Z&end=2024-02-26T00:00:00.002Z&step=1ms",
    "/api/v1/rooms/kitchen/readings?start=2024-02-26T00:00:00Z&end=2024-02-27T00:00:00Z",
    "/api/v1/rooms/kitchen/readings?start=2024-02-26T00:00:00Z&end=2024-02-27T00:00:00Z"
    "&sensor_id=door&unit=K",
    "/api/v1/rooms/hall/readings?start=2024-02-24T00:00:00Z&end=2024-03-02T00:00:00Z&format=csv",
]


def _known_data() -> list[dict[str, Any]]:
    rng = random.Random(20240301)
    readings = {}
    for _ in range(3000):
        room = rng.choice(sorted(ROOMS))
        sensor = rng.choice([None, "door", "window"])
        ts = START + rng.randrange(END - START)
        readings[(room, sensor, ts)] = round(rng.uniform(12, 30), 2)
    readings[("kitchen", None, ms("2024-02-26T00:00:00Z"))] = 21.0
    readings[("kitchen", None, ms("2024-02-26T00:00:00.001Z"))] = 22.0
    return [
        {"room_id": room, "sensor_id": sensor, "timestamp": iso(ts), "value": value}
        for (room, sensor, ts), value in readings.items()
    ]


def _load(client: TestClient, readings: list[dict[str, Any]]) -> None:
    for room, building in ROOMS.items():
        meta = {"name": room.upper(), "building": building, "floor": "1"}
        assert client.put(f"/api/v1/rooms/{room}", json=meta).status_code == 201
    for start in range(0, len(readings), 1000):
        answer = client.post("/api/v1/readings", json=readings[start : start + 1000])
        assert answer.status_code == 201, answer.text


def _answers(client: TestClient) -> list[tuple[str, int, Any]]:
    answers = []
    for path in QUERIES:
        answer = client.get(path)
        body = answer.text if "format=csv" in path else answer.json()
        answers.append((path, answer.status_code, body))
    return answers


def _same(got: Any, want: Any, key: str = "") -> bool:
    """Equal, means and coverage to float rounding (DESIGN: 1e-9 relative); the rest exactly."""
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k], k) for k in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(
            _same(g, w, key) for g, w in zip(got, want, strict=True)
        )
    if key in ("mean", "mean_time_weighted", "coverage") and isinstance(want, float):
        return isinstance(got, float) and close(got, want)
    return bool(got == want)


def _pages(client: TestClient) -> list[dict[str, Any]]:
    pages, cursor = [], ""
    while True:
        path = "/api/v1/rooms/lab.1/readings?start=2024-02-24T00:00:00Z&limit=333"
        page = client.get(path + (f"&cursor={cursor}" if cursor else "")).json()
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        cursor = page["next_cursor"]


def test_same_answers_as_sqlite(
    engine: Engine, engine_client: ClientFactory, sqlite_client: TestClient
) -> None:
    readings = _known_data()
    _load(sqlite_client, readings)
    with engine_client(engine) as client:
        _load(client, readings)
        resent = client.post("/api/v1/readings", json=readings[:50]).json()
        assert resent == {"accepted": 0, "duplicates": 50}
        expected, found = _answers(sqlite_client), _answers(client)
        for want, got in zip(expected, found, strict=True):
            assert want[1] == 200
            assert got[1] == 200
            assert _same(got[2], want[2]), (got, want)
        assert _pages(client) == _pages(sqlite_client)
        assert len(_pages(client)) > 2
