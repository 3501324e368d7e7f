"""Shutdown waits for the storage metrics watch to end, and a watch that had failed is logged
instead of raising out of shutdown (which would leave the storage open)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from roomtemp.api.app import _stopped


def test_a_running_watch_is_cancelled_and_waited_for() -> None:
    async def scenario() -> asyncio.Task[None]:
        task = asyncio.create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)
        await _stopped(task)
        return task

    task = asyncio.run(scenario())
    assert task.done()
    assert task.cancelled()


def test_a_watch_that_had_failed_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def failing() -> None:
        raise OSError("metrics directory gone")

    async def scenario() -> None:
        task = asyncio.create_task(failing())
        await asyncio.sleep(0)
        await _stopped(task)

    with caplog.at_level(logging.ERROR, logger="roomtemp"):
        asyncio.run(scenario())
    assert "the storage metrics watch had stopped" in caplog.text
    assert "metrics directory gone" in caplog.text
