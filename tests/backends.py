"""Every storage backend the contract suite runs against, each opened on fresh, empty storage.

A backend whose engine is missing skips with the reason, or fails when ROOMTEMP_REQUIRE_ENGINES=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from roomtemp.config import Settings
from roomtemp.domain import Reading, WriteResult
from roomtemp.storage import Storage, open_storage
from roomtemp.storage.sqlite import EmbeddedOptions, SqliteStorage
from roomtemp.wiring import open_configured_storage
from tests.engines import Engine, start_engine


@asynccontextmanager
async def sqlite_backend(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await open_storage(f"sqlite:///{tmp_path / 'contract.sqlite3'}")
    try:
        yield storage
    finally:
        await storage.close()


class SealingSqliteStorage(SqliteStorage):
    """The embedded store with every write sealed before it returns (as another process
    sealing would), so reads go through the sealed tiers: day blocks and rollups."""

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        result = await super().write(readings)
        await asyncio.to_thread(self.seal_now)
        return result

    def seal_now(self) -> None:
        conn = self._connect()
        try:
            self.housekeeper.seal_everything(conn)
        finally:
            conn.close()


@asynccontextmanager
async def sealing_sqlite_backend(tmp_path: Path) -> AsyncIterator[Storage]:
    options = EmbeddedOptions(seal_every_ms=10**12)  # the writer never seals by itself
    storage = SealingSqliteStorage(tmp_path / "sealing.sqlite3", options)
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()


def engine_settings(engine: Engine, spool_dir: Path, **overrides: object) -> Settings:
    """Settings of a roomtemp that stores into `engine` (VictoriaMetrics flushed after writes)."""
    given: dict[str, object] = {
        "storage": engine.url.replace("http://", "prometheus://"),
        "spool_dir": str(spool_dir),
        "prometheus_flush_url": engine.flush_url,
    }
    return Settings(**{**given, **overrides})  # type: ignore[arg-type]


def _engine_backend(kind: str) -> Callable[[Path], AbstractAsyncContextManager[Storage]]:
    @asynccontextmanager
    async def backend(tmp_path: Path) -> AsyncIterator[Storage]:
        engine = start_engine(kind, tmp_path / kind)
        try:
            settings = engine_settings(engine, tmp_path / "spool")
            storage = await open_configured_storage(settings)
            try:
                yield storage
            finally:
                await storage.close()
        finally:
            engine.stop()

    return backend


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Storage]]] = {
    "sqlite": sqlite_backend,
    "sqlite-sealed": sealing_sqlite_backend,
    "prometheus": _engine_backend("prometheus"),
    "victoriametrics": _engine_backend("victoriametrics"),
}
