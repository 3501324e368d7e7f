"""Fixtures: settings on a fresh SQLite file, an injected clock, an app client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.support import FakeClock, ms

NOW_MS = ms("2024-03-01T12:00:00Z")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW_MS / 1000)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage=f"sqlite:///{tmp_path / 'roomtemp.sqlite3'}")


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client
