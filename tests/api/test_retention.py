"""Retention of the embedded store: readings older than the raw retention are refused (422,
nothing stored), and the settings check that rollups outlive raw readings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.conftest import NOW_MS
from tests.support import FakeClock, iso

DAY_MS = 86_400_000


@pytest.fixture
def kept_30_days(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'kept.sqlite3'}", retention_raw="30d")
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def test_a_reading_older_than_the_raw_retention_is_a_422(kept_30_days: TestClient) -> None:
    body = [
        {"value": 20.0, "timestamp": iso(NOW_MS - 29 * DAY_MS)},
        {"value": 21.0, "timestamp": iso(NOW_MS - 31 * DAY_MS)},
    ]
    answer = kept_30_days.post("/api/v1/rooms/lab/readings", json=body)
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", 1, "timestamp"]
    assert "older than the raw retention of 30d (ROOMTEMP_RETENTION_RAW)" in problem["msg"]
    assert kept_30_days.get("/api/v1/rooms/lab").status_code == 404
    assert kept_30_days.post("/api/v1/rooms/lab/readings", json=body[:1]).status_code == 201


def test_rollups_must_outlive_raw_readings() -> None:
    with pytest.raises(ValidationError, match="ROOMTEMP_RETENTION_ROLLUPS"):
        Settings(retention_raw="30d", retention_rollups="7d")
