"""Sensor settings over HTTP: PUT, GET, the list, validation, and calibration as stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS
from tests.support import iso

MINUTE = 60_000
SENSORS = "/api/v1/rooms/lab/sensors"


def _push(client: TestClient, *readings: dict[str, object]) -> None:
    answer = client.post("/api/v1/rooms/lab/readings", json=list(readings))
    assert answer.status_code == 201, answer.text


def test_put_creates_then_replaces_and_get_answers_it(client: TestClient) -> None:
    first = client.put(f"{SENSORS}/door", json={"offset_celsius": -0.5, "expected_interval": "5m"})
    assert first.status_code == 201, first.text
    assert first.json() == {
        "sensor_id": "door",
        "offset_celsius": -0.5,
        "expected_interval": "5m",
        "latest": None,
    }
    again = client.put(f"{SENSORS}/door", json={"expected_interval": 90})
    assert again.status_code == 200
    assert client.get(f"{SENSORS}/door").json()["expected_interval"] == "1m30s"
    assert client.get(f"{SENSORS}/door").json()["offset_celsius"] is None
    assert client.get("/api/v1/rooms/lab").status_code == 200  # the PUT created the room


def test_the_list_holds_sensors_with_readings_and_those_with_settings(client: TestClient) -> None:
    _push(client, {"value": 20.0, "timestamp": iso(NOW_MS - MINUTE)})
    _push(client, {"value": 68.0, "unit": "F", "timestamp": iso(NOW_MS), "sensor_id": "wall"})
    client.put(f"{SENSORS}/attic", json={"expected_interval": "1h"})
    listed = client.get(SENSORS, params={"unit": "F"}).json()["sensors"]
    assert [(s["sensor_id"], s["expected_interval"]) for s in listed] == [
        (None, None),
        ("attic", "1h"),
        ("wall", None),
    ]
    assert listed[2]["latest"] == {"value": 68.0, "timestamp": iso(NOW_MS), "sensor_id": "wall"}
    assert listed[1]["latest"] is None
    assert client.get(f"{SENSORS}/never").json()["latest"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offset_celsius": "warm"}, "offset_celsius"),
        ({"offset_celsius": 51}, "offset_celsius"),
        ({"offset_celsius": True}, "offset_celsius"),
        ({"expected_interval": "soon"}, "expected_interval"),
        ({"expected_interval": "0s"}, "expected_interval"),
        ({"expected_interval": "500ms"}, "expected_interval"),
        ({"expected_interval": "8d"}, "expected_interval"),
        ({"expected_interval": -5}, "expected_interval"),
        ({"offset": 1}, "offset"),
    ],
)
def test_bad_settings_are_a_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    answer = client.put(f"{SENSORS}/door", json=body)
    assert answer.status_code == 422, answer.text
    assert any(problem["loc"][:2] == ["body", field] for problem in answer.json()["detail"])
    assert client.get("/api/v1/rooms/lab").status_code == 404  # nothing stored


def test_reads_of_an_unknown_room_are_404_and_a_bad_sensor_id_422(client: TestClient) -> None:
    assert client.get(SENSORS).status_code == 404
    assert client.get(f"{SENSORS}/door").status_code == 404
    assert client.put(f"{SENSORS}/Door", json={}).status_code == 422


def test_an_offset_applies_from_when_it_is_set_and_raw_readings_show_the_value_as_sent(
    client: TestClient,
) -> None:
    _push(client, {"value": 20.0, "timestamp": iso(NOW_MS - 2 * MINUTE), "sensor_id": "door"})
    client.put(f"{SENSORS}/door", json={"offset_celsius": 0.5})
    _push(client, {"value": 69.8, "unit": "F", "timestamp": iso(NOW_MS), "sensor_id": "door"})
    span = {"start": iso(NOW_MS - 3 * MINUTE), "end": iso(NOW_MS + MINUTE)}
    readings = client.get("/api/v1/rooms/lab/readings", params=span).json()["readings"]
    assert [r["value"] for r in readings] == [20.0, pytest.approx(21.5)]
    assert "raw_value" not in readings[0]
    assert readings[1]["raw_value"] == pytest.approx(21.0)
    kelvin = client.get("/api/v1/rooms/lab/readings", params={**span, "unit": "K"}).json()
    assert kelvin["readings"][1]["raw_value"] == pytest.approx(294.15)
    again = client.post(
        "/api/v1/rooms/lab/readings",
        json={"value": 20.0, "timestamp": iso(NOW_MS - 2 * MINUTE), "sensor_id": "door"},
    )
    assert again.json() == {"accepted": 0, "duplicates": 1}
