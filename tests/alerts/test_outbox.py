"""The outbox on a real SQLite file: what is recorded survives a reopen, in order, per receiver."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.alerts.notice import FIRING, Notice
from roomtemp.alerts.outbox import Outbox, OutboxLock
from roomtemp.alerts.senders import fingerprint, webhook_name, webhook_payload
from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.processes import free_port

HOT = Notice("too_hot|lab|", FIRING, {"alertname": "RoomTooHot", "room": "lab"}, {}, 1_000)
SILENT = Notice("silent|lab|a", FIRING, {"alertname": "SensorSilent", "room": "lab"}, {}, 2_000)


def test_recorded_changes_survive_a_reopen_in_order(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.open(["am", "hook"])
    outbox.record([HOT, SILENT], [], ["am", "hook"])
    outbox.record([], [HOT.resolved(5_000)], ["am", "hook"])
    outbox.close()  # as after kill -9: nothing else was done

    again = Outbox(tmp_path / "outbox.sqlite3")
    assert again.open(["am"]) == 3  # the removed receiver's notices are dropped
    assert set(again.told_firing()) == {SILENT.key}
    queued = again.head("am", 10)
    assert [(q.notice.key, q.notice.status) for q in queued] == [
        (HOT.key, "firing"),
        (SILENT.key, "firing"),
        (HOT.key, "resolved"),
    ]
    again.failed([queued[0].id])
    again.delivered([queued[1].id])
    assert [(q.notice.key, q.attempts) for q in again.head("am", 10)] == [
        (HOT.key, 1),
        (HOT.key, 0),
    ]
    assert again.depth() == 2


def test_receivers_delivering_from_threads_at_once_share_the_outbox_safely(
    tmp_path: Path,
) -> None:
    """Each receiver's delivery loop works the outbox from a thread of its own, on one
    connection: deliveries, failures and recordings at once must neither fail ("cannot start a
    transaction within a transaction", which made a delivered notice count as undelivered and
    go out twice) nor lose or repeat a row."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    receivers = [f"r{k}" for k in range(4)]
    outbox.open(receivers)
    rounds = 150
    errors: list[BaseException] = []
    start = threading.Barrier(len(receivers) + 1)

    def deliver(receiver: str) -> None:
        start.wait()
        try:
            taken = 0
            while taken < rounds and not errors:
                queued = outbox.head(receiver, 3)
                if queued:
                    outbox.failed([queued[0].id])
                    outbox.delivered([q.id for q in queued])
                    taken += len(queued)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    def record() -> None:
        start.wait()
        try:
            for k in range(rounds):
                notice = Notice(f"too_hot|room{k}|", FIRING, {"room": f"room{k}"}, {}, k)
                outbox.record([notice], [], receivers)
                outbox.told_firing()
                outbox.depth()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(r,)) for r in receivers]
    recorder = threading.Thread(target=record)
    for thread in threads:
        thread.start()
    recorder.start()
    recorder.join(60)
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert outbox.depth() == 0
    assert len(outbox.told_firing()) == rounds
    outbox.close()


def test_one_process_holds_the_lock(tmp_path: Path) -> None:
    first, second = OutboxLock(tmp_path / "o"), OutboxLock(tmp_path / "o")
    assert first.acquire()
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_webhook_payload_is_alertmanagers_version_4() -> None:
    payload = webhook_payload(HOT, "webhook-1")
    assert payload["version"] == "4"
    assert payload["status"] == "firing"
    assert payload["groupKey"] == '{}:{alertname="RoomTooHot", room="lab"}'
    (alert,) = payload["alerts"]
    assert alert["startsAt"] == "1970-01-01T00:00:01.000Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["fingerprint"] == fingerprint(HOT.labels)  # equal to Alertmanager's: see
    # test_notifications, which compares it with the one a real Alertmanager gives


def test_bad_receiver_urls_are_logged_and_measured_never_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        storage=f"sqlite:///{tmp_path / 'r.sqlite3'}",
        alert_outbox=str(tmp_path / "outbox.sqlite3"),
        alertmanager_url=f"http://127.0.0.1:{free_port()}",
        webhook_urls="ftp://files.example/hook,https://chat.example/hook?token=secret",
    )
    with (
        caplog.at_level(logging.INFO, "roomtemp.alerts"),
        TestClient(create_app(settings)) as client,
    ):
        metrics = client.get("/metrics").text
        assert client.get("/healthz").status_code == 200
    assert (
        f'roomtemp_alert_receiver_up{{receiver="{webhook_name("ftp://files.example/hook")}"}} 0.0'
        in metrics
    )
    assert 'roomtemp_alert_receiver_up{receiver="alertmanager"} 0.0' in metrics
    good = webhook_name("https://chat.example/hook?token=secret")
    assert f'roomtemp_alert_receiver_up{{receiver="{good}"}} 1.0' in metrics
    text = caplog.text
    assert "ROOMTEMP_WEBHOOK_URLS entry 1 (ftp://files.example) is unusable" in text
    assert "Alertmanager (ROOMTEMP_ALERTMANAGER_URL) does not answer" in text
    assert "secret" not in text
