"""Readings files (CSV or NDJSON, the import formats): read in batches that keep their line
numbers, written back in the same format so an export re-imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from roomtemp.ingest.formats import CSV_COLUMNS, REQUIRED_CSV_COLUMNS

FORMATS = ("csv", "ndjson")
_EXTENSIONS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
_CONTENT_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}


class TransferError(Exception):
    """An import or export stopped; the message says where and why."""


@dataclass(frozen=True)
class Chunk:
    """One batch of a file: the request body and the file line of each of its readings."""

    lines: list[int]
    body: bytes
    content_type: str


def check_format(given: str) -> str:
    """`given` if it is `csv` or `ndjson`, else TransferError."""
    if given not in FORMATS:
        raise TransferError(f"unknown format {given!r}: use csv or ndjson")
    return given


def file_format(path: Path, given: str | None) -> str:
    """`csv` or `ndjson`: as given, else from the file's extension."""
    if given is not None:
        return check_format(given)
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


def row_writer(fmt: str, out: IO[str]) -> Callable[[Mapping[str, object]], object]:
    """Writes rows of the import format to `out`: after a CSV header, or one JSON object a line."""
    if fmt == "ndjson":
        return lambda row: out.write(orjson.dumps(row).decode() + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    return lambda row: writer.writerow(_csv_cell(row[column]) for column in CSV_COLUMNS)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)
