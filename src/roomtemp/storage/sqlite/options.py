"""What the embedded store needs from the plain storage options, and its own constants."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from roomtemp.storage.base import StorageOptions
from roomtemp.storage.sqlite.decoded import DEFAULT_BUDGET_BYTES

Clock = Callable[[], int]
"""The current time in epoch ms (injected so tests control what is due for sealing)."""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class EmbeddedOptions:
    """Seal and retention settings of the embedded store (durations in ms)."""

    seal_after_ms: int = 26 * 3_600_000
    """A day is sealed once it ended this long ago, so the last 24 h stay in memory."""
    seal_every_ms: int = 1000
    settle_seconds: float = 5.0
    """A day is sealed once no reading of it arrived for this long (a day being backfilled is
    then encoded once, not every second while it fills)."""
    seal_round: int = 16_000
    """Most readings one seal round moves (whole (series, day) pairs, at least one), so no
    write waits long behind it: about 10 to 20 ms of work."""
    retention_raw_ms: int | None = None
    retention_rollups_ms: int | None = None
    retention_every_ms: int = 600_000
    stale_after_ms: int = 900_000
    """ROOMTEMP_STALE_AFTER: how long a reading holds its value (time-weighted mean, coverage)."""
    decoded_cache_bytes: int = DEFAULT_BUDGET_BYTES
    """ROOMTEMP_DECODED_CACHE_BYTES: decoded 1h and 5m slot blobs kept (decoded.py)."""
    clock: Clock = wall_clock_ms


def options_from(options: StorageOptions) -> EmbeddedOptions:
    """The embedded store's options from the shared storage options."""

    def ms(seconds: float | None) -> int | None:
        return None if seconds is None else round(seconds * 1000)

    return EmbeddedOptions(
        retention_raw_ms=ms(options.retention_raw_seconds),
        retention_rollups_ms=ms(options.retention_rollups_seconds),
        stale_after_ms=round(options.stale_after_seconds * 1000),
        decoded_cache_bytes=options.decoded_cache_bytes,
    )
