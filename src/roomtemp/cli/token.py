"""`roomtemp token create|list|revoke`: manage the tokens file (ROOMTEMP_TOKENS_FILE or --file)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.security.scopes import Scope
from roomtemp.security.store import load_usage, usage_path
from roomtemp.security.tokens import TokenRecord, create_token, load_tokens, revoke_token
from roomtemp.timeparse import format_timestamp

token_app = typer.Typer(
    help="Create, list and revoke bearer tokens (stored hashed in the tokens file).",
    no_args_is_help=True,
)

TokensFile = Annotated[
    Path | None,
    typer.Option("--file", help="the tokens file [ROOMTEMP_TOKENS_FILE]", show_default=False),
]


def _tokens_file(given: Path | None) -> Path:
    if given is not None:
        return given
    try:
        configured = Settings().tokens_file
    except ValidationError as exc:
        raise _fail(str(exc)) from None
    if configured is None:
        raise _fail("no tokens file: set ROOMTEMP_TOKENS_FILE or pass --file")
    return configured


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    parts = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    return tuple(parts) or None


@token_app.command()
def create(
    name: Annotated[str, typer.Option(help="who holds the token, e.g. gateway-2")],
    scope: Annotated[
        list[Scope], typer.Option(help="read, write or admin (admin includes all); repeatable")
    ],
    rooms: Annotated[
        list[str] | None,
        typer.Option(help="room globs the token is limited to, e.g. 'floor2-*' (comma or repeat)"),
    ] = None,
    file: TokensFile = None,
) -> None:
    """Create a token and print it once: it is stored only as a hash."""
    path = _tokens_file(file)
    created = format_timestamp(round(time.time() * 1000))
    try:
        token = create_token(path, name, frozenset(scope), _split(rooms), created)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    typer.echo(token)
    typer.echo(f"token {name!r} created in {path}; copy it now, it cannot be shown again", err=True)


@token_app.command("list")
def list_tokens(file: TokensFile = None) -> None:
    """Show each token's name, scopes, rooms, and when it was created and last used."""
    path = _tokens_file(file)
    try:
        tokens = load_tokens(path) if path.exists() else []
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    used = load_usage(usage_path(path))
    rows = [("NAME", "SCOPES", "ROOMS", "CREATED", "LAST USED")]
    rows += [_row(record, used.get(record.name)) for record in tokens]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo(line.rstrip())


def _row(record: TokenRecord, last_used: float | None) -> tuple[str, str, str, str, str]:
    return (
        record.name,
        ",".join(sorted(record.scopes)),
        ",".join(record.rooms) if record.rooms else "*",
        record.created,
        format_timestamp(round(last_used * 1000)) if last_used is not None else "never",
    )


@token_app.command()
def revoke(
    name: Annotated[str, typer.Argument(help="the token's name")], file: TokensFile = None
) -> None:
    """Remove a token; a running server refuses it from its next request on."""
    path = _tokens_file(file)
    try:
        removed = revoke_token(path, name)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    if not removed:
        raise _fail(f"no token named {name!r} in {path}")
    typer.echo(f"token {name!r} revoked", err=True)
