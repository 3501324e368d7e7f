"""With several worker processes every scrape counts every worker: counters never go back, not
even when a worker is killed and replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import running_server

pytestmark = pytest.mark.slow


def counted(url: str) -> tuple[float, float]:
    """Readings ingested and POSTs answered 201, as one scrape (a new connection) sees them."""
    text = httpx.get(url + "/metrics", timeout=10).text
    found = {f.name: f for f in text_string_to_metric_families(text)}
    ingested = sum(s.value for s in found["roomtemp_readings_ingested"].samples)
    posts = sum(
        s.value
        for s in found["roomtemp_http_requests"].samples
        if s.name.endswith("_total") and s.labels["method"] == "POST" and s.labels["code"] == "201"
    )
    return ingested, posts


def workers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_counters_of_two_workers_never_go_back(tmp_path: Path) -> None:
    settings = {
        "ROOMTEMP_STORAGE": f"sqlite:///{tmp_path / 'workers.sqlite3'}",
        "ROOMTEMP_WORKERS": "2",
        "ROOMTEMP_LOG_LEVEL": "warning",
    }
    with running_server(settings, tmp_path / "server.log", ready_path="/readyz") as server:
        seen = []
        for i in range(30):
            reading = {"value": 20.0, "timestamp": 1709280000 + i}
            answer = httpx.post(f"{server.url}/api/v1/rooms/lab/readings", json=reading, timeout=10)
            assert answer.status_code == 201
            seen.append(counted(server.url))
            if i == 19:  # kill a worker: uvicorn starts another, its counts stay counted
                killed = workers(server.process.pid)[0]
                os.kill(killed, signal.SIGKILL)
                deadline = time.monotonic() + 30
                while killed in workers(server.process.pid) or len(workers(server.process.pid)) < 2:
                    assert time.monotonic() < deadline, "the killed worker was not replaced"
                    time.sleep(0.1)
    assert seen == [(n, n) for n in range(1, 31)]
