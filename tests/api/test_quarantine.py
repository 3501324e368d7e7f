"""Implausible readings: rejected by default (422, nothing stored), or set aside with the reason
in quarantine mode, counted in the answer and on /metrics, listed under /quarantine, and left
out of stats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.conftest import NOW_MS
from tests.support import FakeClock, iso

MINUTE = 60_000
SPAN = {"start": iso(NOW_MS - 30 * MINUTE), "end": iso(NOW_MS + MINUTE)}
# a DS18B20 gateway's minutes: good readings, its 85 °C power-on value (a jump of 64 °C in a
# minute) and its -127 error code (outside the plausible range)
BATCH = [
    {"value": 21.0, "timestamp": iso(NOW_MS - 5 * MINUTE), "sensor_id": "ds1"},
    {"value": 85.0, "timestamp": iso(NOW_MS - 4 * MINUTE), "sensor_id": "ds1"},
    {"value": 21.2, "timestamp": iso(NOW_MS - 3 * MINUTE), "sensor_id": "ds1"},
    {"value": -127.0, "timestamp": iso(NOW_MS - 3 * MINUTE), "sensor_id": "ds2"},
    {"value": 70.0, "unit": "F", "timestamp": iso(NOW_MS - 2 * MINUTE), "sensor_id": "ds2"},
]


def _client(tmp_path: Path, **given: object) -> Iterator[TestClient]:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'q.sqlite3'}", **given)  # type: ignore[arg-type]
    with TestClient(create_app(settings, clock=FakeClock(NOW_MS / 1000))) as client:
        yield client


@pytest.fixture
def quarantining(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, implausible="quarantine", max_rate=2.0)


def _values(client: TestClient) -> list[float]:
    page = client.get("/api/v1/rooms/lab/readings", params=SPAN).json()
    return [r["value"] for r in page["readings"]]


def test_by_default_the_batch_is_a_422_and_nothing_is_stored(client: TestClient) -> None:
    answer = client.post("/api/v1/rooms/lab/readings", json=BATCH)
    assert answer.status_code == 422
    # -127 is outside the plausible range; 85 lies inside it (only a rate limit catches it)
    assert [p["loc"] for p in answer.json()["detail"]] == [["body", 3, "value"]]
    assert client.get("/api/v1/rooms/lab").status_code == 404


def test_in_quarantine_mode_the_good_readings_are_stored_and_two_set_aside(
    quarantining: TestClient,
) -> None:
    answer = quarantining.post("/api/v1/rooms/lab/readings", json=BATCH)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"accepted": 3, "duplicates": 0, "quarantined": 2}
    assert _values(quarantining) == [21.0, 21.2, pytest.approx(21.111111111111111)]
    aside = quarantining.get("/api/v1/rooms/lab/quarantine", params=SPAN).json()
    assert aside == {
        "readings": [
            {"timestamp": iso(NOW_MS - 4 * MINUTE), "value": 85.0, "sensor_id": "ds1",
             "reason": "rate"},
            {"timestamp": iso(NOW_MS - 3 * MINUTE), "value": -127.0, "sensor_id": "ds2",
             "reason": "implausible"},
        ],
        "next_cursor": None,
    }  # fmt: skip
    stats = quarantining.get("/api/v1/rooms/lab/stats", params=SPAN).json()["summary"]
    assert (stats["count"], stats["max"]) == (3, 21.2)
    metrics = quarantining.get("/metrics").text
    assert 'roomtemp_readings_quarantined_total{reason="implausible"} 1.0' in metrics
    assert 'roomtemp_readings_quarantined_total{reason="rate"} 1.0' in metrics


def test_a_jump_faster_than_the_max_rate_is_set_aside_against_the_previous_reading(
    quarantining: TestClient,
) -> None:
    # max rate 2 °C/min, written out: 20.0 at -10 min is stored; 26.5 at -7 min is 6.5 °C in
    # 3 min (2.17/min): set aside; 25.5 at -5 min is 5.5 in 5 min against 20.0 (1.1/min): kept;
    # then, in a second batch, 19.0 at -4 min is 6.5 in 1 min against the stored 25.5: aside
    first = [
        {"value": v, "timestamp": iso(NOW_MS - m * MINUTE)}
        for v, m in [(20.0, 10), (26.5, 7), (25.5, 5)]
    ]
    answer = quarantining.post("/api/v1/rooms/lab/readings", json=first)
    assert answer.json() == {"accepted": 2, "duplicates": 0, "quarantined": 1}
    second = quarantining.post(
        "/api/v1/rooms/lab/readings", json={"value": 19.0, "timestamp": iso(NOW_MS - 4 * MINUTE)}
    )
    assert second.json() == {"accepted": 0, "duplicates": 0, "quarantined": 1}
    aside = quarantining.get("/api/v1/rooms/lab/quarantine", params={**SPAN, "limit": 1}).json()
    assert [(r["value"], r["reason"]) for r in aside["readings"]] == [(26.5, "rate")]
    rest = quarantining.get(
        "/api/v1/rooms/lab/quarantine", params={**SPAN, "cursor": aside["next_cursor"]}
    ).json()
    assert [(r["value"], r["reason"]) for r in rest["readings"]] == [(19.0, "rate")]
    assert _values(quarantining) == [20.0, 25.5]


def test_in_reject_mode_a_jump_too_fast_is_a_422(tmp_path: Path) -> None:
    for client in _client(tmp_path, max_rate=1.0):
        batch = [
            {"value": 20.0, "timestamp": iso(NOW_MS - 2 * MINUTE)},
            {"value": 23.0, "timestamp": iso(NOW_MS - MINUTE)},
        ]
        answer = client.post("/api/v1/rooms/lab/readings", json=batch)
        assert answer.status_code == 422
        assert "ROOMTEMP_MAX_RATE" in answer.json()["detail"][0]["msg"]
        assert client.get("/api/v1/rooms/lab").status_code == 404


def test_quarantine_of_an_unknown_room_is_404(quarantining: TestClient) -> None:
    assert quarantining.get("/api/v1/rooms/nowhere/quarantine").status_code == 404
