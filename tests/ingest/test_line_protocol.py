"""The line protocol parser: points written by influxdb-client's own encoder (escapes and all)
come back as the readings they hold; bad lines are named."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from influxdb_client import Point, WritePrecision

from roomtemp.columns import SeriesItems
from roomtemp.domain import Reading
from roomtemp.errors import ConflictingReading, InvalidInput
from roomtemp.ingest import line_protocol
from roomtemp.ingest.line_fast import fast_items
from roomtemp.ingest.line_protocol import PRECISIONS, parse_lines, precision_of
from roomtemp.validation import Limits, validate_batch

LIMITS = Limits(-60.0, 100.0, 300_000)
NOW_MS = 4_102_444_800_000  # 2100-01-01


def given_only(item: dict[str, object]) -> dict[str, object]:
    """A raw reading without the fields it leaves unset (the fast path leaves them out)."""
    return {key: value for key, value in item.items() if value is not None}


def validated(items: list[dict[str, object]]) -> list[object]:
    return list(validate_batch(items, room_id=None, now_ms=NOW_MS, limits=LIMITS).readings)


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
    expected = {"room_id": room, "sensor_id": sensor, "value": value, "unit": unit}
    assert [given_only(item) for item in batch.items] == [
        given_only({**expected, "timestamp": stamp / 10**9})
    ]
    assert (batch.lines, batch.ignored) == ([1], 0)


@pytest.mark.parametrize(
    ("precision", "stamp", "ms"),
    [
        ("s", "1709251200", 1709251200000),
        ("ms", "1709251200123", 1709251200123),
        ("us", "1709251200123456", 1709251200123),
        ("us", "1709251200123500", 1709251200124),
        ("ns", "1709251200123456789", 1709251200123),
        ("ns", "1709251200999999999", 1709251201000),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_precisions_round_to_the_millisecond(
    precision: str, stamp: str, ms: int, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(line_protocol, "fast_items", lambda *_: None)
    items = parse_lines(f"t,room=a value=1 {stamp}".encode(), precision).items
    assert [reading.timestamp_ms for reading in validated(items)] == [ms]


numbers = st.one_of(
    st.floats(-60, 100, allow_nan=False).map(repr),
    st.integers(-60, 100).map(str),
    st.sampled_from(["21.50", "-0.5", "1e1", "2.5E1", "+21", "021", "1.", ".5", "21i", "1_0", "t"]),
)
lines = st.tuples(
    st.sampled_from(["climate,room=a", "climate,room=b,sensor=s", "c,host=h,room=a,unit=F"]),
    st.sampled_from(["temperature", "value", "celsius", "humidity", "kelvin"]),
    numbers,
    st.integers(0, 4_000_000_000).map(str) | st.sampled_from(["-5", "0012", "1.5"]),
)


@given(st.lists(lines, min_size=1, max_size=20), st.sampled_from(sorted(PRECISIONS)))
def test_the_fast_path_reads_what_the_full_parser_reads(
    points: list[tuple[str, str, str, str]], precision: str
) -> None:
    field = points[0][1]
    body = "".join(f"{key} {field}={value} {stamp}\n" for key, _, value, stamp in points)
    fast = fast_items(body, PRECISIONS[precision], line_protocol._target_of)
    if fast is None:
        return  # a body the fast path leaves to the full parser
    full = parse_lines(body.encode(), precision)  # the fast path, through the public function
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as patched:
        patched.setattr(line_protocol, "fast_items", lambda *_: None)
        slow = parse_lines(body.encode(), precision)
    assert [given_only(i) for i in full.items] == [given_only(i) for i in slow.items]
    try:
        expected = validated(slow.items)
    except (InvalidInput, ConflictingReading) as refused:
        with pytest.raises(type(refused)):
            validated(full.items)
        return
    assert validated(full.items) == expected


@pytest.mark.parametrize(
    "body",
    [
        "climate,host=gw,room=a,sensor=s temperature=21.5 1709251200000000000\n" * 3,
        "c,room=a value=1 1709251200000000000\nc,room=b value=2 1709251200000000000",
    ],
)
def test_plain_bodies_take_the_fast_path(body: str) -> None:
    assert fast_items(body, 10**9, line_protocol._target_of) is not None


def test_a_body_of_one_series_is_checked_as_columns_without_an_item_a_reading() -> None:
    body = "".join(f"t,room=lab,unit=F temperature={70 + i / 10} {1709251200 + 60 * i}\n"
                   for i in range(50))  # fmt: skip
    items = parse_lines(body.encode(), "s").items
    assert isinstance(items, SeriesItems)
    readings = validated(list(items))  # the same raw items, through the generic path
    items = parse_lines(body.encode(), "s").items
    assert validated(items) == readings
    assert items._items is None  # no raw item was made
    assert readings[1] == Reading("lab", None, 1709251260000, (70.1 - 32.0) * 5.0 / 9.0)


@pytest.mark.parametrize(
    "body",
    [
        "t,room=a value=1\nt,room=a value=2 200 300\n",  # no timestamp, then two: spaces 1 + 3
        "t,room=a value=1 100\nt,room=a value=2  200\n",
        "t,room=a value=1\t100\n",
        "t,room=a value=1 100\nt,room=a value=2 \n",
        "t,room=a value= 100\n",
        "t,room=a value=1,humidity=2 100\n",
        "t,room=a value=1 100\n\n",
        f"t,room=a value=1 {'9' * 400}\n",
    ],
)
def test_lines_the_one_series_path_cannot_read_go_to_the_full_parser(body: str) -> None:
    assert not isinstance(fast_items(body, 1, line_protocol._target_of), SeriesItems)


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


@pytest.mark.parametrize("fields", ["value=1", "value=1,humidity=40"], ids=["series", "full"])
def test_a_timestamp_no_float_holds_names_its_line(fields: str) -> None:
    """It was an OverflowError (a 500) in the full parser with any precision but seconds."""
    body = f"t,room=a {fields} {'9' * 400}\n".encode()
    with pytest.raises(InvalidInput) as refused:
        parse_lines(body, "ns")
    assert "line 1" in refused.value.problems[0].msg
    assert "out of range" in refused.value.problems[0].msg
