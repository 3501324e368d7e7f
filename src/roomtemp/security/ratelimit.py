"""A per-caller rate limit: a token bucket of `count` requests refilled over `period` seconds.

State lives in the process: with several workers each enforces the limit on its own share.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from roomtemp.timeparse import Rate

Clock = Callable[[], float]


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
