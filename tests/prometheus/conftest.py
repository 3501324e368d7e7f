"""Fixtures: a real engine per test (Prometheus or VictoriaMetrics), and API clients on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.backends import engine_settings
from tests.engines import Engine, start_engine
from tests.support import FakeClock

ENGINES = ["prometheus", "victoriametrics"]
ClientFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    started = start_engine(request.param, tmp_path / request.param)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def engine_client(tmp_path: Path, clock: FakeClock) -> ClientFactory:
    """Open an API client on an engine; settings overrides as keyword arguments."""

    @contextmanager
    def open_client(engine: Engine, **overrides: object) -> Iterator[TestClient]:
        settings = engine_settings(engine, tmp_path / "spool", **overrides)
        with TestClient(create_app(settings, clock=clock)) as client:
            yield client

    return open_client


@pytest.fixture
def sqlite_client(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client
