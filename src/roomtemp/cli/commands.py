"""What the simulate, import and export commands do: progress bars, messages, exit codes.

The work itself lives in simulate.py (the sensor model), feed.py and transfer.py; this module
only wires them to a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from roomtemp.cli.client import ApiClient, ApiError
from roomtemp.cli.feed import LiveFeed, Totals, backfill, describe_rooms
from roomtemp.cli.room_model import Simulation
from roomtemp.cli.transfer import (
    ExportQuery,
    TransferError,
    count_lines,
    file_format,
)
from roomtemp.cli.transfer import export as export_readings
from roomtemp.cli.transfer import import_file as import_readings
from roomtemp.timeparse import format_timestamp, parse_duration, parse_timestamp

log = logging.getLogger("roomtemp.cli")
_console = Console(stderr=True)


def log_to_stderr() -> None:
    """Show roomtemp's INFO logs on stderr, above the progress bars (once per process)."""
    logger = logging.getLogger("roomtemp")
    logger.setLevel(logging.INFO)
    if not any(isinstance(handler, RichHandler) for handler in logger.handlers):
        logger.addHandler(RichHandler(console=_console, show_path=False, log_time_format="%X"))


@dataclass(frozen=True)
class SimulateOptions:
    rooms: int
    seed: int
    interval: str
    backfill: str | None
    end: str | None
    live: bool
    duration: str | None
    describe: bool
    prefix: str
    batch_size: int


def simulate(options: SimulateOptions, client: ApiClient) -> None:
    """Describe the rooms, write history if asked, then push live if asked."""
    simulation = Simulation(
        options.seed, options.rooms, _duration_ms(options.interval, "--interval"), options.prefix
    )
    with client, _failures_exit():
        if options.describe:
            describe_rooms(client, simulation)
        if options.backfill is not None:
            _backfill(client, simulation, options)
        if options.live:
            _live(client, simulation, options)


def _backfill(client: ApiClient, simulation: Simulation, options: SimulateOptions) -> None:
    assert options.backfill is not None
    end_ms = _instant_ms(options.end, "--end") if options.end else round(time.time() * 1000)
    start_ms = end_ms - _duration_ms(options.backfill, "--backfill")
    steps = simulation.grid_times(start_ms, end_ms)
    log.info(
        "backfilling %d rooms from %s to %s (%d steps)",
        len(simulation.profiles),
        format_timestamp(start_ms),
        format_timestamp(end_ms),
        steps,
    )
    with _progress() as progress:
        most = steps * sum(len(profile.sensors) for profile in simulation.profiles)
        task = progress.add_task("backfill", total=most)
        totals = backfill(
            client,
            simulation,
            start_ms,
            end_ms,
            batch_size=options.batch_size,
            on_progress=lambda sent: progress.advance(task, sent),
        )
        progress.update(task, total=totals.sent)  # sensors dropped out now and then
    _report("backfill", totals)


def _live(client: ApiClient, simulation: Simulation, options: SimulateOptions) -> None:
    until_ms = None
    if options.duration is not None:
        until_ms = round(time.time() * 1000) + _duration_ms(options.duration, "--duration")
    log.info(
        "pushing %d rooms to %s every %s%s",
        len(simulation.profiles),
        client.url,
        options.interval,
        f" for {options.duration}" if options.duration else " (Ctrl-C stops)",
    )
    feed = LiveFeed(client, simulation, until_ms=until_ms, batch_size=options.batch_size)
    try:
        feed.run()
    except KeyboardInterrupt:
        log.info("stopped")
    _report("live", feed.totals)


def _report(what: str, totals: Totals) -> None:
    typer.echo(
        f"{what}: sent {totals.sent} readings in {totals.requests} requests: "
        f"{totals.accepted} new, {totals.duplicates} duplicates, {totals.failed} failed",
        err=True,
    )
    if totals.failed:
        raise typer.Exit(1)


def import_file(path: Path, given_format: str | None, client: ApiClient, batch_size: int) -> None:
    """Import a file, with a progress bar; a clear message and exit code 1 when a row is bad."""
    with client, _failures_exit():
        fmt = file_format(path, given_format)
        total = count_lines(path) - (1 if fmt == "csv" else 0)
        with _progress() as progress:
            task = progress.add_task(f"import {path.name}", total=max(total, 0))
            result = import_readings(
                client,
                path,
                fmt,
                batch_size=batch_size,
                on_progress=lambda rows: progress.advance(task, rows),
            )
    typer.echo(
        f"imported {result.rows} rows from {path}: {result.accepted} new, "
        f"{result.duplicates} duplicates",
        err=True,
    )


def export(query: ExportQuery, fmt: str, output: Path | None, client: ApiClient) -> None:
    """Export to a file or stdout; the progress bar only when writing a file."""
    with client, _failures_exit():
        if fmt not in ("csv", "ndjson"):
            raise TransferError(f"unknown format {fmt!r}: use csv or ndjson")
        if output is None:
            written = export_readings(client, query, fmt, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as out, _progress() as progress:
                task = progress.add_task(f"export {query.room_id}", total=None)
                written = export_readings(
                    client, query, fmt, out, lambda rows: progress.advance(task, rows)
                )
    typer.echo(f"exported {written} readings of {query.room_id}", err=True)


@contextmanager
def _failures_exit() -> Iterator[None]:
    try:
        yield
    except (ApiError, TransferError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def _progress() -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console) as progress:
        yield progress


def _duration_ms(text: str, option: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _instant_ms(text: str, option: str) -> int:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
