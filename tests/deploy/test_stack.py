"""`make stack` end to end: it comes up, readings reach Prometheus, a room too hot fires an alert.

Everything runs on 127.0.0.1 free ports in a temporary directory and is stopped at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.tools import ROOT, wait_until
from tests.processes import free_port, require_program

pytestmark = pytest.mark.slow

SIMULATED_ROOMS = 3
HOT_BAND = {"min_celsius": 18.0, "max_celsius": 24.0}


@dataclass
class Stack:
    api: httpx.Client
    prometheus: httpx.Client
    alertmanager: httpx.Client

    def instant(self, expr: str, at: float) -> list[dict[str, Any]]:
        answer = self.prometheus.get("/api/v1/query", params={"query": expr, "time": at})
        assert answer.status_code == 200, answer.text
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group (make, the script, every server), then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    require_program("prometheus")
    require_program("prometheus-alertmanager")
    ports = {name: free_port() for name in ("API", "PROMETHEUS", "ALERTMANAGER")}
    env = {
        **os.environ,
        "STACK_DIR": str(tmp_path / "stack"),
        "STACK_EVALUATION_INTERVAL": "1s",
        "STACK_ALERT_INTERVAL": "1s",
        "STACK_FEED_INTERVAL": "1s",
        "STACK_ROOMS": str(SIMULATED_ROOMS),
        **{f"STACK_{name}_PORT": str(port) for name, port in ports.items()},
    }
    log = (tmp_path / "make-stack.log").open("wb")
    process = subprocess.Popen(
        ["make", "-s", "stack"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    clients = {
        name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        for name, port in ports.items()
    }
    try:
        wait_until(
            "the stack's API to be ready",
            lambda: process.poll() is None and clients["API"].get("/readyz").status_code == 200,
            timeout=60,
        )
        yield Stack(clients["API"], clients["PROMETHEUS"], clients["ALERTMANAGER"])
    finally:
        for client in clients.values():
            client.close()
        stop(process)
        log.close()
        print((tmp_path / "make-stack.log").read_text())


def firing(stack: Stack, alertname: str) -> dict[str, dict[str, Any]]:
    """Alertmanager's active alerts of that name, by room."""
    answer = stack.alertmanager.get(
        "/api/v2/alerts", params={"filter": f'alertname="{alertname}"', "active": "true"}
    )
    answer.raise_for_status()
    return {alert["labels"]["room"]: alert for alert in answer.json()}


def test_stack_stores_readings_and_fires_an_alert_for_a_room_out_of_its_band(
    stack: Stack,
) -> None:
    simulated = {f"room-{i:03d}" for i in range(1, SIMULATED_ROOMS + 1)}

    def rooms_in_prometheus() -> set[str]:
        found = stack.instant("count by (room) (room_temperature_celsius)", time.time())
        return {series["metric"]["room"] for series in found}

    wait_until(
        "the simulator's readings in Prometheus",
        lambda: rooms_in_prometheus() == simulated,
        timeout=30,
    )
    described = stack.api.get("/api/v1/rooms").json()["rooms"]
    assert {room["room_id"] for room in described} == simulated
    assert all(room["comfort"]["max_celsius"] is not None for room in described)

    now = int(time.time()) - 1  # whole seconds, never ahead of the clock Prometheus evaluates at
    # 30.5 down to 29.5: the lowest, the newest, stays in the alert's 10-minute window
    hot = [{"value": 30.5 - i / 10, "timestamp": now - 600 + 60 * i} for i in range(11)]
    fine = [{"value": 21.0, "timestamp": now - 600 + 60 * i} for i in range(11)]
    for room, readings in (("e2e-hot", hot), ("e2e-ok", fine)):
        meta = {"name": f"E2E {room}", "building": "test", "floor": "3", "comfort": HOT_BAND}
        assert stack.api.put(f"/api/v1/rooms/{room}", json=meta).status_code in (200, 201)
        answer = stack.api.post(f"/api/v1/rooms/{room}/readings", json=readings)
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"accepted": 11, "duplicates": 0}

    stored = stack.instant('room_temperature_celsius{room="e2e-hot"}[11m]', now + 1)
    assert [(float(t), float(v)) for t, v in stored[0]["values"]] == [
        (r["timestamp"], r["value"]) for r in hot
    ]

    # the API's evaluator and Prometheus's rule both send it; Alertmanager keeps one alert
    alerts = wait_until(
        "RoomTooHot for e2e-hot in Alertmanager",
        lambda: firing(stack, "RoomTooHot").get("e2e-hot") and firing(stack, "RoomTooHot"),
        timeout=45,
    )
    assert alerts["e2e-hot"]["labels"] == {
        "alertname": "RoomTooHot",
        "room": "e2e-hot",
        "building": "test",
        "floor": "3",
        "severity": "warning",
    }
    assert "e2e-ok" not in alerts
    assert "e2e-ok" not in firing(stack, "RoomTooCold")
    ruled = 'ALERTS{alertname="RoomTooHot", room="e2e-hot", alertstate="firing"}'
    wait_until(
        "Prometheus's own rule to fire for e2e-hot",
        lambda: stack.instant(ruled, time.time()),
        timeout=90,
    )
    assert firing(stack, "RoomTooHot")["e2e-hot"]["labels"] == alerts["e2e-hot"]["labels"]
