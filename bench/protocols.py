"""Ingest by protocol, in the same run: the same readings as JSON and as InfluxDB line protocol,
rounds alternating so both see the same machine; and MQTT messages (QoS 1, acknowledged after
the commit) through a real Mosquitto into `roomtemp serve` running the bridge.

Each round stores fresh readings (its own room), so no round is cheapened by duplicates.
"""

from __future__ import annotations

import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from tests.brokers import running_mosquitto
from tests.processes import ServerProcess

from figures import Results
from harness import Meter, Server, process_cpu_seconds  # puts the repository on the path
from loads import post_batches
from sizes import Sizes

MINUTE_S = 60
START_S = 1_700_000_000
ROUNDS = 4


def _rows(room: str, count: int) -> list[tuple[int, float]]:
    return [(START_S + k * MINUTE_S, round(20 + (k % 97) / 10, 2)) for k in range(count)]


def _json_bodies(room: str, rows: list[tuple[int, float]], size: int) -> list[tuple[int, bytes]]:
    return [
        (
            len(chunk),
            orjson.dumps([{"room_id": room, "timestamp": t, "value": v} for t, v in chunk]),
        )
        for chunk in (rows[i : i + size] for i in range(0, len(rows), size))
    ]


def _line_bodies(room: str, rows: list[tuple[int, float]], size: int) -> list[tuple[int, bytes]]:
    return [
        (
            len(chunk),
            "".join(f"climate,room={room} temperature={v} {t}\n" for t, v in chunk).encode(),
        )
        for chunk in (rows[i : i + size] for i in range(0, len(rows), size))
    ]


def format_rates(server: Server, readings: int, batch: int, clients: int) -> dict[str, list[Rate]]:
    """Readings/s and readings per server CPU-second of JSON and of line protocol, ROUNDS
    rounds each, alternating which goes first."""
    rates: dict[str, list[Rate]] = {"json": [], "line protocol": []}
    for round_number in range(ROUNDS):
        order = list(rates) if round_number % 2 == 0 else list(reversed(rates))
        for name in order:
            room = f"proto-{name[0]}-{round_number}"
            rows = _rows(room, readings)
            if name == "json":
                path, media, bodies = (
                    "/api/v1/readings",
                    "application/json",
                    _json_bodies(room, rows, batch),
                )
            else:
                path, media = "/api/v2/write?bucket=bench&precision=s", "text/plain"
                bodies = _line_bodies(room, rows, batch)
            with Meter(server) as meter:
                result = post_batches(server.url, bodies, clients, path, media)
            assert result.failures == 0, f"{name}: {result.failures} requests failed"
            per_cpu = result.items / max(meter.usage.server_cpu, 1e-9)
            rates[name].append(Rate(result.items_per_second, per_cpu))
    return rates


@dataclass(frozen=True)
class Rate:
    """Readings per second of wall time, and per second of server CPU."""

    wall: float
    cpu: float


def protocol_phase(folder: Path, sizes: Sizes, results: Results) -> None:
    """The JSON / line protocol comparison on one server, then MQTT (when Mosquitto is here)."""
    server = Server.start(folder / "protocols", 1)
    try:
        rates = format_rates(server, sizes.protocol_readings, sizes.batch, clients=4)
    finally:
        server.stop()
    json_cpu = statistics.median(r.cpu for r in rates["json"])
    line_cpu = statistics.median(r.cpu for r in rates["line protocol"])
    runs = ", ".join(
        f"{j.cpu:,.0f} / {lp.cpu:,.0f}"
        for j, lp in zip(rates["json"], rates["line protocol"], strict=True)
    )
    about = {"unit": "readings per server CPU-s", "higher_is_better": True}
    results.put("json_cpu", "roomtemp", json_cpu, what="batch ingest, JSON, 1 room", **about)
    results.put(
        "line_cpu",
        "roomtemp",
        line_cpu,
        what="batch ingest, line protocol, same readings",
        aim=">= JSON",
        note=f"{line_cpu / json_cpu:.2f}x JSON; medians of {ROUNDS} alternating rounds "
        f"(JSON / line protocol: {runs})",
        **about,
    )
    mqtt_phase(sizes.protocol_readings // 5, folder, results)


def mqtt_phase(messages: int, folder: Path, results: Results) -> None:
    """Messages/s through Mosquitto into a `roomtemp serve` running the bridge on a fresh store,
    one reading a message, for Mosquitto's default in-flight window (20) and a wide one."""
    if shutil.which("mosquitto") is None:
        print("mosquitto is not installed (apt-get install mosquitto): no MQTT figures")
        return
    for inflight in (20, 1000):
        place = folder / f"mqtt-{inflight}"
        with running_mosquitto(place, inflight) as broker:
            rate, cpu = _mqtt_rate(broker.url, broker.port, messages, place)
        results.put(
            f"mqtt_{inflight}",
            "roomtemp",
            rate,
            what=f"MQTT ingest, QoS 1, broker in-flight window {inflight}",
            unit="messages/s",
            higher_is_better=True,
            note=f"{messages:,} messages of one reading, each acknowledged after its commit; "
            f"{cpu:,.0f} messages per server CPU-second",
        )


def _mqtt_rate(url: str, port: int, messages: int, folder: Path) -> tuple[float, float]:
    """Publish `messages` readings and time them until all are stored."""
    settings = {
        "ROOMTEMP_STORAGE": f"sqlite:///{folder / 'mqtt.sqlite3'}",
        "ROOMTEMP_MQTT_URL": url,
        "ROOMTEMP_MQTT_TOPICS": "bench/{room}/{sensor}",
        "ROOMTEMP_MQTT_REJECTED_FILE": str(folder / "rejected.jsonl"),
        "ROOMTEMP_LOG_LEVEL": "warning",
    }
    server = ServerProcess(settings, folder / "server.log")
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    publisher.max_inflight_messages_set(65535)
    publisher.max_queued_messages_set(0)
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    try:
        server.wait_ready()
        _wait_subscribed(server.url, publisher)
        payloads = [orjson.dumps({"value": v, "timestamp": t}) for t, v in _rows("", messages)]
        cpu_before = process_cpu_seconds(server.process.pid)
        started = time.perf_counter()
        for k, payload in enumerate(payloads):
            publisher.publish(f"bench/mqtt/s{k % 10}", payload, qos=1)
        while _count(server.url, "mqtt") < messages:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        cpu = process_cpu_seconds(server.process.pid) - cpu_before
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        server.stop()
    return messages / elapsed, messages / max(cpu, 1e-9)


def _wait_subscribed(url: str, publisher: object) -> None:
    deadline = time.monotonic() + 30
    while _count(url, "probe") == 0:
        assert time.monotonic() < deadline, "the MQTT bridge did not subscribe in 30 s"
        payload = orjson.dumps({"value": 20, "timestamp": START_S})
        publisher.publish("bench/probe/p", payload, qos=1)  # type: ignore[attr-defined]
        time.sleep(0.2)


def _count(url: str, room: str) -> int:
    params = {"start": str(START_S - 3600), "end": str(START_S + 10**8)}
    answer = httpx.get(f"{url}/api/v1/rooms/{room}/stats", params=params, timeout=30)
    return int(answer.json()["summary"]["count"]) if answer.status_code == 200 else 0
