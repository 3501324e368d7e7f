"""A server killed with SIGKILL right after its 201 answers loses none of those readings."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import running_server
from tests.support import ms

pytestmark = pytest.mark.slow


@contextmanager
def server(db: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    settings = {"ROOMTEMP_STORAGE": f"sqlite:///{db}"}
    with running_server(settings, db.with_suffix(".log"), "/readyz") as process:
        yield process.process, process.url


def test_sigkill_after_201_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "durable.sqlite3"
    t0 = ms("2024-03-01T00:00:00Z") // 1000
    acknowledged = []
    with server(db) as (proc, url), httpx.Client(base_url=url) as client:
        for batch in range(40):
            items = [
                {"room_id": f"r{i % 7}", "value": 20 + i / 100, "timestamp": t0 + batch * 100 + i}
                for i in range(100)
            ]
            answer = client.post("/api/v1/readings", json=items)
            assert answer.status_code == 201
            acknowledged += items
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with server(db) as (_, url), httpx.Client(base_url=url) as client:
        stats = client.get("/api/v1/stats", params={"start": t0, "end": t0 + 10_000}).json()
    counts = {room["room_id"]: room["count"] for room in stats["rooms"]}
    expected: dict[str, int] = {}
    for item in acknowledged:
        expected[item["room_id"]] = expected.get(item["room_id"], 0) + 1
    assert counts == expected
