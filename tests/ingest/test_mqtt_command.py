"""`roomtemp mqtt` on its own: bridges a real Mosquitto into a store, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.brokers import Mosquitto
from tests.ingest.conftest import Publisher

T0 = int(time.time()) - 3600


def _count(storage: str, *sensors: str) -> int:
    """Readings of room `alone` (of these sensors only, when named)."""
    span = {"start": T0 - 1, "end": T0 + 60}
    with TestClient(create_app(Settings(storage=storage))) as client:
        if not sensors:
            answer = client.get("/api/v1/rooms/alone/stats", params=span)
            return int(answer.json()["summary"]["count"]) if answer.status_code == 200 else 0
        return sum(
            len(
                client.get("/api/v1/rooms/alone/readings", params={**span, "sensor_id": s}).json()[
                    "readings"
                ]
            )
            for s in sensors
        )


def test_the_command_bridges_until_stopped(
    tmp_path: Path, broker: Mosquitto, publisher: Publisher
) -> None:
    storage = f"sqlite:///{tmp_path / 'roomtemp.sqlite3'}"
    env = {**os.environ, "ROOMTEMP_MQTT_REJECTED_FILE": str(tmp_path / "rejected.jsonl")}
    command = [sys.executable, "-m", "roomtemp", "mqtt", "--broker", broker.url]
    command += ["--topics", "site/{room}/{sensor}", "--storage", storage]
    log = (tmp_path / "mqtt.log").open("wb")
    bridge = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        sent = 0
        while _count(storage) == 0:
            assert bridge.poll() is None, (tmp_path / "mqtt.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "mqtt.log").read_text()
            payload = {"value": 21.0, "timestamp": T0 + sent}
            publisher.publish("site/alone/probe", orjson.dumps(payload))
            sent += 1
            time.sleep(0.3)
        for k in range(50):
            publisher.publish(
                f"site/alone/s{k % 2}", orjson.dumps({"value": 20, "timestamp": T0 + k})
            )
        deadline = time.monotonic() + 30
        while _count(storage, "s0", "s1") < 50 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _count(storage, "s0", "s1") == 50
    finally:
        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(timeout=20) == 0
        log.close()
    assert "MQTT messages stored" in (tmp_path / "mqtt.log").read_text()


def test_the_command_needs_a_broker() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ROOMTEMP_")}
    run = subprocess.run(
        [sys.executable, "-m", "roomtemp", "mqtt"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "no broker" in run.stderr


def test_serve_runs_the_bridge_in_one_worker_only(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ROOMTEMP_")}
    env |= {
        "ROOMTEMP_MQTT_URL": "mqtt://127.0.0.1:1",
        "ROOMTEMP_STORAGE": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    command = [sys.executable, "-m", "roomtemp", "serve", "--workers", "2"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "run `roomtemp mqtt` beside the server" in run.stderr
