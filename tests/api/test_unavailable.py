"""When the storage cannot be reached: 503 with Retry-After, and /readyz says so.

The storage here is the real SQLite backend with its disk made to fail on demand, a fault that
cannot be produced for real in a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.errors import StorageUnavailable
from roomtemp.storage import Storage, open_storage


class FailingDisk:
    """Delegates to a real backend until `broken` is set."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.broken = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name == "close" or not callable(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.broken:
                raise StorageUnavailable("disk I/O error", retry_after_seconds=7)
            return await attribute(*args, **kwargs)

        return call


def test_storage_outage_is_503_with_retry_after(tmp_path: Path) -> None:
    disk: list[FailingDisk] = []

    async def factory(settings: Settings) -> Storage:
        disk.append(FailingDisk(await open_storage(settings.storage)))
        return disk[0]  # type: ignore[return-value]

    settings = Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with TestClient(create_app(settings, storage_factory=factory)) as client:
        assert client.post("/api/v1/rooms/lab/readings", json={"value": 20}).status_code == 201
        disk[0].broken = True
        for answer in (
            client.post("/api/v1/rooms/lab/readings", json={"value": 21}),
            client.get("/api/v1/rooms/lab/temperature"),
            client.get("/readyz"),
        ):
            assert answer.status_code == 503
            assert answer.headers["retry-after"].isdigit()
        assert "disk I/O error" in client.get("/api/v1/rooms").json()["detail"]
        disk[0].broken = False
        assert client.get("/api/v1/rooms/lab/temperature").json()["value"] == 20.0
