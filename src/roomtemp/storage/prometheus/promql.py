"""PromQL text built from parts: every label value is escaped here, never spliced raw.

Also the one place that knows how a `[range]` maps to a half-open window of milliseconds:
Prometheus 2.x range selectors are closed (`[t-d, t]`), Prometheus 3 and VictoriaMetrics are
left-open (`(t-d, t]`); `Window` takes the engine's kind and picks the evaluation time and range
that select exactly `[low, high)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

READINGS_METRIC = "room_temperature_celsius"
ROOM_INFO_METRIC = "roomtemp_room_info"
COMFORT_MIN_METRIC = "roomtemp_room_comfort_min_celsius"
COMFORT_MAX_METRIC = "roomtemp_room_comfort_max_celsius"
RAW_METRIC = "room_temperature_raw_celsius"
"""The values as sent of calibrated readings (only calibrated sensors have this series)."""
SENSOR_INFO_METRIC = "roomtemp_sensor_info"
EXPECTED_INTERVAL_METRIC = "roomtemp_sensor_expected_interval_seconds"
QUARANTINE_METRIC = "roomtemp_quarantined_celsius"
"""Readings set aside at ingest, their reason as a label (nothing reads them as readings)."""
ROOM_METRICS = (
    READINGS_METRIC,
    ROOM_INFO_METRIC,
    COMFORT_MIN_METRIC,
    COMFORT_MAX_METRIC,
    RAW_METRIC,
    SENSOR_INFO_METRIC,
    EXPECTED_INTERVAL_METRIC,
    QUARANTINE_METRIC,
)

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def quote(value: str) -> str:
    """A PromQL double-quoted string literal holding exactly `value`."""
    return '"' + "".join(_STRING_ESCAPES.get(char, char) for char in value) + '"'


def regex_escape(value: str) -> str:
    """`value` as an RE2 regular expression that matches only itself."""
    return _REGEX_SPECIAL.sub(r"\\\1", value)


def room_match(room_ids: Sequence[str] | None) -> str | Sequence[str] | None:
    """The `room` constraint of `selector` for these rooms: one room, a set of rooms, or (None
    or empty) every room."""
    if not room_ids:
        return None
    return room_ids[0] if len(room_ids) == 1 else room_ids


def selector(metric: str, **labels: str | Iterable[str] | None) -> str:
    """`metric{name="value", other=~"a|b"}`: a str is an equality, an iterable a set of values.

    None leaves a label unconstrained; the empty string matches series without the label.
    """
    matchers = []
    for name, wanted in labels.items():
        if wanted is None:
            continue
        if not _LABEL_NAME.match(name):
            raise ValueError(f"not a label name: {name!r}")
        if isinstance(wanted, str):
            matchers.append(f"{name}={quote(wanted)}")
        else:
            alternatives = sorted(set(wanted))
            pattern = "|".join(regex_escape(value) for value in alternatives)
            matchers.append(f"{name}=~{quote(pattern)}")
    return f"{metric}{{{', '.join(matchers)}}}"


def duration(ms: int) -> str:
    """A PromQL duration of a positive number of milliseconds."""
    if ms <= 0:
        raise ValueError(f"a PromQL range must be positive, got {ms} ms")
    return f"{ms}ms"


@dataclass(frozen=True)
class Window:
    """How an engine's range selector bounds its samples."""

    closed: bool

    def covering(self, low_ms: int, high_ms: int) -> tuple[int, int] | None:
        """(evaluation time, range) selecting exactly `[low, high)`; None if it cannot."""
        eval_ms = high_ms - 1
        range_ms = eval_ms - low_ms if self.closed else high_ms - low_ms
        return (eval_ms, range_ms) if range_ms > 0 else None

    def range_for_length(self, length_ms: int) -> int:
        """The range that, evaluated at a bucket's last millisecond, covers the whole bucket."""
        return length_ms - 1 if self.closed else length_ms


def stats_expression(series: str, range_ms: int) -> str:
    """Sum, count, min and max per room over the range, told apart by a `stat` label."""
    window = f"{series}[{duration(range_ms)}]"
    parts = [
        ("sum", f"sum by (room) (sum_over_time({window}))"),
        ("count", f"sum by (room) (count_over_time({window}))"),
        ("min", f"min by (room) (min_over_time({window}))"),
        ("max", f"max by (room) (max_over_time({window}))"),
    ]
    return " or ".join(
        f'label_replace({expression}, "stat", "{name}", "", "")' for name, expression in parts
    )
