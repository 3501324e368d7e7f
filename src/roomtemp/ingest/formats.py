"""Bodies to readings as sent: JSON (object or array), CSV and NDJSON.

Parsing problems are InvalidInput located by the item's index (or at the whole body: `()`),
like validation problems; the caller says where the body came from.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from roomtemp.columns import decode_json
from roomtemp.errors import InvalidInput, Problem, TooLarge

CSV_COLUMNS = ("room_id", "value", "timestamp", "unit", "sensor_id", "raw_value")
REQUIRED_CSV_COLUMNS = ("room_id", "value")
CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
MEDIA_TYPES = ("application/json", *CSV_TYPES, *NDJSON_TYPES)
"""The media types parse_body takes (a body without one is JSON)."""


def parse_body(
    body: bytes, content_type: str, max_items: int, *, room_in_path: bool = False
) -> tuple[list[Any], bool]:
    """Parse a body by its media type into raw items (validated later, see validation.py);
    returns the items and whether the body was a list (errors are then located by index).
    With `room_in_path` the request names the room, so a CSV body needs no room_id column.
    A JSON body of well-typed readings comes back as typed items (columns.TypedItems)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in CSV_TYPES:
        return _checked(parse_csv(_text(body), room_in_path=room_in_path), max_items), True
    if media in NDJSON_TYPES:
        return _checked(parse_ndjson(body), max_items), True
    typed = decode_json(body)  # the fast path: typed items, validated as columns
    if typed is not None:
        items, is_list = typed
        return (_checked(items, max_items) if is_list else items), is_list
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.single((), f"body is not valid JSON: {exc}") from None
    if isinstance(document, list):
        return _checked(document, max_items), True
    return [document], False


def _checked(items: list[Any], max_items: int) -> list[Any]:
    if len(items) > max_items:
        raise TooLarge(
            f"{len(items)} readings in one request, more than the limit of {max_items}; "
            "split the batch"
        )
    if not items:
        raise InvalidInput.single((), "no readings: send at least one")
    return items


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single((), f"body is not UTF-8: {exc}") from None


def parse_csv(text: str, *, room_in_path: bool = False) -> list[dict[str, str | None]]:
    """CSV with a header naming columns of `room_id,value,timestamp,unit,sensor_id,raw_value`.

    Only `room_id` and `value` are required (`value` alone with `room_in_path`); empty cells mean
    "not given".
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise InvalidInput.single((), "CSV body is empty: send a header line") from None
    except csv.Error as exc:
        raise InvalidInput.single((), f"CSV header is malformed: {exc}") from None
    _check_header(header, ("value",) if room_in_path else REQUIRED_CSV_COLUMNS)
    items: list[dict[str, str | None]] = []
    problems: list[Problem] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    Problem(
                        (len(items),),
                        f"line {reader.line_num}: {len(row)} cells, the header has {len(header)}",
                    )
                )
            items.append(
                {col: (cell.strip() or None) for col, cell in zip(header, row, strict=False)}
            )
    except csv.Error as exc:
        problems.append(Problem((len(items),), f"line {reader.line_num}: {exc}"))
    if problems:
        raise InvalidInput(problems)
    return items


def _check_header(header: list[str], required: tuple[str, ...]) -> None:
    unknown = [col for col in header if col not in CSV_COLUMNS]
    missing = [col for col in required if col not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise InvalidInput.single(
            (),
            f"CSV header {','.join(header)!r} is not valid: columns are "
            f"{','.join(CSV_COLUMNS)} ({' and '.join(required)} required, each at most once)",
        )


def parse_ndjson(body: bytes) -> list[Any]:
    """One JSON object a line; blank lines are skipped."""
    items: list[Any] = []
    problems: list[Problem] = []
    for line_number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            problems.append(Problem((len(items),), f"line {line_number}: not JSON: {exc}"))
            items.append(None)
    if problems:
        raise InvalidInput(problems)
    return items
