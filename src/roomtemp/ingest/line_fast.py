"""The fast path of line protocol: a body of plain reading lines turned into JSON with C-level
string operations (replace, translate, split, join, map over str methods) and parsed by orjson,
so no Python code runs per line. A body of one series (one device's backlog, a Telegraf batch
of one sensor) becomes one array of numbers, its values and timestamps, and so that series'
columns (columns.SeriesItems), which validation checks without a raw item per reading; others
become one array of raw readings, which orjson builds as it does for a JSON body.

It takes bodies where every line is `<series key> <field>=<number> <timestamp>` with one
reading field (`temperature`, `value` or `celsius`, the same on every line), a number JSON can
write, a non-negative
integer timestamp and nothing escaped or quoted. Each distinct series key is read once by the
full parser's own tag reader. Any other body returns None and the full parser
(line_protocol.py), the authority, reads it; a test checks that both give the same readings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import orjson

from roomtemp.columns import Series, SeriesItems

Target = tuple[str, str | None, str | None]
_FIELDS = frozenset(("temperature", "value", "celsius"))
NUMBER_CHARACTERS = "0123456789.eE+-"
"""What a plain number's text may hold (the full parser checks fields with it too)."""
_NUMBER_CHARACTERS = frozenset(NUMBER_CHARACTERS)
_SUFFIXES = {1: "},", 10**3: "e-3},", 10**6: "e-6},", 10**9: "e-9},"}
"""How a timestamp of each precision is written as epoch seconds: its digits and an exponent."""
_STAMP = ',"timestamp":'
_NOT_NUMBER = str.maketrans("", "", NUMBER_CHARACTERS)
_SERIES_SUFFIXES = {1: ".0,", 10**3: ".0e-3,", 10**6: ".0e-6,", 10**9: ".0e-9,"}
"""How a timestamp of each precision ends as epoch seconds in the series' JSON array, `.0`
first: a timestamp that is not an integer (`1.5.0e-9`) is not JSON."""


def fast_items(
    text: str, per_second: int, target_of: Callable[[str], Target | None]
) -> Sequence[dict[str, Any]] | None:
    """The raw readings of a body of plain reading lines, or None for any other body."""
    if "\\" in text or '"' in text or "\r" in text:
        return None
    one = _one_series(text if text.endswith("\n") else text + "\n", per_second, target_of)
    if one is not None:
        return one
    lines = text.count("\n") + (not text.endswith("\n"))
    tokens = text.split()
    if len(tokens) != 3 * lines or set(map(str.count, text.splitlines(), repeat(" "))) != {2}:
        return None  # not three tokens on every line
    keys, fields, stamps = tokens[0::3], tokens[1::3], tokens[2::3]
    name = fields[0].partition("=")[0]
    start = len(name) + 1
    values = list(map(itemgetter(slice(start, None)), fields))
    digits = "".join(stamps)
    if not (
        name in _FIELDS
        and sum(map(str.startswith, fields, repeat(name + "="))) == lines
        and set("".join(values)) <= _NUMBER_CHARACTERS
        and digits.isascii()
        and digits.isdigit()
    ):
        return None
    prefixes = _prefixes(set(keys), target_of)
    if prefixes is None:
        return None
    suffix = repeat(_SUFFIXES[per_second])
    parts = zip(map(prefixes.__getitem__, keys), values, repeat(_STAMP), stamps, suffix)
    body = "".join(chain.from_iterable(parts))
    try:
        items: list[dict[str, Any]] = orjson.loads(f"[{body[:-1]}]")
    except orjson.JSONDecodeError:  # a number JSON writes otherwise (`01`, `1.`), say
        return None
    return items


def _one_series(
    text: str, per_second: int, target_of: Callable[[str], Target | None]
) -> SeriesItems | None:
    """A body whose lines all are `<the first line's series key> <field>=<number> <digits>`,
    as the columns of its one series: values and timestamps written as one JSON array of
    numbers (value, seconds, value, seconds, ...) for orjson to read."""
    key, _, rest = text.partition(" ")
    field = rest.partition("=")[0]
    marker = f"\n{key} {field}="
    text = "\n" + text
    lines = text.count("\n") - 1
    if field not in _FIELDS or text.count(marker) != lines:
        return None
    text = text.replace(marker, "\n")
    # every line is now value, one space, timestamp: only number characters around it
    if text.translate(_NOT_NUMBER) != "\n" + " \n" * lines:
        return None
    try:
        target = target_of(key)
    except ValueError:
        return None
    if target is None:
        return None
    suffix = _SERIES_SUFFIXES[per_second]
    body = text.replace(" ", ",").replace("\n", suffix)
    try:  # an empty or non-JSON number (`01`, `1.`) or a timestamp not an integer: not JSON
        numbers: list[float] = orjson.loads(f"[{body[len(suffix) : -1]}]")
    except orjson.JSONDecodeError:
        return None
    seconds = numbers[1::2]
    if not math.isfinite(sum(seconds)):
        return None  # a timestamp no float holds: the full parser names its line
    room, sensor, unit = target
    return SeriesItems(Series(room, sensor, unit, numbers[0::2], seconds))


def _prefixes(keys: set[str], target_of: Callable[[str], Target | None]) -> dict[str, str] | None:
    """Each series key's reading as JSON up to its value; None if a key is no reading's."""
    found = {}
    for key in keys:
        try:
            target = target_of(key)
        except ValueError:
            return None
        if target is None:
            return None
        named = zip(("room_id", "sensor_id", "unit"), target, strict=True)
        given = "".join(f'"{name}":{orjson.dumps(part).decode()},' for name, part in named if part)
        found[key] = f'{{{given}"value":'  # absent fields are left out, as JSON senders do
    return found
