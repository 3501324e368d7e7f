"""`roomtemp import` and `roomtemp export`: readings between files and a server.

An import is re-runnable: a reading's identity is (room, sensor, timestamp), so whatever a
previous run stored comes back as duplicates. Each batch is atomic on the server; a bad row stops
the import at its batch, and the error names the row's line in the file. An export pages through
a room's raw readings and writes them in the import format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from roomtemp.cli import console
from roomtemp.cli.client import DEFAULT_URL, ApiClient, ApiError
from roomtemp.cli.files import (
    Chunk,
    TransferError,
    check_format,
    chunks,
    count_lines,
    file_format,
    row_writer,
)
from roomtemp.cli.options import BatchSize, Token, Url
from roomtemp.units import parse_unit

_SHOWN_PROBLEMS = 20


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or NDJSON file")],
    given_format: Annotated[
        str | None, typer.Option("--format", help="csv or ndjson (default: by extension)")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    batch_size: BatchSize = 5000,
) -> None:
    """Import readings from a CSV (room_id,value,timestamp,unit,sensor_id,raw_value) or NDJSON
    file."""
    console.log_to_stderr()
    with ApiClient(url, token=token) as client, console.failures_exit():
        result = _import_with_progress(client, file, given_format, batch_size)
    typer.echo(
        f"imported {result.rows} rows from {file}: {result.accepted} new, "
        f"{result.duplicates} duplicates",
        err=True,
    )


def export_command(
    room: Annotated[str, typer.Option(help="the room to export")],
    start: Annotated[
        str | None, typer.Option(help="RFC 3339 or epoch s; default: end - 24 h")
    ] = None,
    end: Annotated[str | None, typer.Option(help="RFC 3339 or epoch s; default now")] = None,
    given_format: Annotated[str, typer.Option("--format", help="csv or ndjson")] = "csv",
    output: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
    unit: Annotated[str, typer.Option(help="celsius, fahrenheit or kelvin")] = "celsius",
    sensor: Annotated[str | None, typer.Option(help="only this sensor")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    page_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="readings fetched per request")
    ] = 10_000,
) -> None:
    """Export a room's readings in [start, end) as CSV or NDJSON (the import formats)."""
    console.log_to_stderr()
    query = ExportQuery(room, start, end, sensor, unit, page_size)
    with ApiClient(url, token=token) as client, console.failures_exit():
        written = _export_to(client, query, check_format(given_format), output)
    typer.echo(f"exported {written} readings of {query.room_id}", err=True)


@dataclass
class ImportResult:
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0


def _import_with_progress(
    client: ApiClient, path: Path, given_format: str | None, batch_size: int
) -> ImportResult:
    fmt = file_format(path, given_format)
    total = count_lines(path) - (1 if fmt == "csv" else 0)
    with console.progress() as bar:
        task = bar.add_task(f"import {path.name}", total=max(total, 0))
        return import_file(
            client, path, fmt, batch_size=batch_size, on_progress=lambda n: bar.advance(task, n)
        )


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


def _export_to(client: ApiClient, query: ExportQuery, fmt: str, output: Path | None) -> int:
    """Export to a file or stdout; the progress bar only when writing a file."""
    if output is None:
        return export(client, query, fmt, sys.stdout)
    with output.open("w", encoding="utf-8", newline="") as out, console.progress() as bar:
        task = bar.add_task(f"export {query.room_id}", total=None)
        return export(client, query, fmt, out, lambda rows: bar.advance(task, rows))


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
    """Write the readings in the import format (CSV header or NDJSON), so exports re-import: each
    with its value as sent (`raw_value`), so that an import stores it as it was (no offset of
    the receiving sensor added, the value as sent kept where it differs)."""
    unit = parse_unit(query.unit).value
    write = row_writer(fmt, out)
    written = 0
    for page in pages(client, query):
        for reading in page:
            write(
                {
                    "room_id": query.room_id,
                    "value": reading["value"],
                    "timestamp": reading["timestamp"],
                    "unit": unit,
                    "sensor_id": reading["sensor_id"],
                    "raw_value": reading.get("raw_value", reading["value"]),
                }
            )
        written += len(page)
        on_progress(len(page))
    return written
