"""InfluxDB line protocol to raw readings: what Telegraf, InfluxDB client libraries and many
gateways send.

`measurement[,tag=value...] field=value[,field=value...] [timestamp]`, one point a line. A point
is a reading when it has a `room` (or `room_id`) tag and a numeric field `temperature`, `value`
or `celsius` (degrees Celsius unless a `unit` tag says otherwise), `fahrenheit` or `kelvin` (the
first of these in that order); a `sensor` (or `sensor_id`) tag names the sensor. Other points are
ignored and counted. Problems name the line (1-based) and quote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from roomtemp.errors import InvalidInput, Problem

PRECISIONS = {"ns": 1_000_000, "us": 1_000, "ms": 1, "s": None}
"""Timestamp precision -> how many units make a millisecond (None: seconds, kept as they are).
InfluxDB 1's names (`n`, `u`, `ms`, `s`) are mapped onto these by `precision_of`."""
_V1_PRECISIONS = {"n": "ns", "u": "us", "ms": "ms", "s": "s", "ns": "ns", "us": "us"}
_READING_FIELDS = (
    ("temperature", None),
    ("value", None),
    ("celsius", None),
    ("fahrenheit", "fahrenheit"),
    ("kelvin", "kelvin"),
)
_BOOLEANS = frozenset(("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"))
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_KEY = r"(?:[^,= \\]|\\.)+"
_FIELD_VALUE = r'(?:"(?:[^"\\]|\\.)*"|[^, "]+)'
_LINE = re.compile(
    rf"(?P<measurement>(?:[^, \\]|\\.)+)(?P<tags>(?:,{_KEY}={_KEY})*) "
    rf"(?P<fields>{_KEY}={_FIELD_VALUE}(?:,{_KEY}={_FIELD_VALUE})*)(?: (?P<stamp>-?\d+))?"
)
_TAG = re.compile(rf"({_KEY})=({_KEY})")
_FIELD = re.compile(rf"({_KEY})=({_FIELD_VALUE})")
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class LineBatch:
    """The readings of a body, the line each came from (to name it in errors), and how many
    points were not readings."""

    items: list[dict[str, object]]
    lines: list[int]
    ignored: int


def precision_of(text: str | None, *, v1: bool = False) -> str:
    """A `precision` parameter checked: ns (the default), us, ms, s; v1 also takes n, u."""
    if text is None or text == "":
        return "ns"
    found = _V1_PRECISIONS.get(text) if v1 else (text if text in PRECISIONS else None)
    if found is None:
        allowed = "n, u, ms, s" if v1 else "ns, us, ms, s"
        raise InvalidInput.single(("precision",), f"precision {text!r} is not one of {allowed}")
    return found


def parse_lines(body: bytes, precision: str = "ns") -> LineBatch:
    """Every point of a body; InvalidInput listing each bad line (located at the body, `()`)."""
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput.single((), f"body is not UTF-8: {exc}") from None
    per_ms = PRECISIONS[precision]
    items: list[dict[str, object]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    ignored = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = _reading(*_point(line), per_ms)
        except ValueError as exc:
            problems.append(Problem((), f"{name_line(number, line)}: {exc}"))
            continue
        if item is None:
            ignored += 1
        else:
            items.append(item)
            numbers.append(number)
    if problems:
        raise InvalidInput(problems)
    return LineBatch(items, numbers, ignored)


def name_line(number: int, line: str) -> str:
    """How errors name a line: its number and its start."""
    shown = line if len(line) <= 80 else line[:77] + "..."
    return f"line {number} ({shown!r})"


def on_lines(problems: list[Problem], batch: LineBatch, body: bytes) -> InvalidInput:
    """Validation problems of a batch's readings (located by reading index) named by line."""
    text = body.decode().split("\n")
    located = []
    for problem in problems:
        index, *rest = problem.loc
        number = batch.lines[index] if isinstance(index, int) else 0
        field = ".".join(map(str, rest))
        where = name_line(number, text[number - 1].rstrip("\r")) if number else "body"
        located.append(Problem((), f"{where}: {field}: {problem.msg}", problem.type))
    return InvalidInput(located)


Point = tuple[dict[str, str], dict[str, object], str | None]


def _point(line: str) -> Point:
    """Tags, fields and timestamp text of one line; ValueError naming what is wrong."""
    if "\\" in line or '"' in line:
        return _escaped_point(line)
    key, _, rest = line.partition(" ")
    fields_text, _, stamp = rest.partition(" ")
    names = key.split(",")
    if not names[0] or not fields_text or " " in stamp:
        raise ValueError(_shape_error(line))
    tags = {}
    for tag in names[1:]:
        name, _, value = tag.partition("=")
        if not name or not value:
            raise ValueError(f"tag {tag!r} is not key=value")
        tags[name] = value
    fields: dict[str, object] = {}
    for field in fields_text.split(","):
        name, _, value = field.partition("=")
        if not name or not value:
            raise ValueError(f"field {field!r} is not key=value")
        fields[name] = _field_value(value)
    return tags, fields, stamp or None


def _escaped_point(line: str) -> Point:
    match = _LINE.fullmatch(line)
    if match is None:
        raise ValueError(_shape_error(line))
    tags = {_unescape(k): _unescape(v) for k, v in _TAG.findall(match["tags"])}
    fields = {_unescape(k): _field_value(v) for k, v in _FIELD.findall(match["fields"])}
    return tags, fields, match["stamp"]


def _shape_error(line: str) -> str:
    if " " not in line.strip():
        return "no field set: a point is `measurement[,tag=value] field=value [timestamp]`"
    return "not `measurement[,tag=value...] field=value[,field=value...] [timestamp]`"


def _field_value(text: str) -> object:
    """A field's value: float, integer (`1i`), unsigned (`1u`), boolean or string."""
    last = text[-1]
    if last in "iu" and text[:-1].lstrip("-").isdigit():
        if last == "u" and text.startswith("-"):
            raise ValueError(f"unsigned field value {text!r} is negative")
        return int(text[:-1])
    if text[0] == '"':  # only the escaped-line path sees quotes, its pattern closed them
        return _unescape(text[1:-1])
    if text in _BOOLEANS:
        return text[0] in "tT"
    if _NUMBER.fullmatch(text) is None:
        raise ValueError(f"field value {text!r} is not a number, boolean or string")
    return float(text)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


def _reading(
    tags: dict[str, str], fields: dict[str, object], stamp: str | None, per_ms: int | None
) -> dict[str, object] | None:
    """The raw reading of a point, or None when the point is not one."""
    room = tags.get("room", tags.get("room_id"))
    if room is None:
        return None
    for name, unit in _READING_FIELDS:
        value = fields.get(name)
        if type(value) in (float, int):
            return {
                "room_id": room,
                "sensor_id": tags.get("sensor", tags.get("sensor_id")),
                "value": value,
                "unit": unit or tags.get("unit"),
                "timestamp": _seconds(stamp, per_ms),
            }
    return None


def _seconds(stamp: str | None, per_ms: int | None) -> int | float | None:
    """A timestamp in epoch seconds, truncated to the millisecond roomtemp stores."""
    if stamp is None:
        return None
    whole = int(stamp)
    if per_ms is None:
        return whole
    return (whole // per_ms) / 1000
