"""Moving readings between files and a server: import CSV/NDJSON in batches, export by pages.

An import is re-runnable: a reading's identity is (room, sensor, timestamp), so whatever a
previous run stored comes back as duplicates. Each batch is atomic on the server; a bad row stops
the import at its batch, and the error names the row's line in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from roomtemp.cli.client import ApiClient, ApiError
from roomtemp.ingest_formats import CSV_COLUMNS, REQUIRED_CSV_COLUMNS
from roomtemp.units import parse_unit

FORMATS = ("csv", "ndjson")
_EXTENSIONS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
_CONTENT_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}
_SHOWN_PROBLEMS = 20


class TransferError(Exception):
    """An import or export stopped; the message says where and why."""


@dataclass(frozen=True)
class Chunk:
    """One batch of a file: the request body and the file line of each of its readings."""

    lines: list[int]
    body: bytes
    content_type: str


@dataclass
class ImportResult:
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0


def file_format(path: Path, given: str | None) -> str:
    """`csv` or `ndjson`: as given, else from the file's extension."""
    if given is not None:
        if given not in FORMATS:
            raise TransferError(f"unknown format {given!r}: use csv or ndjson")
        return given
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise TransferError(
            f"cannot tell the format of {path.name} from its extension: "
            "name it .csv, .ndjson or .jsonl, or pass --format"
        )
    return found


def count_lines(path: Path) -> int:
    """Lines in a file, read fast in binary (for progress bars)."""
    with path.open("rb") as stream:
        return sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))


def chunks(path: Path, fmt: str, batch_size: int) -> Iterator[Chunk]:
    """Batches of at most `batch_size` readings; rows that cannot be parsed stop with their line."""
    with path.open("r", encoding="utf-8-sig", newline="") as stream:
        yield from (_csv_chunks if fmt == "csv" else _ndjson_chunks)(stream, path, batch_size)


def _csv_chunks(stream: IO[str], path: Path, batch_size: int) -> Iterator[Chunk]:
    reader = csv.reader(stream)
    header = _csv_header(reader, path)
    lines: list[int] = []
    rows: list[list[str]] = []
    consumed = reader.line_num
    try:
        for row in reader:
            first_line, consumed = consumed + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise TransferError(
                    f"{path}:{first_line}: {len(row)} cells, the header has {len(header)}"
                )
            lines.append(first_line)
            rows.append(row)
            if len(rows) == batch_size:
                yield _csv_chunk(header, rows, lines)
                lines, rows = [], []
    except csv.Error as exc:
        raise TransferError(f"{path}:{consumed + 1}: malformed CSV: {exc}") from None
    if rows:
        yield _csv_chunk(header, rows, lines)


def _csv_header(reader: Any, path: Path) -> list[str]:
    header = [cell.strip() for cell in next(reader, [])]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in header]
    if not header or unknown or missing:
        raise TransferError(
            f"{path}:1: header {','.join(header)!r} is not valid: columns are "
            f"{','.join(CSV_COLUMNS)} (room_id and value required)"
        )
    return header


def _csv_chunk(header: list[str], rows: list[list[str]], lines: list[int]) -> Chunk:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Chunk(lines, out.getvalue().encode(), _CONTENT_TYPES["csv"])


def _ndjson_chunks(stream: IO[str], path: Path, batch_size: int) -> Iterator[Chunk]:
    lines: list[int] = []
    texts: list[str] = []
    for line_number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            item = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise TransferError(f"{path}:{line_number}: not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise TransferError(f"{path}:{line_number}: expected a JSON object, one a line")
        lines.append(line_number)
        texts.append(text.rstrip("\r\n"))
        if len(texts) == batch_size:
            yield Chunk(lines, "\n".join(texts).encode(), _CONTENT_TYPES["ndjson"])
            lines, texts = [], []
    if texts:
        yield Chunk(lines, "\n".join(texts).encode(), _CONTENT_TYPES["ndjson"])


def import_file(
    client: ApiClient,
    path: Path,
    fmt: str,
    *,
    batch_size: int = 5000,
    on_progress: Callable[[int], None] = lambda rows: None,
) -> ImportResult:
    """Send a file batch by batch; TransferError names the line of a bad row and what is stored."""
    result = ImportResult()
    for chunk in chunks(path, fmt, batch_size):
        try:
            answer = client.post_readings(chunk.body, chunk.content_type)
        except ApiError as exc:
            raise TransferError(_rejected(path, chunk, exc, result)) from None
        result.rows += len(chunk.lines)
        result.accepted += int(answer["accepted"])
        result.duplicates += int(answer["duplicates"])
        on_progress(len(chunk.lines))
    return result


def _rejected(path: Path, chunk: Chunk, exc: ApiError, done: ImportResult) -> str:
    span = f"lines {chunk.lines[0]}-{chunk.lines[-1]}"
    stored = (
        f"{done.rows} rows before line {chunk.lines[0]} went through "
        f"({done.accepted} new, {done.duplicates} duplicates)"
        if done.rows
        else "nothing was stored"
    )
    if exc.status == 422 and isinstance(exc.detail, list):
        problems = [_problem(path, chunk, problem) for problem in exc.detail]
        shown = problems[:_SHOWN_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        reason = "\n".join(shown)
    elif exc.status == 413:
        reason = f"{path}: {span}: {exc.detail}; use a smaller --batch-size"
    else:
        reason = f"{path}: {span}: {exc}"
    return f"{reason}\nthe batch of {span} was not stored; {stored}"


def _problem(path: Path, chunk: Chunk, problem: dict[str, Any]) -> str:
    loc = [part for part in problem.get("loc", []) if part != "body"]
    where = f"{path}"
    if loc and isinstance(loc[0], int) and 0 <= loc[0] < len(chunk.lines):
        where = f"{path}:{chunk.lines[loc[0]]}"
        loc = loc[1:]
    field = f" {'.'.join(str(part) for part in loc)}:" if loc else ""
    return f"{where}:{field} {problem.get('msg', problem)}"


@dataclass(frozen=True)
class ExportQuery:
    """Which readings to export: one room, a range, an optional sensor, the output unit."""

    room_id: str
    start: str | None = None
    end: str | None = None
    sensor_id: str | None = None
    unit: str = "celsius"
    page_size: int = 10_000


def pages(client: ApiClient, query: ExportQuery) -> Iterator[list[dict[str, Any]]]:
    """Every page of raw readings, following `next_cursor` until it is null."""
    params: dict[str, str | int] = {"limit": query.page_size, "unit": query.unit}
    for name in ("start", "end", "sensor_id"):
        value = getattr(query, name)
        if value is not None:
            params[name] = value
    path = f"/api/v1/rooms/{query.room_id}/readings"
    while True:
        try:
            page = client.get_json(path, params)
        except ApiError as exc:
            raise TransferError(str(exc)) from None
        yield page["readings"]
        if page.get("next_cursor") is None:
            return
        params["cursor"] = page["next_cursor"]


def export(
    client: ApiClient,
    query: ExportQuery,
    fmt: str,
    out: IO[str],
    on_progress: Callable[[int], None] = lambda rows: None,
) -> int:
    """Write the readings in the import format (CSV header or NDJSON), so exports re-import."""
    unit = parse_unit(query.unit).value
    writer = csv.writer(out, lineterminator="\n")
    if fmt == "csv":
        writer.writerow(CSV_COLUMNS)
    written = 0
    for page in pages(client, query):
        for reading in page:
            row = {
                "room_id": query.room_id,
                "value": reading["value"],
                "timestamp": reading["timestamp"],
                "unit": unit,
                "sensor_id": reading["sensor_id"],
            }
            if fmt == "csv":
                writer.writerow(_csv_cell(row[column]) for column in CSV_COLUMNS)
            else:
                out.write(orjson.dumps(row).decode() + "\n")
        written += len(page)
        on_progress(len(page))
    return written


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)
