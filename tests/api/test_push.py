"""Pushing readings: counts, duplicates, conflicts, formats, and one test per bad-input rule."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS
from tests.support import iso

ROOM = "/api/v1/rooms/lab/readings"
BATCH = "/api/v1/readings"


def stored(client: TestClient, room: str = "lab") -> list[dict[str, Any]]:
    answer = client.get(
        f"/api/v1/rooms/{room}/readings",
        params={"start": "2024-01-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"},
    )
    if answer.status_code == 404:
        return []
    return answer.json()["readings"]


def test_one_reading_without_timestamp_is_stamped_with_receipt_time(client: TestClient) -> None:
    answer = client.post(ROOM, json={"value": 21.5})
    assert answer.status_code == 201
    assert answer.json() == {"accepted": 1, "duplicates": 0}
    assert stored(client) == [{"timestamp": iso(NOW_MS), "value": 21.5, "sensor_id": None}]


def test_units_are_converted_to_celsius(client: TestClient) -> None:
    answer = client.post(
        ROOM,
        json=[
            {"value": 212, "unit": "F", "timestamp": 1709280000},
            {"value": 273.15, "unit": "kelvin", "timestamp": 1709280001},
            {"value": 20, "unit": "c", "timestamp": 1709280002},
        ],
    )
    assert answer.status_code == 201, answer.text
    values = [r["value"] for r in stored(client)]
    assert values == pytest.approx([100.0, 0.0, 20.0], abs=1e-12)


def test_timestamps_with_offsets_and_fractions(client: TestClient) -> None:
    client.post(
        ROOM,
        json=[
            {"value": 1, "timestamp": "2024-03-01T12:00:00+01:00"},
            {"value": 2, "timestamp": 1709294400.1234},
            {"value": 3, "timestamp": "2024-03-01T10:00:00.5Z"},
        ],
    )
    assert [r["timestamp"] for r in stored(client)] == [
        "2024-03-01T10:00:00.500Z",
        "2024-03-01T11:00:00.000Z",
        "2024-03-01T12:00:00.123Z",
    ]


def test_resend_counts_as_duplicate_and_in_batch_twins_count_once(client: TestClient) -> None:
    reading = {"value": 20.0, "timestamp": "2024-03-01T10:00:00Z", "sensor_id": "s1"}
    assert client.post(ROOM, json=[reading, reading]).json() == {"accepted": 1, "duplicates": 1}
    assert client.post(ROOM, json=reading).json() == {"accepted": 0, "duplicates": 1}
    assert len(stored(client)) == 1


def test_conflict_with_stored_reading_is_409_and_stores_nothing(client: TestClient) -> None:
    client.post(ROOM, json={"value": 20.0, "timestamp": "2024-03-01T10:00:00Z"})
    answer = client.post(
        ROOM,
        json=[
            {"value": 22.0, "timestamp": "2024-03-01T11:00:00Z"},
            {"value": 21.0, "timestamp": "2024-03-01T10:00:00Z"},
        ],
    )
    assert answer.status_code == 409
    assert "already holds 20.0" in answer.json()["detail"]
    assert [r["value"] for r in stored(client)] == [20.0]


def test_conflict_inside_one_batch_is_409(client: TestClient) -> None:
    answer = client.post(
        ROOM,
        json=[
            {"value": 22.0, "timestamp": "2024-03-01T11:00:00Z"},
            {"value": 21.0, "timestamp": "2024-03-01T11:00:00Z"},
        ],
    )
    assert answer.status_code == 409
    assert stored(client) == []


def test_cross_room_json_batch(client: TestClient) -> None:
    answer = client.post(
        BATCH,
        json=[
            {"room_id": "a", "value": 1.0, "timestamp": 1709280000},
            {"room_id": "b", "value": 2.0, "timestamp": 1709280000, "sensor_id": "x"},
        ],
    )
    assert answer.json() == {"accepted": 2, "duplicates": 0}
    assert [r["value"] for r in stored(client, "b")] == [2.0]


def test_csv_batch_with_empty_cells(client: TestClient) -> None:
    body = (
        "room_id,value,timestamp,unit,sensor_id\n"
        "a,20.5,2024-03-01T10:00:00Z,,\n"
        "a,68,1709287200,F,door\n"
        "b,19,,c,\n"
    )
    answer = client.post(BATCH, content=body, headers={"content-type": "text/csv"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["accepted"] == 3
    assert stored(client, "a") == [
        {"timestamp": "2024-03-01T10:00:00.000Z", "value": 20.5, "sensor_id": None},
        {"timestamp": "2024-03-01T10:00:00.000Z", "value": 20.0, "sensor_id": "door"},
    ]
    assert stored(client, "b")[0]["timestamp"] == iso(NOW_MS)


def test_ndjson_batch(client: TestClient) -> None:
    body = (
        b'{"room_id": "a", "value": 20.5, "timestamp": 1709280000}\n'
        b'\n{"room_id": "a", "value": 21}\n'
    )
    answer = client.post(BATCH, content=body, headers={"content-type": "application/x-ndjson"})
    assert answer.json() == {"accepted": 2, "duplicates": 0}


def test_batch_above_limit_is_413(client: TestClient) -> None:
    limit = client.app.state.service.options.max_batch
    items = [{"room_id": "a", "value": 20.0, "timestamp": 1709280000 + i} for i in range(limit + 1)]
    answer = client.post(BATCH, json=items)
    assert answer.status_code == 413
    assert str(limit) in answer.json()["detail"]
    assert stored(client, "a") == []


BAD_ITEMS = [
    pytest.param({"value": "warm"}, "value", "valid number", id="not-a-number"),
    pytest.param({"value": None}, "value", "valid number", id="null-value"),
    pytest.param({}, "value", "Field required", id="missing-value"),
    pytest.param({"value": 101.0}, "value", "plausible range", id="too-hot"),
    pytest.param({"value": -61.0}, "value", "plausible range", id="too-cold"),
    pytest.param({"value": 500, "unit": "F"}, "value", "260.00 °C", id="too-hot-in-fahrenheit"),
    pytest.param({"value": 20, "unit": "rankine"}, "unit", "unknown unit", id="unknown-unit"),
    pytest.param(
        {"value": 20, "timestamp": "2024-03-01T10:00:00"},
        "timestamp",
        "no UTC offset",
        id="naive-timestamp",
    ),
    pytest.param(
        {"value": 20, "timestamp": "yesterday"},
        "timestamp",
        "neither RFC 3339",
        id="garbage-timestamp",
    ),
    pytest.param(
        {"value": 20, "timestamp": "2024-03-01T12:06:00Z"},
        "timestamp",
        "clock skew",
        id="future-timestamp",
    ),
    pytest.param(
        {"value": 20, "timestamp": 1e300}, "timestamp", "out of range", id="huge-timestamp"
    ),
    pytest.param(
        {"value": 20, "sensor_id": "Bad Sensor"},
        "sensor_id",
        "invalid sensor_id",
        id="bad-sensor-id",
    ),
    pytest.param(
        {"value": 20, "room_id": "other"}, "room_id", "differs from the path", id="room-mismatch"
    ),
    pytest.param({"value": 20, "temp": 3}, "temp", "Extra inputs", id="unknown-field"),
]


@pytest.mark.parametrize(("item", "field", "message"), BAD_ITEMS)
def test_each_bad_input_is_422_naming_the_problem_and_stores_nothing(
    client: TestClient, item: dict[str, Any], field: str, message: str
) -> None:
    good = {"value": 20.0, "timestamp": "2024-03-01T10:00:00Z"}
    answer = client.post(ROOM, json=[good, item])
    assert answer.status_code == 422, answer.text
    problems = answer.json()["detail"]
    assert [p["loc"] for p in problems] == [["body", 1, field]]
    assert message in problems[0]["msg"]
    assert stored(client) == []


def test_every_bad_item_is_listed_by_index(client: TestClient) -> None:
    answer = client.post(
        BATCH,
        json=[
            {"room_id": "Bad", "value": 20},
            {"room_id": "ok", "value": 20},
            {"value": 20},
            {"room_id": "ok", "value": 1000, "unit": "K"},
        ],
    )
    assert answer.status_code == 422
    assert [p["loc"] for p in answer.json()["detail"]] == [
        ["body", 0, "room_id"],
        ["body", 2, "room_id"],
        ["body", 3, "value"],
    ]
    assert stored(client, "ok") == []


@pytest.mark.parametrize("room", ["Kitchen", "-lab", "a" * 65, "lab room"])
def test_bad_room_id_in_path_is_422(client: TestClient, room: str) -> None:
    answer = client.post(f"/api/v1/rooms/{room}/readings", json={"value": 20})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path", "room"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[]", "application/json", "no readings"),
        (b"room,value\na,1\n", "text/csv", "CSV header"),
        (b"room_id,value\na,1,2\n", "text/csv", "3 cells, the header has 2"),
        (b'{"room_id": "a", "value": 1}\n{oops\n', "application/x-ndjson", "line 2"),
        (b"room_id,value\n\xff\xfe,1\n", "text/csv", "not UTF-8"),
        (b"[1, 2]", "application/json", "valid dictionary"),
        (b'"value"', "application/json", "valid dictionary"),
    ],
)
def test_malformed_bodies_are_422(
    client: TestClient, body: bytes, content_type: str, message: str
) -> None:
    answer = client.post(BATCH, content=body, headers={"content-type": content_type})
    assert answer.status_code == 422, answer.text
    assert message in str(answer.json()["detail"])


def test_non_finite_numbers_are_rejected(client: TestClient) -> None:
    for body in (b'{"value": 1e309}', b'{"value": NaN}'):
        answer = client.post(ROOM, content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422
        assert "not valid JSON" in answer.json()["detail"][0]["msg"]
    csv_body = "room_id,value\nlab,nan\nlab,inf\nlab,-Infinity\n"
    answer = client.post(BATCH, content=csv_body, headers={"content-type": "text/csv"})
    assert answer.status_code == 422
    assert [(p["loc"], p["msg"]) for p in answer.json()["detail"]] == [
        (["body", i, "value"], "value must be a finite number") for i in range(3)
    ]
    assert stored(client) == []
