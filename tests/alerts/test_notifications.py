"""Notifications end to end: a real `roomtemp serve`, a real Alertmanager, a webhook endpoint.

Readings are timestamped relative to the moment they are pushed, so what alerts does not depend
on when the test runs. The receiver goes down, the API is killed with SIGKILL in between, and
nothing is lost: every firing and resolved notification arrives, in order, after the restart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from roomtemp.domain import Reading
from roomtemp.storage import open_storage
from tests.alerts.receivers import Alertmanager, Webhook, wait_for
from tests.processes import ServerProcess

pytestmark = pytest.mark.slow

LAB = {
    "name": "Lab",
    "building": "hq",
    "floor": "2",
    "comfort": {"min_celsius": 19, "max_celsius": 24},
}
HOT_LABELS = {
    "alertname": "RoomTooHot",
    "room": "lab",
    "building": "hq",
    "floor": "2",
    "severity": "warning",
}


def server_settings(tmp_path: Path, **receivers: str) -> dict[str, str]:
    return {
        "ROOMTEMP_STORAGE": f"sqlite:///{tmp_path / 'roomtemp.sqlite3'}",
        "ROOMTEMP_ALERT_OUTBOX": str(tmp_path / "outbox.sqlite3"),
        "ROOMTEMP_ALERT_INTERVAL": "0.3",
        **{f"ROOMTEMP_{name.upper()}": value for name, value in receivers.items()},
    }


def started(tmp_path: Path, settings: dict[str, str]) -> ServerProcess:
    server = ServerProcess(settings, tmp_path / "api.log")
    server.wait_ready()
    return server


def client(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, headers={"Connection": "close"})


def hot_half_hour(now: float) -> list[dict[str, object]]:
    """27 °C every minute for half an hour, the newest 90 s ago (in an earlier minute than now)."""
    return [{"value": 27.0, "timestamp": now - 90 - 60 * k} for k in range(30)]


def push(api: httpx.Client, room: str, readings: list[dict[str, object]]) -> None:
    answer = api.post(f"/api/v1/rooms/{room}/readings", json=readings)
    assert answer.status_code == 201, answer.text


def test_firing_and_resolved_reach_alertmanager_and_the_webhook(tmp_path: Path) -> None:
    alertmanager = Alertmanager(tmp_path / "am").start()
    hook = Webhook().start()
    settings = server_settings(tmp_path, alertmanager_url=alertmanager.url, webhook_urls=hook.url)
    server = started(tmp_path, settings)
    try:
        with client(server) as api:
            assert api.put("/api/v1/rooms/lab", json=LAB).status_code == 201
            now = time.time()
            push(api, "lab", hot_half_hour(now))
            push(api, "lab", [{"value": 21.0, "timestamp": now - 1200, "sensor_id": "door"}])
            wait_for(
                "two firing notifications",
                lambda: len(hook.alerts("firing")) == 2,
                20,
                server.log,
            )
            by_name = {labels["alertname"]: labels for _, labels in hook.alerts("firing")}
            assert by_name["RoomTooHot"] == HOT_LABELS
            assert by_name["SensorSilent"] == {
                **HOT_LABELS,
                "alertname": "SensorSilent",
                "sensor": "door",
            }
            payload = next(
                p for p in hook.received if p["commonLabels"]["alertname"] == "RoomTooHot"
            )
            assert (payload["version"], payload["status"], len(payload["alerts"])) == (
                "4",
                "firing",
                1,
            )
            since = {a["kind"]: a["since"] for a in api.get("/api/v1/alerts").json()["alerts"]}
            assert payload["alerts"][0]["startsAt"] == since["too_hot"]
            assert payload["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
            active = wait_for(
                "RoomTooHot in Alertmanager", lambda: alertmanager.active("RoomTooHot"), 20
            )
            assert active["lab"]["labels"] == HOT_LABELS
            assert active["lab"]["fingerprint"] == payload["alerts"][0]["fingerprint"]
            assert active["lab"]["startsAt"].startswith(since["too_hot"][:19])
            assert "lab/door" in alertmanager.active("SensorSilent")

            push(api, "lab", [{"value": 21.0, "timestamp": time.time()}])
            wait_for("the resolution at the webhook", lambda: hook.alerts("resolved"), 20)
            assert hook.alerts("resolved") == [("resolved", HOT_LABELS)]
            wait_for(
                "RoomTooHot resolved in Alertmanager",
                lambda: not alertmanager.active("RoomTooHot"),
                20,
            )
            sent = (
                'roomtemp_alert_notifications_sent_total{receiver="alertmanager",'
                'status="resolved"} 1.0'
            )
            metrics = wait_for(
                "the count of resolutions sent", lambda: _metrics_with(api, sent), 10
            )
            assert 'roomtemp_alerts_firing{kind="silent"} 1.0' in metrics
            assert 'roomtemp_alerts_firing{kind="too_hot"} 0.0' in metrics
            log = (tmp_path / "api.log").read_text()
            assert "alerts: notified alertmanager: firing alertname=RoomTooHot" in log
    finally:
        server.stop()
        hook.stop()
        alertmanager.stop()


def test_kill_9_while_the_receiver_is_down_loses_nothing(tmp_path: Path) -> None:
    hook = Webhook()  # not started: the receiver is down
    settings = server_settings(tmp_path, webhook_urls=hook.url)
    server = started(tmp_path, settings)
    try:
        with client(server) as api:
            api.put("/api/v1/rooms/lab", json=LAB)
            push(api, "lab", hot_half_hour(time.time()))
            wait_for(
                "a failed delivery",
                lambda: (
                    "roomtemp_alert_notification_failures_total{receiver="
                    in api.get("/metrics").text
                ),
                20,
            )
            server.process.kill()  # SIGKILL: no shutdown of any kind
            server.process.wait()
            # while the API is down the room cools down: written straight into its store
            asyncio.run(
                _write_directly(
                    tmp_path / "roomtemp.sqlite3",
                    Reading("lab", None, round(time.time() * 1000), 21.0),
                )
            )
            hook.start()
            server = started(tmp_path, settings)
            wait_for("firing, then resolved", lambda: len(hook.alerts()) >= 2, 30)
            received = hook.alerts()
            assert received[0] == ("firing", HOT_LABELS)
            assert ("resolved", HOT_LABELS) in received[1:]
            assert "did not take 1 notifications" in (tmp_path / "api.log").read_text()
    finally:
        server.stop()
        hook.stop()


def _metrics_with(api: httpx.Client, line: str) -> str | None:
    text = api.get("/metrics").text
    return text if line in text else None


async def _write_directly(path: Path, reading: Reading) -> None:
    storage = await open_storage(f"sqlite:///{path}")
    try:
        await storage.write([reading])
    finally:
        await storage.close()
