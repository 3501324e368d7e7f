"""Rooms: metadata, listing with filters, deletion, current temperature and staleness."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS
from tests.support import FakeClock, iso

MIN = 60_000


def push(client: TestClient, room: str, items: list[dict[str, object]]) -> None:
    answer = client.post(f"/api/v1/rooms/{room}/readings", json=items)
    assert answer.status_code == 201, answer.text


def test_put_creates_then_updates_and_get_returns_it(client: TestClient) -> None:
    meta = {
        "name": "Lab",
        "building": "hq",
        "floor": 2,
        "labels": {"wing": "east"},
        "comfort": {"min_celsius": 19, "max_celsius": 24},
    }
    created = client.put("/api/v1/rooms/lab", json=meta)
    assert created.status_code == 201
    assert created.json() == {
        "room_id": "lab",
        "name": "Lab",
        "building": "hq",
        "floor": "2",
        "labels": {"wing": "east"},
        "comfort": {"min_celsius": 19.0, "max_celsius": 24.0},
        "latest": None,
        "stale": True,
        "current": {
            "value": None,
            "timestamp": None,
            "stale": True,
            "state": "no_data",
            "state_since": None,
        },
    }
    updated = client.put("/api/v1/rooms/lab", json={"name": "Lab 2"})
    assert updated.status_code == 200
    assert client.get("/api/v1/rooms/lab").json()["name"] == "Lab 2"
    assert client.get("/api/v1/rooms/lab").json()["building"] is None


@pytest.mark.parametrize(
    ("meta", "loc"),
    [
        ({"comfort": {"min_celsius": 25, "max_celsius": 19}}, ["body", "comfort"]),
        ({"labels": {"a": 1}}, ["body", "labels", "a"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_bad_metadata_is_422(client: TestClient, meta: dict[str, object], loc: list[str]) -> None:
    answer = client.put("/api/v1/rooms/lab", json=meta)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == loc
    assert client.get("/api/v1/rooms/lab").status_code == 404


def test_unknown_room_is_404_on_every_read(client: TestClient) -> None:
    for path in ("", "/temperature", "/readings", "/stats"):
        answer = client.get(f"/api/v1/rooms/ghost{path}")
        assert answer.status_code == 404, path
        assert "ghost" in answer.json()["detail"]
    assert client.delete("/api/v1/rooms/ghost").status_code == 404


def test_rooms_list_sorted_with_latest_and_filters(client: TestClient) -> None:
    push(client, "b", [{"value": 20.0, "timestamp": (NOW_MS - 5 * MIN) / 1000}])
    push(
        client,
        "a",
        [
            {"value": 18.0, "timestamp": (NOW_MS - 60 * MIN) / 1000, "sensor_id": "x"},
            {"value": 19.0, "timestamp": (NOW_MS - 30 * MIN) / 1000, "sensor_id": "y"},
        ],
    )
    client.put("/api/v1/rooms/c", json={"building": "annex", "floor": "1"})
    client.put("/api/v1/rooms/b", json={"building": "hq", "floor": "1"})
    rooms = client.get("/api/v1/rooms").json()["rooms"]
    assert [r["room_id"] for r in rooms] == ["a", "b", "c"]
    assert rooms[0]["latest"] == {
        "value": 19.0,
        "timestamp": iso(NOW_MS - 30 * MIN),
        "sensor_id": "y",
    }
    assert [r["stale"] for r in rooms] == [True, False, True]
    assert [r["room_id"] for r in client.get("/api/v1/rooms?floor=1").json()["rooms"]] == ["b", "c"]
    hq = client.get("/api/v1/rooms", params={"building": "hq", "floor": "1"}).json()["rooms"]
    assert [r["room_id"] for r in hq] == ["b"]


def test_delete_room_removes_it_and_its_readings(client: TestClient) -> None:
    push(client, "lab", [{"value": 20.0}])
    assert client.delete("/api/v1/rooms/lab").status_code == 204
    assert client.get("/api/v1/rooms/lab").status_code == 404
    push(client, "lab", [{"value": 22.0, "timestamp": (NOW_MS - MIN) / 1000}])
    assert client.get("/api/v1/rooms/lab/temperature").json()["value"] == 22.0


def test_temperature_is_the_mean_of_fresh_sensors(client: TestClient) -> None:
    push(
        client,
        "lab",
        [
            {"value": 30.0, "timestamp": (NOW_MS - 60 * MIN) / 1000, "sensor_id": "old"},
            {"value": 20.0, "timestamp": (NOW_MS - 3 * MIN) / 1000, "sensor_id": "a"},
            {"value": 21.0, "timestamp": (NOW_MS - 2 * MIN) / 1000, "sensor_id": "b"},
            {"value": 99.0, "timestamp": (NOW_MS - 9 * MIN) / 1000, "sensor_id": "b"},
        ],
    )
    answer = client.get("/api/v1/rooms/lab/temperature").json()
    assert answer == {
        "room_id": "lab",
        "value": 20.5,
        "unit": "celsius",
        "timestamp": iso(NOW_MS - 2 * MIN),
        "age_seconds": 120.0,
        "stale": False,
        "sensors": [
            {"sensor_id": "a", "value": 20.0, "timestamp": iso(NOW_MS - 3 * MIN), "stale": False},
            {"sensor_id": "b", "value": 21.0, "timestamp": iso(NOW_MS - 2 * MIN), "stale": False},
            {"sensor_id": "old", "value": 30.0, "timestamp": iso(NOW_MS - 60 * MIN), "stale": True},
        ],
    }
    fahrenheit = client.get("/api/v1/rooms/lab/temperature?unit=F").json()
    assert fahrenheit["value"] == pytest.approx(68.9)
    assert fahrenheit["unit"] == "fahrenheit"


def test_temperature_when_every_sensor_is_stale(client: TestClient, clock: FakeClock) -> None:
    push(
        client,
        "lab",
        [
            {"value": 20.0, "sensor_id": "a"},
            {"value": 22.0, "timestamp": (NOW_MS - MIN) / 1000, "sensor_id": "b"},
        ],
    )
    clock.advance(16 * 60)
    answer = client.get("/api/v1/rooms/lab/temperature").json()
    assert (answer["value"], answer["stale"], answer["age_seconds"]) == (21.0, True, 960.0)
    assert client.get("/api/v1/rooms/lab").json()["stale"] is True


def test_room_without_readings_has_no_temperature(client: TestClient) -> None:
    client.put("/api/v1/rooms/lab", json={"name": "Lab"})
    answer = client.get("/api/v1/rooms/lab/temperature")
    assert answer.status_code == 404
    assert "no readings" in answer.json()["detail"]
