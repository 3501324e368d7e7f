"""Helpers shared by the tests: a controllable clock, time helpers, a reference aggregator,
waiting in an async test for what a background thread does."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


class FakeClock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ms(text: str) -> int:
    """'2024-03-01T12:00:00Z' -> epoch ms, computed independently of roomtemp.timeparse."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def iso(epoch_ms: int) -> str:
    """Epoch ms -> the API's time format, computed independently of roomtemp.timeparse."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


@dataclass(frozen=True)
class RefBucket:
    start_ms: int
    end_ms: int
    mean: float
    minimum: float
    maximum: float
    count: int


def reference_buckets(
    points: Iterable[tuple[int, float]], start_ms: int, end_ms: int, edges: list[int]
) -> list[RefBucket]:
    """Plain-Python aggregation: buckets between `edges`; only points in [start, end) count."""
    out = []
    for low, high in itertools.pairwise(edges):
        values = [v for t, v in points if low <= t < high and start_ms <= t < end_ms]
        if values:
            out.append(
                RefBucket(
                    low,
                    high,
                    math.fsum(values) / len(values),
                    min(values),
                    max(values),
                    len(values),
                )
            )
    return out


def close(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


async def eventually(condition: Callable[[], bool], what: str, most_seconds: float = 30.0) -> None:
    """Until `condition()` holds (polled every 10 ms, the event loop kept running), failing
    with `what` after `most_seconds`."""
    deadline = time.monotonic() + most_seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {most_seconds} s"
        await asyncio.sleep(0.01)
