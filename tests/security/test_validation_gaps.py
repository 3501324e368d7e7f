"""Inputs that used to crash the service (500) or store nonsense, each now a clean 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS
from tests.support import iso

STATS = "/api/v1/rooms/lab/stats"
DATA_SPAN = {"start": "2024-01-01T00:00:00Z", "end": "2024-06-01T00:00:00Z"}


@pytest.fixture
def lab(client: TestClient) -> TestClient:
    reading = {"value": 20.0, "timestamp": iso(NOW_MS - 60_000)}
    assert client.post("/api/v1/rooms/lab/readings", json=reading).status_code == 201
    return client


@pytest.mark.parametrize(
    "params",
    [
        {**DATA_SPAN, "step": "99999999999999999999999d"},
        {**DATA_SPAN, "step": "100000000d", "tz": "Europe/Paris"},
        {**DATA_SPAN, "step": "3000000000000000000000ms", "tz": "UTC"},
        {**DATA_SPAN, "step": "1e308"},
        {"start": "-62135596800", "end": "-62135596700", "step": "1d", "tz": "America/New_York"},
        {"start": "253402300700", "end": "253402300799", "step": "1d", "tz": "Asia/Tokyo"},
        {"start": "253402300700", "end": "253402300799", "step": "1d"},
        {"start": "-62135596800", "end": "-62135596700", "step": "7d"},
    ],
    ids=[
        "huge-step",
        "huge-local-days",
        "huge-ms",
        "float-step",
        "year-1-local",
        "year-9999-local",
        "year-9999-epoch",
        "year-1-epoch",
    ],
)
def test_steps_and_ranges_beyond_representable_times_are_422(
    lab: TestClient, params: dict[str, str]
) -> None:
    answer = lab.get(STATS, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "step"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": True}, "value"),
        ({"value": 20, "timestamp": False}, "timestamp"),
        ({"value": 20, "timestamp": "0001-01-01T00:00:00+14:00"}, "timestamp"),
        ({"value": 20, "timestamp": "9999-12-31T23:59:59-14:00"}, "timestamp"),
        ({"value": 20, "timestamp": 1e307}, "timestamp"),
    ],
    ids=["bool-value", "bool-timestamp", "before-year-1", "after-year-9999", "epoch-1e307"],
)
def test_booleans_and_unrepresentable_instants_are_not_stored(
    lab: TestClient, body: dict[str, object], field: str
) -> None:
    answer = lab.post("/api/v1/rooms/other/readings", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert lab.get("/api/v1/rooms/other").status_code == 404
    assert lab.get("/api/v1/rooms").status_code == 200


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b'{"name": "\\ud800"}', ["body", "name"]),
        (b'{"labels": {"\\udfff": "x"}}', ["body", "labels"]),
        (b'{"labels": {"wing": "\\udfff"}}', ["body", "labels"]),
        (b'{"comfort": {"min_celsius": 1e309}}', ["body", "comfort", "min_celsius"]),
    ],
    ids=["surrogate-name", "surrogate-label-key", "surrogate-label", "infinite-comfort"],
)
def test_room_metadata_that_cannot_be_stored_is_422(
    client: TestClient, body: bytes, loc: list[str]
) -> None:
    answer = client.put(
        "/api/v1/rooms/lab", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == loc
    assert "input" not in answer.json()["detail"][0]
    assert client.get("/api/v1/rooms/lab").status_code == 404


@pytest.mark.parametrize("name", ["start", "end"])
def test_epoch_seconds_too_large_to_scale_are_422(lab: TestClient, name: str) -> None:
    answer = lab.get("/api/v1/rooms/lab/readings", params={name: "1e307"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", name]
