"""The MQTT bridge inside the app, against a real Mosquitto: every payload layout, the map file,
bad messages set aside and counted, a broker restart survived."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.brokers import Mosquitto
from tests.conftest import NOW_MS
from tests.ingest.conftest import Publisher
from tests.support import FakeClock, iso

TOPICS = (
    "sensors/{room}/{sensor},sensors/{room},tele/{room}/SENSOR,zigbee2mqtt/{room},shelly/{room}/+/#"
)
RANGE = {"start": iso(NOW_MS - 86_400_000), "end": iso(NOW_MS + 60_000)}


@pytest.fixture
def bridged(tmp_path: Path, broker: Mosquitto, clock: FakeClock) -> Iterator[TestClient]:
    device_map = tmp_path / "devices.json"
    device_map.write_text(
        json.dumps({"Living Room TH": "living", "0xabc": {"room": "hall", "sensor": "door"}})
    )
    settings = Settings(
        storage=f"sqlite:///{tmp_path / 'roomtemp.sqlite3'}",
        mqtt_url=broker.url,
        mqtt_topics=TOPICS,
        mqtt_map=device_map,
        mqtt_client_id="bridge-under-test",
        mqtt_rejected_file=str(tmp_path / "rejected.jsonl"),
        max_body_bytes=1024 * 1024,
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        # until the bridge has subscribed, messages have nowhere to go
        publish_until_stored(client, broker, "sensors/probe", b"20")
        yield client


def publish_until_stored(client: TestClient, broker: Mosquitto, topic: str, payload: bytes) -> None:
    """Publish (again and again: a new subscription misses what came before) until stored."""
    room = topic.split("/")[1]
    publisher = Publisher(broker.port, f"until-{room}")
    try:
        deadline = time.monotonic() + 30
        while not readings(client, room) and time.monotonic() < deadline:
            publisher.publish(topic, payload)
            time.sleep(0.2)
    finally:
        publisher.close()


def wait_for(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def readings(client: TestClient, room: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/rooms/{room}/readings", params=RANGE)
    return answer.json()["readings"] if answer.status_code == 200 else []


def metric(client: TestClient, series: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{series} "):
            return float(line.split()[-1])
    return 0.0


def outcome(client: TestClient, name: str) -> float:
    return metric(client, f'roomtemp_mqtt_messages_total{{outcome="{name}"}}')


LAYOUTS = [
    # (topic, payload, room, expected [(sensor, °C, timestamp)])
    ("sensors/kitchen/wall", b"21.5", "kitchen", [("wall", 21.5, NOW_MS)]),
    (
        "sensors/lab",
        orjson.dumps([{"value": 70.7, "unit": "°F", "timestamp": iso(NOW_MS - 60_000)}]),
        "lab",
        [(None, (70.7 - 32) * 5 / 9, NOW_MS - 60_000)],
    ),
    (
        "sensors/office/desk",
        orjson.dumps({"value": 294.15, "unit": "K", "timestamp": (NOW_MS - 120_000) / 1000}),
        "office",
        [("desk", 294.15 - 273.15, NOW_MS - 120_000)],
    ),
    (
        "zigbee2mqtt/Living Room TH",
        orjson.dumps({"temperature": 19.25, "humidity": 51, "linkquality": 120}),
        "living",
        [(None, 19.25, NOW_MS)],
    ),
    (
        "zigbee2mqtt/0xabc",
        orjson.dumps({"temperature": 18.0, "battery": 90}),
        "hall",
        [("door", 18.0, NOW_MS)],
    ),
    (
        "tele/attic/SENSOR",
        orjson.dumps(
            {
                "Time": "2024-03-01T12:00:00",
                "DS18B20-1": {"Id": "01144A0CB2AA", "Temperature": 68.0},
                "AM2301": {"Temperature": 70.0, "Humidity": 40},
                "TempUnit": "F",
            }
        ),
        "attic",
        [("am2301", (70.0 - 32) * 5 / 9, NOW_MS), ("ds18b20-1", 20.0, NOW_MS)],
    ),
    (
        "shelly/bath/status/temperature:0",
        orjson.dumps({"id": 0, "tC": 23.5, "tF": 74.3}),
        "bath",
        [(None, 23.5, NOW_MS)],
    ),
    (
        "shelly/garage/events/rpc",
        orjson.dumps(
            {
                "src": "shellyhtg3-1",
                "method": "NotifyStatus",
                "params": {"ts": (NOW_MS - 30_000) / 1000, "temperature:0": {"id": 0, "tC": 12.5}},
            }
        ),
        "garage",
        [("temperature-0", 12.5, NOW_MS - 30_000)],
    ),
]


def test_every_payload_layout_becomes_readings(bridged: TestClient, publisher: Publisher) -> None:
    stored_before = outcome(bridged, "stored")
    for topic, payload, _, _ in LAYOUTS:
        publisher.publish(topic, payload)
    for _, _, room, expected in LAYOUTS:
        wait_for(lambda room=room, expected=expected: len(readings(bridged, room)) == len(expected))
        got = sorted(
            (r["sensor_id"] or "", r["value"], r["timestamp"]) for r in readings(bridged, room)
        )
        want = sorted((sensor or "", value, iso(ts)) for sensor, value, ts in expected)
        assert [(s, pytest.approx(v, rel=1e-12), t) for s, v, t in want] == got, room
    assert outcome(bridged, "stored") - stored_before == len(LAYOUTS)
    assert metric(bridged, "roomtemp_readings_ingested_total") == 1 + sum(
        len(expected) for *_, expected in LAYOUTS
    )  # the probe's reading, and these


BAD = [
    ("sensors/kitchen/wall", b"\xff\xfe not utf-8", "neither JSON nor a number"),
    ("sensors/kitchen/wall", b"x" * (10 * 1000 * 1000), "larger than the limit"),
    ("sensors/kitchen/wall", b'{"state": "online"}', "layout not recognised"),
    ("sensors/kitchen/wall", b"500", "plausible range"),
    ("sensors/Kitchen!/wall", b"20", "invalid room_id"),
    ("sensors/kitchen/wall", b'{"value": 20, "room_id": "lab"}', "differs"),
    # a batch above the limit, as over HTTP: one message of 10,001 readings (400 KB)
    ("sensors/kitchen/wall", orjson.dumps([{"value": 20.0}] * 10_001), "more than the limit"),
]


def test_bad_messages_are_set_aside_counted_and_acknowledged(
    bridged: TestClient, publisher: Publisher, tmp_path: Path
) -> None:
    for topic, payload, _ in BAD:
        publisher.publish(topic, payload)
    publisher.publish("sensors/kitchen/wall", b"21.0")  # behind the bad ones: still stored
    wait_for(lambda: len(readings(bridged, "kitchen")) == 1)
    assert readings(bridged, "kitchen")[0]["value"] == 21.0
    assert outcome(bridged, "rejected") == len(BAD)
    records = [
        orjson.loads(line) for line in (tmp_path / "rejected.jsonl").read_bytes().splitlines()
    ]
    assert [r["topic"] for r in records] == [topic for topic, _, _ in BAD]
    for record, (_, payload, reason) in zip(records, BAD, strict=True):
        assert reason in record["reason"]
        assert record["payload_bytes"] == len(payload)
    assert "payload_base64" in records[0]
    assert len(records[1]["payload"]) == 4096
    assert bridged.get("/api/v1/rooms/lab").status_code == 404


def test_the_bridge_reconnects_after_the_broker_restarts(
    bridged: TestClient, broker: Mosquitto
) -> None:
    broker.stop()
    broker.start()  # a fresh broker: the bridge must reconnect and subscribe again
    publish_until_stored(bridged, broker, "sensors/after", b"20.5")
    assert readings(bridged, "after")[0]["value"] == 20.5
