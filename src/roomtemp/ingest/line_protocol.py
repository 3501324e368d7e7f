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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from roomtemp.errors import InvalidInput, Problem
from roomtemp.ingest.line_fast import NUMBER_CHARACTERS, fast_items

PRECISIONS = {"ns": 10**9, "us": 10**6, "ms": 10**3, "s": 1}
"""Timestamp precision -> how many units make a second. InfluxDB 1's names (`n`, `u`, `ms`,
`s`) are mapped onto these by `precision_of`."""
_V1_PRECISIONS = {"n": "ns", "u": "us", "ms": "ms", "s": "s", "ns": "ns", "us": "us"}
_READING_FIELDS = {
    "temperature": (0, None),
    "value": (1, None),
    "celsius": (2, None),
    "fahrenheit": (3, "fahrenheit"),
    "kelvin": (4, "kelvin"),
}
"""Field names that hold a reading -> (preference, unit they imply; None: the `unit` tag's)."""
_BOOLEANS = frozenset(("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"))
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

    items: Sequence[dict[str, object]]
    lines: Sequence[int]
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
    per_second = PRECISIONS[precision]
    found = fast_items(text, per_second, _target_of)
    if found is not None:
        return LineBatch(found, range(1, len(found) + 1), 0)
    targets: dict[str, Target | None] = {}
    items: list[dict[str, object]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    ignored = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line[-1:] == "\r":
            line = line[:-1]
        if not line or (line[0] in "# \t" and (not line.strip() or line.lstrip()[0] == "#")):
            continue
        try:
            item = _reading(line, targets, per_second)
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


Target = tuple[str, str | None, str | None]
"""What a series key (measurement and tags) says: room, sensor and `unit` tag."""
Field = tuple[str, object]


def _reading(
    line: str, targets: dict[str, Target | None], per_second: int
) -> dict[str, object] | None:
    """The raw reading of one line, None for a point that is not one; ValueError naming what is
    wrong. A batch repeats few series keys, so each key's tags are read once (`targets`)."""
    if "\\" in line or '"' in line:
        tags, fields, stamp = _escaped_point(line)
        target = _target_of(tags)
    else:
        key, _, rest = line.partition(" ")
        fields_text, _, stamp = rest.partition(" ")
        if not key or not fields_text or " " in stamp:
            raise ValueError(_shape_error(line))
        if key in targets:
            target = targets[key]
        else:
            target = targets[key] = _target_of(key)
        fields = [_field(text) for text in fields_text.split(",")]
    picked = _reading_field(fields)
    if target is None or picked is None:
        return None
    return {
        "room_id": target[0],
        "sensor_id": target[1],
        "value": picked[0],
        "unit": picked[1] or target[2],
        "timestamp": _seconds(stamp, per_second) if stamp else None,
    }


def _reading_field(fields: Iterable[Field]) -> tuple[object, str | None] | None:
    """The value of the preferred numeric reading field, and the unit its name implies."""
    rank, picked = len(_READING_FIELDS), None
    for name, value in fields:  # every field is parsed, so a bad one is found
        known = _READING_FIELDS.get(name)
        if known is not None and known[0] < rank and type(value) in (int, float):
            rank, picked = known[0], (value, known[1])
    return picked


def _target_of(key: str | dict[str, str]) -> Target | None:
    """Room, sensor and unit from a series key's tags (already parsed, for an escaped line)."""
    tags = key if isinstance(key, dict) else _tags(key)
    room = tags.get("room", tags.get("room_id"))
    if room is None:
        return None
    return room, tags.get("sensor", tags.get("sensor_id")), tags.get("unit")


def _tags(key: str) -> dict[str, str]:
    names = key.split(",")
    if not names[0]:
        raise ValueError("the line starts without a measurement")
    tags = {}
    for tag in names[1:]:
        name, _, value = tag.partition("=")
        if not name or not value:
            raise ValueError(f"tag {tag!r} is not key=value")
        tags[name] = value
    return tags


def _field(text: str) -> Field:
    name, _, value = text.partition("=")
    if not name or not value:
        raise ValueError(f"field {text!r} is not key=value")
    return name, _field_value(value)


def _escaped_point(line: str) -> tuple[dict[str, str], list[Field], str | None]:
    match = _LINE.fullmatch(line)
    if match is None:
        raise ValueError(_shape_error(line))
    tags = {_unescape(k): _unescape(v) for k, v in _TAG.findall(match["tags"])}
    fields = [(_unescape(k), _field_value(v)) for k, v in _FIELD.findall(match["fields"])]
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
    if not text.strip(NUMBER_CHARACTERS):  # float() alone would take inf, nan, 1_000
        try:
            return float(text)
        except ValueError:
            pass
    raise ValueError(f"field value {text!r} is not a number, boolean or string")


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


def _seconds(stamp: str, per_second: int) -> int | float:
    """A timestamp in epoch seconds (validation rounds it to the millisecond)."""
    digits = stamp[1:] if stamp[0] == "-" else stamp
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"timestamp {stamp!r} is not an integer")
    whole = int(stamp)
    try:
        return whole if per_second == 1 else whole / per_second
    except OverflowError:  # an integer no float holds: no time roomtemp could store
        raise ValueError(f"timestamp {stamp!r} is out of range") from None
