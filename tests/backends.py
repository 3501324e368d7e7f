"""Every storage backend the contract suite runs against, each opened on fresh, empty storage.

A backend whose engine is missing skips with the reason, or fails when ROOMTEMP_REQUIRE_ENGINES=1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from roomtemp.storage import Storage, open_storage


@asynccontextmanager
async def sqlite_backend(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await open_storage(f"sqlite:///{tmp_path / 'contract.sqlite3'}")
    try:
        yield storage
    finally:
        await storage.close()


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Storage]]] = {
    "sqlite": sqlite_backend,
}
