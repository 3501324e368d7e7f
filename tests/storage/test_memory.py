"""Freed memory goes back to the system: the allocator does not keep a store's old arrays."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from roomtemp.domain import Reading
from roomtemp.storage import memory
from roomtemp.storage.sqlite import SqliteStorage
from tests.support import eventually

T0 = 1_709_251_200_000

# Fragments the heap the way merges of a store's arrays do: 200 MB of small blocks with a live
# one every hundred, so nothing freed sits at the heap's top where glibc would trim it anyway.
_FRAGMENTED = """
from pathlib import Path
from roomtemp.storage import memory
def rss_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20
junk, kept = [], []
for i in range(200_000):
    junk.append(bytes(1000))
    if i % 100 == 0:
        kept.append(bytes(10))
del junk
held = rss_mb()
released = memory.release_free_memory()
print(held, rss_mb(), released)
"""


@pytest.mark.skipif(not memory.can_release(), reason="this C library cannot return free memory")
def test_freed_memory_the_allocator_kept_is_returned() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FRAGMENTED], capture_output=True, text=True, check=True
    )
    held, after, released = done.stdout.split()
    assert float(held) - float(after) > 150, done.stdout  # 200 MB were freed but held
    assert released == "True"


@pytest.mark.anyio
async def test_the_writer_returns_memory_once_idle_after_work_and_not_while_idle(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "db.sqlite3")
    await storage.open()
    storage._writer.release_every = 0.0  # every idle round may release, if work was done
    try:
        released = "the writer returned memory"
        await eventually(lambda: storage._writer.release_rounds >= 1, released)  # after opening
        rounds = storage._writer.release_rounds
        await storage.write([Reading("lab", None, T0 + i * 60_000, 20.0) for i in range(100)])
        await eventually(lambda: storage._writer.release_rounds > rounds, released)
        rounds = storage._writer.release_rounds
        await asyncio.sleep(1.5)  # three idle rounds without work: none returns memory
        assert storage._writer.release_rounds == rounds
    finally:
        await storage.close()
