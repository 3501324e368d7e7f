"""`roomtemp serve`: the HTTP API under uvicorn, with settings from ROOMTEMP_* and the flags."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from roomtemp import __version__
from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.security.exposure import check_exposure
from roomtemp.security.tokens import load_tokens
from roomtemp.telemetry import configure_logging, prepare_worker_metrics


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
    settings = serve_settings(
        host=host,
        port=port,
        storage=storage,
        workers=workers,
        log_level=log_level,
        insecure_no_auth=insecure_no_auth,
    )
    configure_logging(settings.log_level)
    typer.echo(
        f"roomtemp {__version__}: dashboard http://{settings.host}:{settings.port}/ , "
        f"API docs http://{settings.host}:{settings.port}/docs (storage {settings.storage})",
        err=True,
    )
    # the app factory, in this process or in each worker process, reads them back with Settings()
    os.environ.update(settings.to_environment())
    prepare_worker_metrics(settings.workers)
    _run(settings)


def serve_settings(**flags: Any) -> Settings:
    """Settings from ROOMTEMP_* with the given flags winning (None: not given), checked for
    serving: a bad value, an unsafe exposure or an unreadable tokens file exits with code 2."""
    try:
        settings = Settings(**{name: value for name, value in flags.items() if value is not None})
        check_exposure(settings)
        if settings.mqtt_url is not None and settings.workers > 1:
            raise ConfigurationError(
                "the MQTT bridge runs in one process: with ROOMTEMP_WORKERS > 1, unset "
                "ROOMTEMP_MQTT_URL here and run `roomtemp mqtt` beside the server"
            )
        if settings.tokens_file is not None:
            load_tokens(settings.tokens_file)
    except (ValidationError, ConfigurationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return settings


def _run(settings: Settings) -> None:
    import uvicorn

    from roomtemp.security.server import PROTOCOL as SERVER_PROTOCOL

    uvicorn.run(
        "roomtemp.api.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
        # Limits enforced before the app sees a request: httptools with a deadline on heads
        # and a cap on their size (security/server.py); bodies are limited in the app.
        http=SERVER_PROTOCOL,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        server_header=False,
    )
