"""Long loops that let other requests in: CPU work over thousands of rooms, done on the event loop
in short stretches, so that a writer waiting behind a big list waits for one stretch, not for all.

(A worker thread would not do: the work is Python, and the thread would hold the GIL against the
event loop for up to its 5 ms switch interval at every hand-over.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

T = TypeVar("T")

STRETCH = 200
"""Items handled between two chances for other tasks to run (about a millisecond of work)."""


async def paced(items: Iterable[T], stretch: int = STRETCH) -> AsyncIterator[T]:
    """The items, with a pass through the event loop after every `stretch` of them."""
    for index, item in enumerate(items, start=1):
        yield item
        if index % stretch == 0:
            await asyncio.sleep(0)
