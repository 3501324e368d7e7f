"""No acknowledged reading is lost when the engine or the API process goes down; none twice."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engines import Engine
from tests.processes import running_server
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.fault_proxy import FaultProxy
from tests.support import iso, ms

pytestmark = pytest.mark.slow

T0 = ms("2024-02-29T00:00:00Z")
RANGE = "start=2024-02-28T00:00:00Z&end=2024-03-01T00:00:00Z&limit=10000"


def batches(count: int, size: int = 25) -> list[list[dict[str, Any]]]:
    """Known readings: batch i holds `size` readings a second apart, two sensors alternating."""
    return [
        [
            {
                "timestamp": iso(T0 + (i * size + j) * 1000),
                "value": round(15 + ((i * size + j) % 97) / 8, 3),
                "sensor_id": "ab"[j % 2],
            }
            for j in range(size)
        ]
        for i in range(count)
    ]


def expected(acknowledged: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    flat = [reading for batch in acknowledged for reading in batch]
    return sorted(flat, key=lambda r: (r["timestamp"], r["sensor_id"]))


def wait_drained(get: Any, timeout: float = 120.0, log: Path | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        ready = get("/readyz").json()
        if ready.get("spooled_readings") == 0 and ready.get("engine_up"):
            return dict(ready)
        if time.monotonic() > deadline:
            tail = log.read_text().splitlines()[-40:] if log is not None else []
            raise AssertionError(f"spool not drained: {ready}\n" + "\n".join(tail))
        time.sleep(0.1)


def stored_readings(http: httpx.Client, spool: Path) -> list[dict[str, Any]]:
    """The lab's readings as the API answers them; its answer and log tail if it cannot."""
    answer = http.get(f"/api/v1/rooms/lab/readings?{RANGE}")
    if answer.status_code != 200:
        tail = spool.with_suffix(".log").read_text().splitlines()[-40:]
        raise AssertionError(f"{answer.status_code} {answer.text}\n" + "\n".join(tail))
    return list(answer.json()["readings"])


def test_engine_stopped_mid_ingest(engine: Engine, engine_client: ClientFactory) -> None:
    sent = batches(24)
    with engine_client(engine) as client:
        codes = [client.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent[:8]]
        assert codes == [201] * 8
        engine.stop()
        codes = [client.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent[8:16]]
        assert codes == [202] * 8
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert (ready.json()["status"], ready.json()["engine_up"]) == ("degraded", False)
        assert ready.json()["spooled_readings"] == 8 * 25
        down = client.get("/api/v1/rooms/lab/temperature")
        assert down.status_code == 503
        assert int(down.headers["Retry-After"]) > 0
        engine.start()
        codes = [client.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent[16:]]
        assert set(codes) <= {201, 202}
        wait_drained(client.get)
        again = client.post("/api/v1/rooms/lab/readings", json=sent[3])
        assert (again.status_code, again.json()) == (201, {"accepted": 0, "duplicates": 25})
        stored = client.get(f"/api/v1/rooms/lab/readings?{RANGE}").json()["readings"]
        stats = client.get(f"/api/v1/rooms/lab/stats?{RANGE.rsplit('&', 1)[0]}").json()
    assert stored == expected(sent)
    assert stats["summary"]["count"] == 24 * 25


@contextmanager
def api_process(
    engine: Engine, spool: Path, write_url: str | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`roomtemp serve` on the engine (writing to `write_url` if given), its log beside the
    spool directory."""
    settings = {
        "ROOMTEMP_STORAGE": engine.url.replace("http://", "prometheus://"),
        "ROOMTEMP_SPOOL_DIR": str(spool),
    }
    if engine.flush_url:
        settings["ROOMTEMP_PROMETHEUS_FLUSH_URL"] = engine.flush_url
    if write_url:
        settings["ROOMTEMP_PROMETHEUS_WRITE_URL"] = write_url
    with running_server(settings, spool.with_suffix(".log")) as api:
        yield api.process, api.url


def test_api_killed_while_spool_holds_data(engine: Engine, tmp_path: Path) -> None:
    sent = batches(10)
    spool = tmp_path / "api-spool"
    with api_process(engine, spool) as (process, url), httpx.Client(base_url=url) as http:
        assert http.post("/api/v1/rooms/lab/readings", json=sent[0]).status_code == 201
        engine.stop()
        codes = [http.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent[1:]]
        assert codes == [202] * 9
        assert http.get("/readyz").json()["spooled_readings"] == 9 * 25
        process.send_signal(signal.SIGKILL)
        process.wait()
    engine.start()
    with api_process(engine, spool) as (_, url), httpx.Client(base_url=url) as http:
        wait_drained(http.get, log=spool.with_suffix(".log"))
        stored = stored_readings(http, spool)
    assert stored == expected(sent)


def test_api_killed_during_replay_writes_each_reading_once(engine: Engine, tmp_path: Path) -> None:
    sent = batches(8, size=1000)
    spool = tmp_path / "api-spool"
    with (
        FaultProxy(engine.url) as proxy,
        api_process(engine, spool, proxy.url + "/api/v1/write") as (process, url),
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        assert http.post("/api/v1/rooms/lab/readings", json=sent[0]).status_code == 201
        engine.stop()
        codes = [http.post("/api/v1/rooms/lab/readings", json=b).status_code for b in sent[1:]]
        assert codes == [202] * 7
        proxy.hang()  # the engine takes the replayed readings, the API never hears so
        engine.start()
        deadline = time.monotonic() + 60
        while proxy.writes_passed < 2:  # the first write, then the replay's
            assert time.monotonic() < deadline, "replay did not start"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        proxy.heal()
    with api_process(engine, spool) as (_, url), httpx.Client(base_url=url, timeout=30) as http:
        wait_drained(http.get, log=spool.with_suffix(".log"))
        stored = stored_readings(http, spool)
    assert stored == expected(sent)
