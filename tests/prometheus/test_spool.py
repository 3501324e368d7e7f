"""The outage spool: bounded (503 + Retry-After when full), durable, and 4xx batches kept aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.test_outage import RANGE, batches, expected, wait_drained
from tests.support import ms

pytestmark = pytest.mark.slow


def test_full_spool_answers_503_and_keeps_what_it_acknowledged(
    tmp_path: Path, engine_client: ClientFactory
) -> None:
    engine = Engine("prometheus", tmp_path / "engine")  # not started yet: unreachable
    sent = batches(20, size=10)
    with engine_client(engine, spool_max_bytes=4096) as client:
        answers = [client.post("/api/v1/rooms/lab/readings", json=b) for b in sent]
        codes = [answer.status_code for answer in answers]
        taken = codes.count(202)
        assert 0 < taken < 20
        assert codes == [202] * taken + [503] * (20 - taken)
        assert int(answers[-1].headers["Retry-After"]) > 0
        ready = client.get("/readyz")
        assert ready.status_code == 503
        metrics = client.get("/metrics").text
        assert f"roomtemp_spool_readings {taken * 10}.0" in metrics
        assert "roomtemp_storage_engine_up 0.0" in metrics
        engine.start()
        try:
            wait_drained(client.get)
            stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
        finally:
            engine.stop()
    assert stored == expected(sent[:taken])


def test_refused_batches_are_kept_aside_and_counted(
    tmp_path: Path, engine_client: ClientFactory
) -> None:
    engine = Engine("prometheus", tmp_path / "engine").start()
    too_old = {"value": 20.0, "timestamp": "1990-01-01T00:00:00Z"}  # outside the 10y OOO window
    good = {"value": 21.0, "timestamp": "2024-02-29T12:00:00Z"}
    try:
        with engine_client(engine) as client:
            assert client.post("/api/v1/rooms/lab/readings", json=good).status_code == 201
            direct = client.post("/api/v1/rooms/lab/readings", json=too_old)
            assert direct.status_code == 422
            assert "refused" in direct.text
            engine.stop()
            assert client.post("/api/v1/rooms/lab/readings", json=too_old).status_code == 202
            later = {"value": 22.0, "timestamp": "2024-02-29T13:00:00Z"}
            assert client.post("/api/v1/rooms/lab/readings", json=later).status_code == 202
            engine.start()
            wait_drained(client.get)
            assert "roomtemp_spool_set_aside_readings 1.0" in client.get("/metrics").text
            stored = client.get("/api/v1/rooms/lab/readings?start=0").json()["readings"]
    finally:
        engine.stop()
    assert [(r["timestamp"], r["value"]) for r in stored] == [
        ("2024-02-29T12:00:00.000Z", 21.0),
        ("2024-02-29T13:00:00.000Z", 22.0),
    ]
    aside = (tmp_path / "spool" / "slot-0" / "set-aside.jsonl").read_text()
    assert "1990" not in aside  # epoch ms, not text
    assert str(ms("1990-01-01T00:00:00Z")) in aside


def test_spooled_conflicts_are_kept_aside_not_stored(
    engine: Engine, engine_client: ClientFactory, tmp_path: Path
) -> None:
    first = {"value": 20.0, "timestamp": "2024-02-29T12:00:00Z"}
    clash = {"value": 25.0, "timestamp": "2024-02-29T12:00:00Z"}
    with engine_client(engine) as client:
        assert client.post("/api/v1/rooms/lab/readings", json=first).status_code == 201
        engine.stop()
        assert client.post("/api/v1/rooms/lab/readings", json=clash).status_code == 202
        engine.start()
        wait_drained(client.get)
        assert "roomtemp_spool_set_aside_readings 1.0" in client.get("/metrics").text
        stored = client.get("/api/v1/rooms/lab/readings?start=0").json()["readings"]
    assert [r["value"] for r in stored] == [20.0]
    assert "another value is stored" in (tmp_path / "spool/slot-0/set-aside.jsonl").read_text()


def test_delete_says_clearly_when_the_engine_cannot(
    tmp_path: Path, engine_client: ClientFactory
) -> None:
    engine = Engine("prometheus", tmp_path / "engine", admin_api=False).start()
    try:
        with engine_client(engine) as client:
            client.post("/api/v1/rooms/lab/readings", json={"value": 20.0, "timestamp": 1e9})
            answer = client.delete("/api/v1/rooms/lab")
    finally:
        engine.stop()
    assert answer.status_code == 503
    assert "--web.enable-admin-api" in answer.json()["detail"]
