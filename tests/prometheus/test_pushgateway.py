"""Pushgateway-compatible ingest feeds the same path as the JSON API, on every backend."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory

RANGE = "start=2024-02-29T00:00:00Z&end=2024-03-01T12:00:00Z"


def _client_library_body(value: float) -> bytes:
    """What a device using prometheus_client's push_to_gateway sends."""
    registry = CollectorRegistry()
    Gauge("room_temperature_celsius", "Room temperature", registry=registry).set(value)
    Gauge("push_time_seconds", "Last push", registry=registry).set(1.7e9)
    return generate_latest(registry)


def _exercise(client: TestClient) -> None:
    body = (
        b"# TYPE room_temperature_celsius gauge\n"
        b"room_temperature_celsius 21.5 1709251200000\n"
        b'room_temperature_fahrenheit{sensor="window"} 71.6 1709251260000\n'
    )
    put = client.put("/metrics/job/thermo/room/kitchen", content=body)
    assert (put.status_code, put.json()) == (200, {"accepted": 2, "duplicates": 0})
    again = client.post("/metrics/job/thermo/room/kitchen", content=body)
    assert again.json() == {"accepted": 0, "duplicates": 2}
    room = base64.urlsafe_b64encode(b"lab.2").decode().rstrip("=")
    path = f"/metrics/job/thermo/room@base64/{room}/sensor/desk"
    assert client.put(path, content=_client_library_body(19.25)).status_code == 200
    stored = client.get(f"/api/v1/rooms/kitchen/readings?{RANGE}").json()["readings"]
    assert stored == [
        {"timestamp": "2024-03-01T00:00:00.000Z", "value": 21.5, "sensor_id": None},
        {
            "timestamp": "2024-03-01T00:01:00.000Z",
            "value": pytest.approx((71.6 - 32) * 5 / 9, rel=1e-12),
            "sensor_id": "window",
        },
    ]
    now = client.get("/api/v1/rooms/lab.2/temperature").json()
    assert (now["value"], now["sensors"][0]["sensor_id"]) == (19.25, "desk")


def test_pushgateway_ingest_on_sqlite(client: TestClient) -> None:
    _exercise(client)


def test_pushgateway_ingest_on_an_engine(engine: Engine, engine_client: ClientFactory) -> None:
    with engine_client(engine) as client:
        _exercise(client)


@pytest.mark.parametrize(
    ("path", "body", "status", "why"),
    [
        ("/metrics/job/thermo", b"room_temperature_celsius 20\n", 400, "names no room"),
        ("/metrics/job/thermo/floor/2", b"room_temperature_celsius 20\n", 400, "room"),
        ("/metrics/job/thermo/room/kitchen", b"other_metric 20\n", 422, "no sample"),
        ("/metrics/job/thermo/room/kitchen", b"room_temperature_celsius twenty\n", 422, "text"),
        ("/metrics/job/thermo/room/Kitchen!", b"room_temperature_celsius 20\n", 422, "room_id"),
        ("/metrics/job/thermo/room/kitchen", b"room_temperature_celsius 500\n", 422, "plausible"),
    ],
)
def test_bad_pushes_are_refused(
    client: TestClient, path: str, body: bytes, status: int, why: str
) -> None:
    answer = client.put(path, content=body)
    assert answer.status_code == status
    assert why in answer.text
    metrics = client.get("/metrics").text
    assert 'roomtemp_readings_rejected_total{reason="invalid"} 1.0' in metrics
