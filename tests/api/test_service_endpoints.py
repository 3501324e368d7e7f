"""Health, readiness, metrics, OpenAPI and docs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import NOW_MS


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    assert client.get("/readyz").json() == {"status": "ok", "detail": None}


def test_metrics_expose_room_gauges_and_service_counters(client: TestClient) -> None:
    now = NOW_MS / 1000
    client.put("/api/v1/rooms/lab", json={"building": "hq", "floor": "2"})
    client.post(
        "/api/v1/rooms/lab/readings",
        json=[
            {"value": 20.5, "timestamp": now - 120, "sensor_id": "a"},
            {"value": 21.5, "timestamp": now - 60, "sensor_id": "a"},
            {"value": 19.0, "timestamp": now - 120},
            {"value": 30.0, "timestamp": now - 3600, "sensor_id": "silent"},
        ],
    )
    client.post("/api/v1/rooms/lab/readings", json={"value": 19.0, "timestamp": now - 120})
    client.post("/api/v1/rooms/lab/readings", json={"value": 500})
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}

    def gauges(family: str) -> dict[tuple[str, ...], float]:
        return {
            (s.labels["room"], s.labels["sensor"], s.labels["building"], s.labels["floor"]): s.value
            for s in families[family].samples
        }

    # a stale sensor's old value is not exported as current; its time is, for alerts on silence
    assert gauges("room_temperature_celsius") == {
        ("lab", "a", "hq", "2"): 21.5,
        ("lab", "", "hq", "2"): 19.0,
    }
    assert gauges("room_temperature_reading_timestamp_seconds") == {
        ("lab", "a", "hq", "2"): now - 60,
        ("lab", "", "hq", "2"): now - 120,
        ("lab", "silent", "hq", "2"): now - 3600,
    }

    def value(family: str, **labels: str) -> float:
        return sum(
            s.value
            for s in families[family].samples
            if s.name.endswith("_total") and labels.items() <= s.labels.items()
        )

    assert value("roomtemp_readings_ingested") == 4
    assert value("roomtemp_readings_duplicate") == 1
    assert value("roomtemp_readings_rejected", reason="invalid") == 1
    assert value("roomtemp_http_requests", route="/api/v1/rooms/{room}/readings", code="201") == 2
    assert value("roomtemp_http_requests", route="/api/v1/rooms/{room}/readings", code="422") == 1


def test_openapi_describes_every_endpoint_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    expected = {
        ("post", "/api/v1/rooms/{room}/readings"),
        ("post", "/api/v1/readings"),
        ("get", "/api/v1/rooms"),
        ("get", "/api/v1/rooms/{room}"),
        ("put", "/api/v1/rooms/{room}"),
        ("delete", "/api/v1/rooms/{room}"),
        ("get", "/api/v1/rooms/{room}/temperature"),
        ("get", "/api/v1/rooms/{room}/readings"),
        ("get", "/api/v1/rooms/{room}/stats"),
        ("get", "/api/v1/stats"),
    }
    found = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert expected <= found
    body = schema["paths"]["/api/v1/readings"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv", "application/x-ndjson"} <= set(body)
    for name in ("TemperatureOut", "StatsOut", "RoomOut", "ReadingsOut", "WriteOut"):
        assert schema["components"]["schemas"][name]["examples"], name


def test_swagger_ui_is_served_from_the_package(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "Swagger UI" in page
    assets = [a.split('"')[0] for a in page.split('src="')[1:] + page.split('href="')[1:]]
    assert all(asset.startswith("/web/") for asset in assets)
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 100
