"""Hypothesis throws hostile text at the parsers: they answer or refuse, never crash or lie.

Each parser either returns a value that keeps its promises (timestamps representable, durations
positive and bounded, CSV cells only of known columns, validated readings within every rule) or
raises the one error type it documents.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from roomtemp.domain import ID_PATTERN as ROOM_ID_PATTERN
from roomtemp.errors import ConflictingReading, InvalidInput, TooLarge
from roomtemp.ingest.formats import CSV_COLUMNS, parse_body, parse_csv, parse_ndjson
from roomtemp.timeparse import (
    MAX_DURATION_MS,
    MAX_MS,
    MIN_MS,
    format_duration,
    format_timestamp,
    parse_duration,
    parse_timestamp,
)
from roomtemp.validation import Limits, validate_batch

EXAMPLES = settings(max_examples=200, deadline=None)
LIMITS = Limits(-60.0, 100.0, 300_000)
NOW_MS = 1_709_294_400_000
ROOM_ID = re.compile(ROOM_ID_PATTERN)

rfc3339_like = st.from_regex(
    r"\A[+-]?\d{1,6}-\d{1,3}-\d{1,3}[Tt ]\d{1,3}:\d{1,3}(:\d{1,3}(\.\d{0,12})?)?"
    r"([Zz]|[+-]\d{1,3}(:?\d{1,3})?)?\Z"
)
numberish = st.from_regex(r"\A\s*[+-]?(\d{0,400}(\.\d{0,20})?|\.\d+)([eE][+-]?\d{1,5})?\s*\Z")
hostile_text = st.text(st.characters(codec="utf-8"), max_size=60) | st.text(max_size=20).map(
    lambda s: s + "\x00"
)
timestamps = rfc3339_like | numberish | hostile_text | st.floats() | st.integers()


@EXAMPLES
@given(timestamps)
def test_timestamps_are_representable_or_refused(value: str | float | int) -> None:
    try:
        ms = parse_timestamp(value)
    except ValueError:
        return
    assert MIN_MS <= ms <= MAX_MS
    assert parse_timestamp(format_timestamp(ms)) == ms


durations = (
    st.from_regex(r"\A(\d{1,25}(ms|y|w|d|h|m|s)){1,4}\Z") | numberish | hostile_text | st.floats()
)


@EXAMPLES
@given(durations)
def test_durations_are_positive_and_bounded_or_refused(value: str | float) -> None:
    try:
        ms = parse_duration(value)
    except ValueError:
        return
    assert 0 < ms <= MAX_DURATION_MS
    assert parse_duration(format_duration(ms)) == ms


csv_cells = st.text(st.sampled_from('ab1.-_,"\r\n \x00\t;é\ufeff'), max_size=12)
csv_headers = st.lists(st.sampled_from([*CSV_COLUMNS, "colour", ""]), min_size=0, max_size=6)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue()


@EXAMPLES
@given(csv_headers, st.lists(st.lists(csv_cells, max_size=7), max_size=8), st.booleans())
def test_csv_yields_known_columns_or_refuses(
    header: list[str], rows: list[list[str]], mangle: bool
) -> None:
    text = _csv(header, rows)
    if mangle:
        text = text.replace(",", '"', 1)
    refused: InvalidInput | None = None
    try:
        items = parse_csv(text)
    except InvalidInput as exc:
        refused = exc
    else:
        assert all(set(item) <= set(CSV_COLUMNS) for item in items)
        cells = [value for item in items for value in item.values()]
        assert all(value is None or value == value.strip() for value in cells)
    assert refused is None or refused.problems


@EXAMPLES
@given(st.lists(st.binary(max_size=40) | st.text(max_size=20).map(str.encode), max_size=10))
def test_ndjson_lines_parse_or_are_refused_by_line(lines: list[bytes]) -> None:
    body = b"\n".join(lines)
    try:
        items = parse_ndjson(body)
    except InvalidInput as exc:
        problems = exc.problems
    else:
        problems = []
        assert len(items) == sum(1 for line in body.splitlines() if line.strip())
    assert all(isinstance(problem.loc[0], int) for problem in problems)  # located by item


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["kitchen", "floor2-a", "C", "F", "kelvin", "2024-03-01T11:00:00Z"])
)
reading_like = st.fixed_dictionaries(
    {},
    optional={
        "value": st.floats(-100, 400) | json_scalars,
        "unit": st.sampled_from(["C", "f", "Kelvin", "rankine", ""]) | json_scalars,
        "timestamp": st.integers(NOW_MS // 1000 - 10**6, NOW_MS // 1000 + 10**3) | json_scalars,
        "sensor_id": st.sampled_from(["window", "Door", "a" * 65]) | json_scalars,
        "room_id": st.sampled_from(["kitchen", "lab-2", "UPPER", ".x"]) | json_scalars,
        "extra": json_scalars,
    },
)
json_documents = st.recursive(
    json_scalars | reading_like, lambda inner: st.lists(inner, max_size=4), max_leaves=12
)


@settings(max_examples=300, deadline=None)
@given(json_documents, st.sampled_from([None, "kitchen"]))
def test_parsed_and_validated_readings_keep_every_rule(document: Any, room: str | None) -> None:
    body = json.dumps(document).encode()
    try:
        items, _ = parse_body(body, "application/json", 100)
        batch = validate_batch(items, room_id=room, now_ms=NOW_MS, limits=LIMITS)
    except (InvalidInput, TooLarge, ConflictingReading):
        return
    for reading in batch.readings:
        assert ROOM_ID.match(reading.room_id)
        assert room is None or reading.room_id == room
        assert reading.sensor_id is None or ROOM_ID.match(reading.sensor_id)
        assert LIMITS.min_celsius <= reading.value <= LIMITS.max_celsius
        assert MIN_MS <= reading.timestamp_ms <= NOW_MS + LIMITS.clock_skew_ms
