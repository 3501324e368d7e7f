"""Timestamps, durations and buckets: exact cases and round-trip properties."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.timeparse import (
    MAX_MS,
    MIN_MS,
    count_epoch_buckets,
    count_local_day_buckets,
    epoch_buckets,
    format_duration,
    format_timestamp,
    format_timestamps,
    local_day_buckets,
    parse_duration,
    parse_timestamp,
)

ms_values = st.integers(MIN_MS, MAX_MS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T12:00:00Z", 1709294400000),
        ("2024-03-01T13:00:00+01:00", 1709294400000),
        ("2024-03-01T12:00:00.1239Z", 1709294400124),
        ("2024-03-01 12:00:00-00:30", 1709296200000),
        ("1709294400", 1709294400000),
        ("1709294400.5", 1709294400500),
        (1709294400.0006, 1709294400001),
        (0, 0),
        (-1.5, -1500),
    ],
)
def test_timestamps(text: str | float, expected: int) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-03-01T12:00:00", "no UTC offset"),
        ("2024-03-01", "no UTC offset"),
        ("tomorrow", "neither RFC 3339"),
        ("", "neither RFC 3339"),
        ("nan", "neither RFC 3339"),
        (float("inf"), "finite"),
        (1e20, "out of range"),
        (True, "boolean"),
    ],
)
def test_bad_timestamps(text: str | float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_timestamp(text)


@given(ms_values)
def test_format_then_parse_round_trips(value: int) -> None:
    assert parse_timestamp(format_timestamp(value)) == value


@given(ms_values)
def test_format_matches_the_standard_library(value: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    assert format_timestamp(value) == moment.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


@given(st.lists(ms_values | st.integers(0, 10**6).map(lambda k: 1672531200000 + k * 3_600_000)))
def test_a_column_of_timestamps_formats_as_each_one_alone(values: list[int]) -> None:
    """Few days and times of day repeat in a column (hourly buckets), or none does."""
    assert format_timestamps(np.array(values, np.int64)) == [format_timestamp(v) for v in values]


@given(st.integers(-(10**12), 10**12), st.sampled_from(["+05:45", "-03:30", "Z", "+14:00"]))
def test_offsets_name_the_same_instant(value: int, offset: str) -> None:
    moment = datetime.fromtimestamp(value / 1000, UTC)
    shifted = moment.astimezone(datetime.fromisoformat(f"2000-01-01T00:00:00{offset}").tzinfo)
    assert parse_timestamp(shifted.isoformat()) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", 30_000),
        ("5m", 300_000),
        ("1h30m", 5_400_000),
        ("1d", 86_400_000),
        ("1w", 604_800_000),
        ("250ms", 250),
        ("90", 90_000),
        ("0.5", 500),
        (60, 60_000),
        ("1y", 31_536_000_000),
    ],
)
def test_durations(text: str | int, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0s", "-5m", "5 m", "1.5h", "h", "1h-30m", "0", "0.0001", "inf", "1e999"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.integers(1, 10**13))
def test_duration_format_round_trips(value: int) -> None:
    assert parse_duration(format_duration(value)) == value


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**9), st.integers(1, 10**8))
def test_epoch_buckets_tile_the_range(start: int, length: int, step: int) -> None:
    end = start + length
    if count_epoch_buckets(start, end, step) > 2000:
        return
    buckets = epoch_buckets(start, end, step)
    assert len(buckets) == count_epoch_buckets(start, end, step)
    assert buckets[0].clip_start_ms == start
    assert buckets[-1].clip_end_ms == end
    for bucket in buckets:
        assert bucket.start_ms % step == 0
        assert bucket.end_ms - bucket.start_ms == step
    for a, b in itertools.pairwise(buckets):
        assert a.end_ms == b.start_ms == b.clip_start_ms


@given(
    st.integers(0, 2 * 10**12),
    st.integers(1, 40 * 86_400_000),
    st.integers(1, 7),
    st.sampled_from(
        [
            "Europe/Paris",
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "UTC",
        ]
    ),
)
def test_local_day_buckets_start_at_local_midnight(
    start: int, length: int, days: int, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    buckets = local_day_buckets(start, start + length, days, zone)
    assert len(buckets) <= count_local_day_buckets(start, start + length, days)
    assert buckets[0].clip_start_ms == start
    assert buckets[-1].clip_end_ms == start + length
    for bucket in buckets:
        local = datetime.fromtimestamp(bucket.start_ms / 1000, zone)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)
        end_local = datetime.fromtimestamp(bucket.end_ms / 1000, zone)
        assert (end_local.date() - local.date()).days == days
