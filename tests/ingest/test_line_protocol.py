"""The line protocol parser: points written by influxdb-client's own encoder (escapes and all)
come back as the readings they hold; bad lines are named."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from influxdb_client import Point, WritePrecision

from roomtemp.errors import InvalidInput
from roomtemp.ingest.line_protocol import parse_lines, precision_of

ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
tag_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\n\r\\"), min_size=1, max_size=12
)
values = st.floats(-60, 100, allow_nan=False)


@given(
    room=ids,
    sensor=st.none() | ids,
    value=values,
    stamp=st.integers(0, 4_000_000_000_000_000_000),
    extra_tag=tag_text,
    note=tag_text,
    field=st.sampled_from(["temperature", "value", "celsius", "fahrenheit", "kelvin"]),
)
def test_points_from_the_client_library_parse_back(
    room: str, sensor: str | None, value: float, stamp: int, extra_tag: str, note: str, field: str
) -> None:
    point = Point("climate").tag("room", room).tag("site", extra_tag).field(field, value)
    point = point.field("note", note).field("count", 3).time(stamp, WritePrecision.NS)
    if sensor is not None:
        point = point.tag("sensor", sensor)
    batch = parse_lines(point.to_line_protocol().encode(), "ns")
    unit = {"fahrenheit": "fahrenheit", "kelvin": "kelvin"}.get(field)
    assert batch.items == [
        {
            "room_id": room,
            "sensor_id": sensor,
            "value": value,
            "unit": unit,
            "timestamp": (stamp // 1_000_000) / 1000,
        }
    ]
    assert (batch.lines, batch.ignored) == ([1], 0)


@pytest.mark.parametrize(
    ("precision", "stamp", "seconds"),
    [
        ("s", "1709251200", 1709251200),
        ("ms", "1709251200123", 1709251200.123),
        ("us", "1709251200123456", 1709251200.123),
        ("ns", "1709251200123456789", 1709251200.123),
    ],
)
def test_precisions_truncate_to_the_millisecond(precision: str, stamp: str, seconds: float) -> None:
    item = parse_lines(f"t,room=a value=1 {stamp}".encode(), precision).items[0]
    assert item["timestamp"] == seconds


def test_field_types_units_and_other_points() -> None:
    body = (
        b"# a comment\r\n"
        b"t,room=a,unit=F temperature=70i,ok=true\r\n"
        b"\n"
        b"t,room=b value=21u\n"
        b"t,room=c on=t\n"  # no numeric reading field: not a reading
        b"cpu,host=x usage=1.5\n"  # no room: not a reading
        b"t,room_id=d,sensor_id=s celsius=-1.5e1\n"
    )
    batch = parse_lines(body)
    assert [(i["room_id"], i["value"], i["unit"], i["sensor_id"]) for i in batch.items] == [
        ("a", 70, "F", None),
        ("b", 21, None, None),
        ("d", -15.0, None, "s"),
    ]
    assert (batch.lines, batch.ignored) == ([2, 4, 7], 2)


def test_escaped_names_and_quoted_strings() -> None:
    body = rb't\ x,room=a\,b,place=a\ b\=c value=1,text="say \"hi\", then go" 5'
    item = parse_lines(body, "s").items[0]
    assert (item["room_id"], item["timestamp"]) == ("a,b", 5)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"ok,room=a value=1\nnofields", "line 2 ('nofields'): no field set"),
        (b"t,room=a value=", "line 1"),
        (b"t,room=a value=1x", "not a number"),
        (b"t,room=a value=-1u", "negative"),
        (b't,room=a value="open', "line 1"),
        (b"t,room value=1", "tag 'room' is not key=value"),
        (b"t,room=a value=1 12 13", "line 1"),
        (b"t,room=a value=1 1.5", "line 1"),
        (b"\xff", "UTF-8"),
    ],
)
def test_bad_lines_are_named(body: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_lines(body)
    assert words in str(raised.value)


def test_every_bad_line_is_listed() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_lines(b"a\nt,room=x value=1\nb\n")
    assert [p.msg.split(" (")[0] for p in raised.value.problems] == ["line 1", "line 3"]


def test_precision_names() -> None:
    assert [precision_of(p) for p in (None, "ns", "us", "ms", "s")] == ["ns", "ns", "us", "ms", "s"]
    assert [precision_of(p, v1=True) for p in ("n", "u", "ms", "s")] == ["ns", "us", "ms", "s"]
    with pytest.raises(InvalidInput):
        precision_of("n")
    with pytest.raises(InvalidInput):
        precision_of("h", v1=True)
    assert math.isclose(parse_lines(b"t,room=a value=1 1000", "s").items[0]["timestamp"], 1000)
