"""CSV and NDJSON parsing: what is written can be read back, and garbage fails cleanly."""

from __future__ import annotations

import contextlib
import csv
import io

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.errors import InvalidInput, TooLarge
from roomtemp.ingest.formats import parse_body, parse_csv, parse_ndjson

ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "room_id": ids,
            "value": st.floats(-60, 100, allow_nan=False).map(repr),
            "timestamp": st.one_of(st.none(), st.integers(0, 2 * 10**9).map(str)),
            "unit": st.sampled_from([None, "C", "fahrenheit", "k"]),
            "sensor_id": st.one_of(st.none(), ids),
        }
    ),
    min_size=1,
    max_size=30,
)


def write_csv(items: list[dict[str, str | None]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["room_id", "value", "timestamp", "unit", "sensor_id"])
    for item in items:
        writer.writerow(
            [item[k] or "" for k in ("room_id", "value", "timestamp", "unit", "sensor_id")]
        )
    return out.getvalue()


@given(rows)
def test_csv_round_trips(items: list[dict[str, str | None]]) -> None:
    assert parse_csv(write_csv(items)) == items


@given(rows)
def test_ndjson_round_trips(items: list[dict[str, str | None]]) -> None:
    body = b"\n".join(orjson.dumps(item) for item in items)
    assert parse_ndjson(body) == items


@given(
    st.binary(max_size=300),
    st.sampled_from(["text/csv", "application/x-ndjson", "application/json"]),
)
def test_any_bytes_parse_or_fail_cleanly(body: bytes, content_type: str) -> None:
    with contextlib.suppress(InvalidInput, TooLarge):
        parse_body(body, content_type, 100)


def test_csv_columns_may_come_in_any_order_and_only_two_are_required() -> None:
    items, is_list = parse_body(b"value,room_id\n20.5,lab\n", "text/csv; charset=utf-8", 10)
    assert is_list
    assert items == [{"value": "20.5", "room_id": "lab"}]


@pytest.mark.parametrize(
    "header", ["room_id", "value", "room_id,value,colour", "room_id,value,value"]
)
def test_bad_csv_headers(header: str) -> None:
    with pytest.raises(InvalidInput, match="CSV header"):
        parse_csv(header + "\n")
