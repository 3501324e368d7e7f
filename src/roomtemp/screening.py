"""Implausible readings (DESIGN: Calibration and quarantine): outside the plausible range, or a
jump faster than the maximum rate against the sensor's previous stored reading. In quarantine
mode they are set aside with the reason and the rest of the batch is stored; in reject mode
(the default) the batch is a 422, for a jump as for a value out of range.

The rate compares the value as it would be stored (with the sensor's offset) with the previous
reading by timestamp, among those stored and those of the batch that pass, at most
`window_ms` older (a sensor back after a longer gap starts afresh); a reading at the time of a
stored one is left to the identity check (a re-send or a conflict).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from roomtemp.domain import ReadingColumns, SensorLatest, SetAside
from roomtemp.errors import InvalidInput, Problem
from roomtemp.storage.base import Storage
from roomtemp.storage.calibration import calibrated, offsets_of
from roomtemp.timeparse import format_timestamp
from roomtemp.validation import Limits

MINUTE_MS = 60_000
_PREVIOUS_READ = 10_000
"""Stored readings read at most per sensor to find the previous ones of a backfilled batch."""


@dataclass(frozen=True)
class Screening:
    """What counts as implausible and what happens to it."""

    quarantine: bool = False
    max_rate_per_minute: float | None = None
    window_ms: int = 900_000

    def validation_limits(self, limits: Limits) -> Limits:
        """The limits the validator applies: in quarantine mode, any finite value passes it
        (the range is screened here)."""
        if not self.quarantine:
            return limits
        return replace(limits, min_celsius=-sys.float_info.max, max_celsius=sys.float_info.max)


@dataclass(frozen=True)
class Screened:
    """A batch split into the readings to store and those set aside (by reason, counted)."""

    readings: ReadingColumns
    aside: list[SetAside]

    def counts(self) -> dict[str, int]:
        return dict(Counter(reading.reason for reading in self.aside))


async def screen(
    storage: Storage, batch: ReadingColumns, limits: Limits, rules: Screening
) -> Screened:
    """Split off the implausible readings (quarantine), or raise InvalidInput for a jump that is
    too fast (reject; values out of range were refused by the validator already)."""
    if not rules.quarantine and rules.max_rate_per_minute is None:
        return Screened(batch, [])  # nothing to screen for
    if rules.quarantine:
        outside = (batch.values < limits.min_celsius) | (batch.values > limits.max_celsius)
    else:
        outside = np.zeros(len(batch), bool)
    fast = np.zeros(len(batch), bool)
    if rules.max_rate_per_minute is not None and len(batch):
        fast = await too_fast(storage, batch.take(~outside), rules)
        fast = _spread(fast, ~outside)
        if fast.any() and not rules.quarantine:
            raise InvalidInput([_problem(batch, int(i), rules) for i in np.flatnonzero(fast)])
    aside = _set_aside(batch, outside, "implausible") + _set_aside(batch, fast, "rate")
    kept = ~(outside | fast)
    return Screened(batch if kept.all() else batch.take(kept), aside)


def _spread(mask: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A mask over the items selected by `where`, as a mask over all items."""
    full = np.zeros(where.shape[0], bool)
    full[np.flatnonzero(where)[mask]] = True
    return full


def _set_aside(batch: ReadingColumns, mask: np.ndarray, reason: str) -> list[SetAside]:
    return [SetAside(*batch[int(i)], reason) for i in np.flatnonzero(mask)]


def _problem(batch: ReadingColumns, index: int, rules: Screening) -> Problem:
    reading = batch[index]
    return Problem(
        (index, "value"),
        f"value {reading.value:g} °C at {format_timestamp(reading.timestamp_ms)} changes faster "
        f"than {rules.max_rate_per_minute:g} °C per minute (ROOMTEMP_MAX_RATE) against the "
        "sensor's previous reading",
    )


async def too_fast(storage: Storage, batch: ReadingColumns, rules: Screening) -> np.ndarray:
    """Mask of the readings that change faster than the maximum rate (see the module's doc)."""
    rooms = sorted({room for room, _ in batch.keys})
    latest = await storage.latest(rooms)
    # as they would be stored: an imported reading (its value as sent given) is calibrated already
    stored_values = calibrated(batch, offsets_of(await storage.sensor_settings(rooms))).values
    order = np.lexsort((batch.ts, batch.codes))
    codes = batch.codes[order]
    flagged = np.zeros(len(batch), bool)
    for part in np.split(order, np.flatnonzero(codes[1:] != codes[:-1]) + 1):
        room, sensor = batch.keys[int(batch.codes[part[0]])]
        ts = batch.ts[part]
        values = stored_values[part]
        newest = next((s for s in latest.get(room, []) if s.sensor_id == sensor), None)
        stored = await _stored_before(storage, room, newest, ts, rules.window_ms)
        flagged[part] = _walk(ts.tolist(), values.tolist(), stored, rules)
    return flagged


async def _stored_before(
    storage: Storage, room: str, newest: SensorLatest | None, ts: np.ndarray, window_ms: int
) -> list[tuple[int, float]]:
    """The stored readings a batch of one sensor can be compared with: its newest reading when
    the batch is newer (live ingest: no read), else those of the batch's span."""
    if newest is None:
        return []
    if newest.timestamp_ms < int(ts[0]):
        return [(newest.timestamp_ms, newest.value)]
    page = await storage.readings(
        room,
        int(ts[0]) - window_ms,
        int(ts[-1]) + 1,
        sensor_id=newest.sensor_id or "",
        limit=_PREVIOUS_READ,
    )
    return [(r.timestamp_ms, r.value) for r in page.readings]


def _walk(
    ts: list[int], values: list[float], stored: list[tuple[int, float]], rules: Screening
) -> list[bool]:
    """For one sensor's readings in time order: which jump too fast against the previous one."""
    assert rules.max_rate_per_minute is not None
    limit_per_ms = rules.max_rate_per_minute / MINUTE_MS
    stored_at = {t for t, _ in stored}
    previous: tuple[int, float] | None = None
    position, flags = 0, []
    for t, value in zip(ts, values, strict=True):
        while position < len(stored) and stored[position][0] < t:
            if previous is None or stored[position][0] > previous[0]:
                previous = stored[position]
            position += 1
        jump = (
            t not in stored_at
            and previous is not None
            and t - previous[0] <= rules.window_ms
            and abs(value - previous[1]) > limit_per_ms * (t - previous[0])
        )
        flags.append(jump)
        if not jump and t not in stored_at:  # at a stored reading's time, that one counts
            previous = (t, value)
    return flags
