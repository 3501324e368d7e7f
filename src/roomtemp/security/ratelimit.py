"""A per-caller rate limit: a token bucket of `count` requests refilled over `period` seconds.

State lives in the process: with several workers each enforces the limit on its own share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from roomtemp.timeparse import parse_duration

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    """`count` requests per `period_seconds`."""

    count: int
    period_seconds: float


def parse_rate(text: str) -> Rate:
    """`600/m`, `10/s`, `100/5m`, `5/1h30m`: a count, a slash, a duration (a bare unit means 1)."""
    count_text, slash, period_text = text.strip().partition("/")
    period_text = period_text.strip()
    if not slash or not count_text.strip().isdigit() or not period_text:
        raise ValueError(f"rate {text!r} is not valid: write it like 600/m, 10/s or 100/5m")
    if not period_text[0].isdigit():
        period_text = "1" + period_text
    count = int(count_text)
    if count < 1:
        raise ValueError(f"rate {text!r} must allow at least one request")
    return Rate(count, parse_duration(period_text) / 1000)


class RateLimiter:
    """Token buckets by caller name; a full bucket allows a burst of `count` requests."""

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, key: str) -> int | None:
        """Take one request from `key`'s bucket: None if allowed, else whole seconds to wait."""
        now = self._clock()
        capacity = float(self.rate.count)
        per_second = capacity / self.rate.period_seconds
        level, seen = self._buckets.get(key, (capacity, now))
        level = min(capacity, level + max(0.0, now - seen) * per_second)
        if level >= 1.0:
            self._buckets[key] = (level - 1.0, now)
            return None
        self._buckets[key] = (level, now)
        return max(1, math.ceil((1.0 - level) / per_second))
