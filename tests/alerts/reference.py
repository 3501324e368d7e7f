"""An independent computation of alerts and room states from raw readings, for the tests.

Written from DESIGN.md's words, forward in time and from raw readings (not from storage buckets),
so that it shares nothing with roomtemp.alerts but the definitions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

MINUTE = 60_000


@dataclass(frozen=True)
class Point:
    room: str
    sensor: str | None
    ts: int
    value: float


@dataclass(frozen=True)
class Expected:
    """One active alert as the API shows it (times in epoch ms)."""

    room: str
    sensor: str | None
    kind: str
    state: str
    since: int
    value: float
    threshold: float | None


@dataclass(frozen=True)
class Rules:
    stale: int = 15 * MINUTE
    for_: int = 10 * MINUTE
    lookback: int = 7 * 24 * 60 * MINUTE


def minute_means(points: Iterable[Point], room: str, low: int, now: int) -> list[tuple[int, float]]:
    """(minute start, mean) of the room's readings in [low, now), oldest first."""
    by_minute: dict[int, list[float]] = defaultdict(list)
    for p in points:
        if p.room == room and low <= p.ts < now:
            by_minute[p.ts - p.ts % MINUTE].append(p.value)
    return sorted((start, math.fsum(v) / len(v)) for start, v in by_minute.items())


def kind_of(mean: float, low: float | None, high: float | None) -> str | None:
    if high is not None and mean > high:
        return "too_hot"
    if low is not None and mean < low:
        return "too_cold"
    return None


def room_alert(
    points: list[Point], room: str, band: tuple[float | None, float | None], now: int, rules: Rules
) -> Expected | None:
    """Walk the minutes forward, keeping the run in progress; the last one is current if it
    holds the newest minute and that minute ended at most `stale` before now."""
    floor = (now - rules.lookback) // MINUTE * MINUTE
    run: tuple[str, int] | None = None
    previous: int | None = None
    newest_mean = math.nan
    for start, mean in minute_means(points, room, floor, now):
        kind = kind_of(mean, *band)
        if kind is None:
            run = None
        elif run is None or run[0] != kind or previous is None or start - previous > rules.stale:
            run = (kind, start)
        previous, newest_mean = start, mean
    if run is None or previous is None or now - (previous + MINUTE) > rules.stale:
        return None
    kind, since = run
    state = "firing" if now - since >= rules.for_ else "pending"
    threshold = band[1] if kind == "too_hot" else band[0]
    return Expected(room, None, kind, state, since, newest_mean, threshold)


def silent_alerts(points: list[Point], room: str, now: int, rules: Rules) -> list[Expected]:
    newest: dict[str | None, Point] = {}
    for p in points:
        if p.room == room and (p.sensor not in newest or p.ts > newest[p.sensor].ts):
            newest[p.sensor] = p
    return [
        Expected(room, sensor, "silent", "firing", p.ts, p.value, None)
        for sensor, p in sorted(newest.items(), key=lambda item: item[0] or "")
        if rules.stale < now - p.ts <= rules.lookback
    ]


def expected_alerts(
    points: list[Point],
    bands: dict[str, tuple[float | None, float | None]],
    now: int,
    rules: Rules | None = None,
) -> list[Expected]:
    """Every active alert, rooms in id order, the room's own alert before its silent sensors."""
    rules = rules or Rules()
    found = []
    for room in sorted({p.room for p in points} | set(bands)):
        band = bands.get(room, (None, None))
        alert = room_alert(points, room, band, now, rules) if band != (None, None) else None
        found += [alert] if alert else []
        found += silent_alerts(points, room, now, rules)
    return found


def expected_state(
    points: list[Point],
    room: str,
    band: tuple[float | None, float | None],
    now: int,
    rules: Rules | None = None,
) -> tuple[str, int | None]:
    """(state, state_since) of a room."""
    rules = rules or Rules()
    own = [p for p in points if p.room == room]
    if not own:
        return "no_data", None
    newest: dict[str | None, int] = {}
    for p in own:
        newest[p.sensor] = max(newest.get(p.sensor, p.ts), p.ts)
    if all(now - ts > rules.stale for ts in newest.values()):
        return "stale", max(newest.values()) + rules.stale
    alert = room_alert(points, room, band, now, rules) if band != (None, None) else None
    return (alert.kind, alert.since) if alert else ("ok", None)
