"""Runs of out-of-band minutes: the one computation behind room states, alerts and episodes.

The input is a room's per-minute buckets (Aggregate, oldest first, only minutes with readings).
A run is a maximal sequence of minutes of one kind (too hot, or too cold) in which consecutive
minutes start at most `gap_ms` apart; a minute inside the band, of the other kind, or a longer gap
ends it. The newest run is current while its newest minute ended at most `gap_ms` before now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roomtemp.alerts.rules import Kind, side_of
from roomtemp.domain import Aggregate, Comfort


@dataclass(frozen=True)
class Run:
    """One run: from the start of its first minute to the end of its last one."""

    kind: Kind
    start_ms: int
    end_ms: int
    value: float
    """the newest minute's mean"""
    peak: float
    """the most extreme minute mean (highest when too hot, lowest when too cold)"""


def runs(minutes: Sequence[Aggregate], band: Comfort, gap_ms: int) -> list[Run]:
    """Every run in the minutes, oldest first."""
    found: list[Run] = []
    current: Run | None = None
    previous_start: int | None = None
    for minute in minutes:
        kind = side_of(minute.mean, band)
        joined = previous_start is not None and minute.start_ms - previous_start <= gap_ms
        previous_start = minute.start_ms
        if current is not None and kind is current.kind and joined:
            current = _extended(current, minute)
            continue
        if current is not None:
            found.append(current)
        current = None if kind is None else _begun(kind, minute)
    if current is not None:
        found.append(current)
    return found


def current_run(
    minutes: Sequence[Aggregate], band: Comfort, gap_ms: int, now_ms: int
) -> tuple[Run | None, bool]:
    """The run the room is in now (None: the newest minute is in band, or too old), and whether
    it holds the oldest of `minutes` (then it may have begun before them). Walks back from the
    newest minute only, so a room in band costs one comparison."""
    if not minutes or now_ms - minutes[-1].end_ms > gap_ms:
        return None, False
    newest = minutes[-1]
    kind = side_of(newest.mean, band)
    if kind is None:
        return None, False
    run = _begun(kind, newest)
    first = len(minutes) - 1
    while first > 0:
        earlier = minutes[first - 1]
        if minutes[first].start_ms - earlier.start_ms > gap_ms:
            break
        if side_of(earlier.mean, band) is not kind:
            break
        first -= 1
        run = _reached_back(run, earlier)
    return run, first == 0


def oldest_is_open(found: Sequence[Run], minutes: Sequence[Aggregate]) -> bool:
    """Whether the oldest run holds the oldest minute (then it may have begun before them)."""
    return bool(found) and bool(minutes) and found[0].start_ms == minutes[0].start_ms


def _begun(kind: Kind, minute: Aggregate) -> Run:
    mean = minute.mean
    return Run(kind, minute.start_ms, minute.end_ms, mean, mean)


def _extended(run: Run, minute: Aggregate) -> Run:
    mean = minute.mean
    peak = _peak(run, mean)
    return Run(run.kind, run.start_ms, minute.end_ms, mean, peak)


def _reached_back(run: Run, minute: Aggregate) -> Run:
    peak = _peak(run, minute.mean)
    return Run(run.kind, minute.start_ms, run.end_ms, run.value, peak)


def _peak(run: Run, mean: float) -> float:
    return max(run.peak, mean) if run.kind is Kind.too_hot else min(run.peak, mean)
