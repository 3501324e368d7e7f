"""An engine that refuses roomtemp's writes for a while (configuration errors, overload) loses
nothing: the readings are spooled (202), the problem is shown, and all of it goes in once the
engine takes writes again. Real engines behind a proxy that injects the faults."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.domain import SensorSettings
from roomtemp.storage.prometheus import PrometheusStorage
from roomtemp.storage.prometheus.options import options_from
from roomtemp.storage.prometheus.promql import RAW_METRIC, SENSOR_INFO_METRIC
from roomtemp.wiring import storage_options
from tests.backends import engine_settings
from tests.engines import Engine
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.fault_proxy import FaultProxy
from tests.prometheus.test_outage import RANGE, T0, batches, expected, wait_drained
from tests.support import iso

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


def test_an_engine_that_is_away_is_not_asked_for_offsets_by_every_batch(
    engine: Engine, tmp_path: Path
) -> None:
    """While the engine is down, batches are spooled calibrated with the offsets last read,
    without asking it again: each batch would wait for it to fail (the whole timeout, if it
    hangs). Once it takes writes again, the offsets are read again."""
    sent = batches(12)
    with FaultProxy(engine.url) as proxy:
        storage = proxy.url.replace("http://", "prometheus://")
        settings = engine_settings(engine, tmp_path / "spool", storage=storage)
        with TestClient(create_app(settings, storage_factory=offsets_read_every_batch)) as client:
            put = client.put("/api/v1/rooms/lab/sensors/a", json={"offset_celsius": 0.5})
            assert put.status_code in (200, 201)
            assert post(client, sent[:3]) == [201] * 3
            proxy.fail(503, queries=True)
            asked = offset_queries(proxy)
            assert post(client, sent[3:9]) == [202] * 6
            assert offset_queries(proxy) - asked <= 1  # the batch that found the engine away
            proxy.heal()
            wait_drained(client.get)
            asked = offset_queries(proxy)
            assert post(client, sent[9:]) == [201] * 3
            assert offset_queries(proxy) - asked == 3  # read again, as this store is set to
            stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == calibrated(expected(sent), {"a": 0.5})


@pytest.mark.anyio
async def test_offsets_that_cannot_be_read_are_reported_once_until_they_can(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The batches in flight when the engine went away each fail their offsets read before a
    failed write marks it away: that is said once, not once a batch, and again after a read
    succeeded in between."""
    told = "sensor offsets not read"
    with FaultProxy(engine.url) as proxy:
        storage_url = proxy.url.replace("http://", "prometheus://")
        settings = engine_settings(engine, tmp_path / "spool", storage=storage_url)
        storage = await offsets_read_every_batch(settings)
        try:
            await storage.put_sensor("lab", SensorSettings("a", offset_celsius=0.5))
            assert (await storage._offsets({"lab"}))[0] == {("lab", "a"): 0.5}
            with caplog.at_level(logging.WARNING, "roomtemp"):
                proxy.fail(503, queries=True)
                in_flight = [storage._offsets({"lab"}) for _ in range(4)]
                for offsets, unread in await asyncio.gather(*in_flight):
                    assert offsets == {("lab", "a"): 0.5}  # those last read
                    assert not unread
                assert caplog.text.count(told) == 1
                proxy.heal()
                assert (await storage._offsets({"lab"}))[0] == {("lab", "a"): 0.5}
                proxy.fail(503, queries=True)
                await storage._offsets({"lab"})
                assert caplog.text.count(told) == 2
        finally:
            await storage.close()


def test_an_offset_put_just_before_the_engine_went_away_calibrates_what_is_spooled(
    engine: Engine, engine_client: ClientFactory
) -> None:
    sent = batches(2)
    with (
        FaultProxy(engine.url) as proxy,
        engine_client(engine, storage=proxy.url.replace("http://", "prometheus://")) as client,
    ):
        put = client.put("/api/v1/rooms/lab/sensors/b", json={"offset_celsius": -1.25})
        assert put.status_code in (200, 201)
        proxy.fail(503, queries=True)
        assert post(client, sent) == [202, 202]
        proxy.heal()
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
    assert stored == calibrated(expected(sent), {"b": -1.25})


def test_readings_of_sensors_whose_offsets_were_never_read_are_calibrated_on_replay(
    engine: Engine, engine_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A replica that starts while the engine is away has read no offsets: its readings wait in
    the spool and are calibrated when they are replayed (not stored as sent, the offsets lost),
    each with its value as sent kept; a room without offsets is stored as it came. The log
    names each such room once, not on every batch."""
    sent = batches(4)
    with engine_client(engine) as client:
        put = client.put("/api/v1/rooms/lab/sensors/a", json={"offset_celsius": 0.75})
        assert put.status_code in (200, 201)
    with (
        FaultProxy(engine.url) as proxy,
        engine_client(engine, storage=proxy.url.replace("http://", "prometheus://")) as client,
    ):
        proxy.fail(503, queries=True)
        assert post(client, sent[:2]) == [202, 202]
        plain = client.post("/api/v1/rooms/hall/readings", json=sent[2])
        assert plain.status_code == 202
        both = [  # one calibrated already (an import), one not, of the same sensor
            {
                "timestamp": iso(T0 + 10_000_000),
                "value": 30.75,
                "raw_value": 30.0,
                "sensor_id": "a",
            },
            {"timestamp": iso(T0 + 10_001_000), "value": 30.0, "sensor_id": "a"},
        ]
        assert client.post("/api/v1/rooms/lab/readings", json=both).status_code == 202
        told = [r.getMessage() for r in caplog.records if "unknown while the engine" in r.message]
        assert [message.split(" unknown")[0] for message in told] == [
            "sensor offsets of lab",
            "sensor offsets of hall",
        ]
        proxy.heal()
        assert post(client, sent[3:]) in ([201], [202])
        wait_drained(client.get)
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
        hall = client.get(f"/api/v1/rooms/hall/readings?{RANGE}").json()["readings"]
    want = calibrated(expected(sent[:2] + sent[3:]), {"a": 0.75})
    want += [{**reading, "value": 30.75, "raw_value": 30.0} for reading in both]
    assert stored == want
    assert hall == expected(sent[2:3])


def calibrated(readings: list[dict[str, Any]], offsets: dict[str, float]) -> list[dict[str, Any]]:
    """The readings as the API answers them once stored with these sensors' offsets."""
    return [
        {**r, "value": r["value"] + offsets[r["sensor_id"]], "raw_value": r["value"]}
        if r["sensor_id"] in offsets
        else r
        for r in readings
    ]


async def offsets_read_every_batch(settings: Settings) -> PrometheusStorage:
    """The backend as configured, but reading the sensor offsets again for every batch."""
    configured = options_from(settings.storage, storage_options(settings))
    storage = PrometheusStorage(replace(configured, offsets_for_ms=0))
    await storage.open()
    return storage


def offset_queries(proxy: FaultProxy) -> int:
    return sum(SENSOR_INFO_METRIC in query for query in proxy.queries)


def test_values_as_sent_the_engine_did_not_take_are_spooled_and_replayed(
    engine: Engine, engine_client: ClientFactory
) -> None:
    """The readings went in (201) but the write of their values as sent failed: those are kept
    in the spool and written when the engine takes them, never lost."""
    sent = batches(3)
    with (
        FaultProxy(engine.url) as proxy,
        engine_client(engine, storage=proxy.url.replace("http://", "prometheus://")) as client,
    ):
        put = client.put("/api/v1/rooms/lab/sensors/a", json={"offset_celsius": 0.25})
        assert put.status_code in (200, 201)
        proxy.fail(503, holding=RAW_METRIC.encode())
        codes = post(client, sent)  # the replay finding the engine refusing spools the rest
        assert codes[0] == 201
        assert set(codes) <= {201, 202}
        assert proxy.writes_refused >= 1
        proxy.heal()
        wait_drained(client.get)
        deadline = time.monotonic() + 30
        while True:  # the values as sent are no readings: readiness does not wait for them
            stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
            if all("raw_value" in r for r in stored if r["sensor_id"] == "a"):
                break
            assert time.monotonic() < deadline, "values as sent not replayed"
            time.sleep(0.1)
    assert stored == calibrated(expected(sent), {"a": 0.25})
