"""The issue's known cases, written out from DESIGN's rule (not from the code): one sensor
sent 21.0 at 08:00 and 23.0 at 08:45; the bucket is 08:00-09:00."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.support import FakeClock, ms

DAY = "2024-03-01T"


@pytest.mark.parametrize(
    ("stale_after", "weighted", "coverage"),
    [
        ("60m", 21.5, 1.0),  # 21.0 holds 45 min, 23.0 the last 15 min
        ("15m", 22.0, 0.5),  # each holds 15 min, the rest of the hour is a gap
    ],
)
def test_a_sensor_that_reports_on_change(
    tmp_path: Path, stale_after: str, weighted: float, coverage: float
) -> None:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'tw.sqlite3'}", stale_after=stale_after)
    clock = FakeClock(ms(f"{DAY}12:00:00Z") / 1000)
    with TestClient(create_app(settings, clock=clock)) as client:
        readings = [
            {"value": 21.0, "timestamp": f"{DAY}08:00:00Z"},
            {"value": 23.0, "timestamp": f"{DAY}08:45:00Z"},
        ]
        assert client.post("/api/v1/rooms/fridge/readings", json=readings).status_code == 201
        params = {"start": f"{DAY}08:00:00Z", "end": f"{DAY}09:00:00Z", "step": "1h"}
        answer = client.get("/api/v1/rooms/fridge/stats", params=params).json()
    [bucket] = answer["buckets"]
    assert bucket["mean"] == 22.0
    assert bucket["mean_time_weighted"] == pytest.approx(weighted, rel=1e-12)
    assert bucket["coverage"] == pytest.approx(coverage, rel=1e-12)
    assert answer["summary"]["mean_time_weighted"] == pytest.approx(weighted, rel=1e-12)
    assert answer["summary"]["coverage"] == pytest.approx(coverage, rel=1e-12)
