"""kill -9 of `roomtemp serve` while a sensor publishes over MQTT loses nothing: a message is
acknowledged only once stored, so the broker delivers the rest to the restarted bridge."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.brokers import Mosquitto
from tests.ingest.conftest import Publisher
from tests.processes import ServerProcess

MESSAGES = 3000
SENSORS = 3


def _settings(tmp_path: Path, broker: Mosquitto) -> dict[str, str]:
    return {
        "ROOMTEMP_STORAGE": f"sqlite:///{tmp_path / 'roomtemp.sqlite3'}",
        "ROOMTEMP_MQTT_URL": broker.url,
        "ROOMTEMP_MQTT_TOPICS": "sensors/{room}/{sensor}",
        "ROOMTEMP_MQTT_CLIENT_ID": "crash-test-bridge",
        "ROOMTEMP_MQTT_REJECTED_FILE": str(tmp_path / "rejected.jsonl"),
        "ROOMTEMP_LOG_LEVEL": "warning",
    }


def _count(server: ServerProcess, room: str, start: int) -> int:
    answer = httpx.get(
        f"{server.url}/api/v1/rooms/{room}/stats",
        params={"start": start - 1, "end": start + MESSAGES + 1},
        timeout=10,
    )
    return int(answer.json()["summary"]["count"]) if answer.status_code == 200 else 0


def _wait_until_subscribed(server: ServerProcess, publisher: Publisher, start: int) -> None:
    deadline = time.monotonic() + 30
    while _count(server, "probe", start) == 0:
        assert time.monotonic() < deadline, server.log.read_text()
        publisher.publish("sensors/probe/p", orjson.dumps({"value": 20, "timestamp": start}))
        time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_while_publishing_loses_nothing(
    tmp_path: Path, broker: Mosquitto, publisher: Publisher
) -> None:
    start = int(time.time()) - 86_400
    settings = _settings(tmp_path, broker)
    first = ServerProcess(settings, tmp_path / "first.log")
    first.wait_ready()
    _wait_until_subscribed(first, publisher, start)

    def publish_all() -> None:
        for k in range(MESSAGES):
            payload = {"value": 20 + (k % 50) / 10, "timestamp": start + k}
            publisher.publish(f"sensors/crash/s{k % SENSORS}", orjson.dumps(payload))

    sender = threading.Thread(target=publish_all)
    sender.start()
    deadline = time.monotonic() + 60
    while _count(first, "crash", start) < MESSAGES // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sender.is_alive(), "the kill must land while messages are being published"
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = ServerProcess(settings, tmp_path / "second.log")
    try:
        second.wait_ready()
        sender.join(timeout=120)
        deadline = time.monotonic() + 120
        while _count(second, "crash", start) < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _count(second, "crash", start) == MESSAGES, second.log.read_text()
    finally:
        second.stop()
    assert not (tmp_path / "rejected.jsonl").exists()
