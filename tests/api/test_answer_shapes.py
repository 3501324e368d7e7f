"""What every route sends is what its OpenAPI schema declares: no missing field, no extra one.

Each route is called for real; its JSON answer is validated against the schema the app publishes
for that status, made strict (every object's properties are all it may have). A route that has a
JSON answer but no request below fails the test, so a new route cannot go unchecked.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from roomtemp.security.access import route_entries
from tests.support import iso, ms

T0 = ms("2024-03-01T11:00:00Z")
ROOM = {
    "name": "Kitchen",
    "building": "hq",
    "floor": "1",
    "labels": {"wing": "east"},
    "comfort": {"min_celsius": 18, "max_celsius": 25},
}
READING = {"value": 21.5, "timestamp": iso(T0), "sensor_id": "wall"}
RANGE = {"start": iso(T0 - 3_600_000), "end": iso(T0 + 3_600_000)}

# (method, path template) -> (the URL to call, keyword arguments of the request)
CALLS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("POST", "/api/v1/rooms/{room}/readings"): (
        "/api/v1/rooms/kitchen/readings",
        {"json": [{**READING, "timestamp": iso(T0 + 60_000)}]},
    ),
    ("POST", "/api/v1/readings"): (
        "/api/v1/readings",
        {"json": [{**READING, "room_id": "kitchen", "timestamp": iso(T0 + 120_000)}]},
    ),
    ("GET", "/api/v1/rooms/{room}/readings"): ("/api/v1/rooms/kitchen/readings", {"params": RANGE}),
    ("GET", "/api/v1/rooms"): ("/api/v1/rooms", {}),
    ("GET", "/api/v1/rooms/{room}"): ("/api/v1/rooms/kitchen", {}),
    ("PUT", "/api/v1/rooms/{room}"): ("/api/v1/rooms/kitchen", {"json": ROOM}),
    ("GET", "/api/v1/rooms/{room}/temperature"): ("/api/v1/rooms/kitchen/temperature", {}),
    ("PUT", "/api/v1/rooms/{room}/sensors/{sensor}"): (
        "/api/v1/rooms/kitchen/sensors/door",
        {"json": {"offset_celsius": -0.5, "expected_interval": "5m"}},
    ),
    ("GET", "/api/v1/rooms/{room}/sensors/{sensor}"): ("/api/v1/rooms/kitchen/sensors/wall", {}),
    ("GET", "/api/v1/rooms/{room}/sensors"): ("/api/v1/rooms/kitchen/sensors", {}),
    ("GET", "/api/v1/rooms/{room}/quarantine"): (
        "/api/v1/rooms/kitchen/quarantine",
        {"params": RANGE},
    ),
    ("GET", "/api/v1/rooms/{room}/stats"): (
        "/api/v1/rooms/kitchen/stats",
        {"params": {**RANGE, "step": "30m"}},
    ),
    ("GET", "/api/v1/stats"): ("/api/v1/stats", {"params": RANGE}),
    ("GET", "/api/v1/alerts"): ("/api/v1/alerts", {}),
    ("GET", "/api/v1/rooms/{room}/alerts"): ("/api/v1/rooms/kitchen/alerts", {"params": RANGE}),
    ("GET", "/healthz"): ("/healthz", {}),
    ("GET", "/readyz"): ("/readyz", {}),
    ("GET", "/health"): ("/health", {}),
    ("PUT", "/metrics/{grouping}"): (
        "/metrics/job/gw/room/kitchen/sensor/desk",
        {"content": f"room_temperature_celsius 21.0 {T0 + 180_000}\n"},
    ),
    ("POST", "/metrics/{grouping}"): (
        "/metrics/job/gw/room/kitchen/sensor/desk",
        {"content": f"room_temperature_celsius 21.0 {T0 + 240_000}\n"},
    ),
}


def strict(schema: Any) -> Any:
    """The schema with every object closed to properties it does not declare."""
    if isinstance(schema, dict):
        closed = {key: strict(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def json_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every documented route whose successful answer is JSON."""
    document = client.app.openapi()  # type: ignore[attr-defined]
    found = set()
    for entry in route_entries(client.app):  # type: ignore[arg-type]
        for method in entry.methods if entry.include_in_schema else ():
            responses = document["paths"][entry.path][method.lower()]["responses"]
            success = [r for status, r in responses.items() if status.startswith("2")]
            if any("application/json" in r.get("content", {}) for r in success):
                found.add((method, entry.path))
    return found


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    assert client.put("/api/v1/rooms/kitchen", json=ROOM).status_code in (200, 201)
    assert client.post("/api/v1/rooms/kitchen/readings", json=[READING]).status_code == 201
    return client


def test_every_json_route_is_called(seeded: TestClient) -> None:
    assert json_routes(seeded) == set(CALLS)


@pytest.mark.parametrize(("method", "path"), sorted(CALLS))
def test_the_answer_is_exactly_the_declared_shape(
    seeded: TestClient, method: str, path: str
) -> None:
    url, request = CALLS[(method, path)]
    answer = seeded.request(method, url, **request)
    assert answer.status_code < 300, answer.text
    document = copy.deepcopy(seeded.app.openapi())  # type: ignore[attr-defined]
    declared = document["paths"][path][method.lower()]["responses"][str(answer.status_code)]
    schema = strict({**declared["content"]["application/json"]["schema"], **document})
    jsonschema.validate(answer.json(), schema)
