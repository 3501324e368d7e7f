"""An engine that refuses roomtemp's writes for a while (configuration errors, overload) loses
nothing: the readings are spooled (202), the problem is shown, and all of it goes in once the
engine takes writes again. Real engines behind a proxy that injects the faults."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.fault_proxy import FaultProxy
from tests.prometheus.test_outage import RANGE, batches, expected, wait_drained

pytestmark = pytest.mark.slow


def post(client: TestClient, sent: list[list[dict[str, Any]]]) -> list[int]:
    return [client.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent]


def metric(client: TestClient, name: str) -> float:
    lines = [line for line in client.get("/metrics").text.splitlines() if line.startswith(name)]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


@pytest.mark.parametrize("status", [401, 413, 500, 429])
def test_an_engine_refusing_writes_for_a_while_loses_nothing(
    engine: Engine, engine_client: ClientFactory, status: int
) -> None:
    sent = batches(12)
    with (
        FaultProxy(engine.url) as proxy,
        engine_client(engine, prometheus_write_url=proxy.url + "/api/v1/write") as client,
    ):
        assert post(client, sent[:3]) == [201] * 3
        proxy.fail(status)
        assert post(client, sent[3:9]) == [202] * 6  # not a 422: the sensor did nothing wrong
        ready = client.get("/readyz").json()
        assert (ready["status"], ready["engine_up"]) == ("degraded", False)
        assert f"answered {status}" in ready["detail"]
        configuration = status in (401, 413)
        assert metric(client, "roomtemp_storage_engine_refusal_status") == (
            status if configuration else 0
        )
        proxy.heal()
        assert set(post(client, sent[9:])) <= {201, 202}
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
        assert metric(client, "roomtemp_spool_set_aside_readings") == 0
        assert metric(client, "roomtemp_storage_engine_refusal_status") == 0
    assert stored == expected(sent)


def test_a_batch_too_large_for_the_engine_goes_in_parts(
    engine: Engine, engine_client: ClientFactory
) -> None:
    sent = batches(2, size=400)
    with (
        FaultProxy(engine.url) as proxy,
        engine_client(engine, prometheus_write_url=proxy.url + "/api/v1/write") as client,
    ):
        proxy.fail(413, larger_than=2000)  # bytes, as an engine's request size limit
        assert post(client, sent) == [201, 201]
        assert proxy.writes_refused > 0
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == expected(sent)
