"""Promises of the embedded store, each against a real `roomtemp serve`: several workers on one
store, a file deleted or corrupted under a running server, a restart after kill -9 with many
readings in the hot tier."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.processes import ServerProcess, running_server

pytestmark = pytest.mark.slow

MINUTE_S = 60


def batch(room: str, first_s: int, count: int) -> list[dict[str, object]]:
    return [
        {"room_id": room, "value": 20 + i % 50 / 10, "timestamp": first_s + i * MINUTE_S}
        for i in range(count)
    ]


def test_two_workers_on_a_fresh_store_start_and_count_exactly(tmp_path: Path) -> None:
    t0 = int(time.time()) - 3 * 86_400
    for attempt in range(3):
        db = tmp_path / f"fresh-{attempt}.sqlite3"
        settings = {"ROOMTEMP_STORAGE": f"sqlite:///{db}", "ROOMTEMP_WORKERS": "2"}
        with running_server(settings, tmp_path / f"server-{attempt}.log", "/readyz") as server:
            shared = batch("shared", t0, 500)
            bodies = [batch(f"r{i}", t0, 500) for i in range(8)] + [shared] * 4

            def push(body: list[dict[str, object]], url: str = server.url) -> dict[str, int]:
                answer = httpx.post(f"{url}/api/v1/readings", json=body, timeout=30)
                assert answer.status_code == 201, answer.text
                result: dict[str, int] = answer.json()
                return result

            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(push, bodies))
            assert sum(a["accepted"] for a in answers) == 9 * 500
            assert sum(a["duplicates"] for a in answers) == 3 * 500
            stats = httpx.get(
                f"{server.url}/api/v1/stats", params={"start": t0, "end": t0 + 86_400}
            ).json()
            assert {r["room_id"]: r["count"] for r in stats["rooms"]} == {
                **{f"r{i}": 500 for i in range(8)},
                "shared": 500,
            }


@pytest.mark.parametrize("harm", ["deleted", "corrupted"])
def test_a_store_harmed_under_a_running_server_is_reported(tmp_path: Path, harm: str) -> None:
    db = tmp_path / "harmed.sqlite3"
    log = tmp_path / "server.log"
    with running_server({"ROOMTEMP_STORAGE": f"sqlite:///{db}"}, log, "/readyz") as server:
        url = f"{server.url}/api/v1/rooms/lab/readings"
        assert httpx.post(url, json={"value": 20.5}).status_code == 201
        if harm == "deleted":
            db.unlink()
        else:
            with db.open("r+b") as file:
                file.write(b"\x00garbage" * 64)
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 503, ready.text
        assert httpx.post(url, json={"value": 21.5}).status_code == 503
        assert httpx.get(f"{server.url}/api/v1/rooms/lab/temperature").status_code == 503
    expected = "was deleted" if harm == "deleted" else "is corrupt"
    assert expected in log.read_text()


def test_restart_after_kill_9_with_a_full_hot_tier_keeps_every_acknowledged_reading(
    tmp_path: Path,
) -> None:
    db = tmp_path / "killed.sqlite3"
    settings = {"ROOMTEMP_STORAGE": f"sqlite:///{db}"}
    first_s = int(time.time()) - 20 * 3600  # recent: stays in the hot tier (the log)
    rooms, per_room = 100, 1000
    server = ServerProcess(settings, tmp_path / "first.log")
    try:
        server.wait_ready("/readyz")
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for minute in range(0, per_room, 10):
                body = [
                    {
                        "room_id": f"r{r:03d}",
                        "value": 21.0,
                        "timestamp": first_s + (minute + k) * 60,
                    }
                    for k in range(10)
                    for r in range(rooms)
                ]
                assert client.post("/api/v1/readings", json=body).status_code == 201
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()
    started = time.monotonic()
    with running_server(settings, tmp_path / "second.log", "/readyz") as again:
        ready_after = time.monotonic() - started
        stats = httpx.get(
            f"{again.url}/api/v1/stats", params={"start": first_s, "end": first_s + 86_400}
        ).json()
    print(f"ready {ready_after:.2f} s after a kill -9 with {rooms * per_room} hot readings")
    assert sorted(r["count"] for r in stats["rooms"]) == [per_room] * rooms
