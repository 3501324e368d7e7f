"""The terminal side of the commands: logs on stderr, progress bars, failures as exit codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

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

from roomtemp.cli.client import ApiError
from roomtemp.cli.files import TransferError

_console = Console(stderr=True)


def log_to_stderr() -> None:
    """Show roomtemp's INFO logs on stderr, above the progress bars (once per process)."""
    logger = logging.getLogger("roomtemp")
    logger.setLevel(logging.INFO)
    if not any(isinstance(handler, RichHandler) for handler in logger.handlers):
        logger.addHandler(RichHandler(console=_console, show_path=False, log_time_format="%X"))


@contextmanager
def failures_exit() -> Iterator[None]:
    """A refused request or a stopped transfer: its message on stderr and exit code 1."""
    try:
        yield
    except (ApiError, TransferError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def progress() -> Iterator[Progress]:
    """A progress bar on stderr: done of total, percentage, elapsed and remaining time."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console) as bar:
        yield bar
