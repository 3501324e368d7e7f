"""The `roomtemp` command: serve, simulate, import, export."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from roomtemp import __version__
from roomtemp.config import Settings

app = typer.Typer(
    help="roomtemp: a room temperature service. Settings come from ROOMTEMP_* variables; "
    "flags override them.",
    no_args_is_help=True,
    add_completion=False,
)


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
) -> None:
    """Serve the HTTP API (and /docs, /metrics) until interrupted."""
    import uvicorn

    _override_environment(
        host=host, port=port, storage=storage, workers=workers, log_level=log_level
    )
    settings = Settings()
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
    )


def main() -> None:
    """Entry point of the `roomtemp` script and of `python -m roomtemp`."""
    app()
