"""The `roomtemp` command: serve, simulate, import, export, token."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from roomtemp import __version__
from roomtemp.cli.client import DEFAULT_URL, ApiClient
from roomtemp.cli.token import token_app
from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.security.exposure import check_exposure
from roomtemp.security.tokens import load_tokens

app = typer.Typer(
    help="roomtemp: a room temperature service. Settings come from ROOMTEMP_* variables; "
    "flags override them.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(token_app, name="token")


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit


def _override_environment(**flags: object) -> None:
    """Flags win over ROOMTEMP_* variables; worker processes read them back from the environment."""
    for name, value in flags.items():
        if value is not None:
            os.environ[f"ROOMTEMP_{name.upper()}"] = str(value)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind [ROOMTEMP_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port to bind [ROOMTEMP_PORT]")] = None,
    storage: Annotated[
        str | None, typer.Option(help="storage URL, e.g. sqlite:///./data/roomtemp.sqlite3")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes [ROOMTEMP_WORKERS]")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error")] = None,
    insecure_no_auth: Annotated[
        bool | None,
        typer.Option(
            "--insecure-no-auth",
            help="serve without tokens on a non-loopback address [ROOMTEMP_INSECURE_NO_AUTH]",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (and /docs, /metrics) until interrupted."""
    import uvicorn

    from roomtemp.security.server import PROTOCOL as SERVER_PROTOCOL

    _override_environment(
        host=host,
        port=port,
        storage=storage,
        workers=workers,
        log_level=log_level,
        insecure_no_auth=insecure_no_auth or None,
    )
    settings = Settings()
    try:
        check_exposure(settings)
        if settings.tokens_file is not None:
            load_tokens(settings.tokens_file)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    typer.echo(
        f"roomtemp {__version__}: dashboard http://{settings.host}:{settings.port}/ , "
        f"API docs http://{settings.host}:{settings.port}/docs (storage {settings.storage})",
        err=True,
    )
    uvicorn.run(
        "roomtemp.api.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
        # Limits enforced before the app sees a request: h11 (which, unlike httptools, caps
        # the size of a request head) with a deadline on heads; bodies are limited in the app.
        http=SERVER_PROTOCOL,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        server_header=False,
    )


Url = Annotated[str, typer.Option(envvar="ROOMTEMP_URL", help="the server's base URL")]
Token = Annotated[
    str | None,
    typer.Option(envvar="ROOMTEMP_TOKEN", help="bearer token sent with every request"),
]
BatchSize = Annotated[
    int, typer.Option(min=1, help="readings in one request (the server's limit is 10,000)")
]


@app.command()
def simulate(
    rooms: Annotated[int, typer.Option(min=1, help="how many rooms")] = 10,
    seed: Annotated[int, typer.Option(help="same seed, same readings")] = 0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    interval: Annotated[str, typer.Option(help="time between readings: 10s, 1m, ...")] = "1m",
    backfill: Annotated[
        str | None, typer.Option(help="write this much history (30d, 12h) up to --end, then stop")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="end of the backfill (RFC 3339 or epoch s); default now")
    ] = None,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="push live (default: unless backfill)")
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help="stop live mode after this long (default: never)")
    ] = None,
    describe: Annotated[
        bool, typer.Option(help="PUT each room's name, building, floor and comfort band first")
    ] = True,
    prefix: Annotated[str, typer.Option(help="room ids are PREFIX-001, PREFIX-002, ...")] = "room",
    batch_size: BatchSize = 5000,
    retries: Annotated[int, typer.Option(min=0, help="retries of a failed request")] = 5,
) -> None:
    """Simulate rooms with sensors and push their readings: live, or history with --backfill."""
    from roomtemp.cli import commands

    _log_to_stderr()
    commands.simulate(
        commands.SimulateOptions(
            rooms=rooms,
            seed=seed,
            interval=interval,
            backfill=backfill,
            end=end,
            live=live if live is not None else backfill is None,
            duration=duration,
            describe=describe,
            prefix=prefix,
            batch_size=batch_size,
        ),
        ApiClient(url, token=token, retries=retries),
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or NDJSON file")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or ndjson (default: by extension)")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    batch_size: BatchSize = 5000,
) -> None:
    """Import readings from a CSV (room_id,value,timestamp,unit,sensor_id) or NDJSON file."""
    from roomtemp.cli import commands

    _log_to_stderr()
    commands.import_file(file, file_format, ApiClient(url, token=token), batch_size)


@app.command()
def export(
    room: Annotated[str, typer.Option(help="the room to export")],
    start: Annotated[
        str | None, typer.Option(help="RFC 3339 or epoch s; default: end - 24 h")
    ] = None,
    end: Annotated[str | None, typer.Option(help="RFC 3339 or epoch s; default now")] = None,
    file_format: Annotated[str, typer.Option("--format", help="csv or ndjson")] = "csv",
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
    from roomtemp.cli import commands
    from roomtemp.cli.transfer import ExportQuery

    _log_to_stderr()
    query = ExportQuery(room, start, end, sensor, unit, page_size)
    commands.export(query, file_format, output, ApiClient(url, token=token))


def _log_to_stderr() -> None:
    from roomtemp.cli.commands import log_to_stderr

    log_to_stderr()


def main() -> None:
    """Entry point of the `roomtemp` script and of `python -m roomtemp`."""
    app()
