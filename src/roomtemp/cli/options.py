"""Options several commands share (the server, its token, batch sizes) and their parsing."""

from __future__ import annotations

from typing import Annotated

import typer

from roomtemp.timeparse import parse_duration, parse_timestamp

Url = Annotated[str, typer.Option(envvar="ROOMTEMP_URL", help="the server's base URL")]
Token = Annotated[
    str | None,
    typer.Option(envvar="ROOMTEMP_TOKEN", help="bearer token sent with every request"),
]
BatchSize = Annotated[
    int, typer.Option(min=1, help="readings in one request (the server's limit is 10,000)")
]


def duration_ms(text: str, option: str) -> int:
    """A duration flag (`30s`, `5m`, `1d`) in ms; a bad one is reported against `option`."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def instant_ms(text: str, option: str) -> int:
    """A timestamp flag (RFC 3339 or epoch seconds) in epoch ms."""
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
