"""The `roomtemp` command: one module per command, the HTTP client they share.

serve.py       roomtemp serve: the API under uvicorn
simulate.py    roomtemp simulate: rooms of the room model push readings, history or live
feed.py        sending the model's readings: history in batches, live tick by tick
room_model.py  the rooms: a thermal model with thermostats, sun, people and sensors
transfer.py    roomtemp import / export: readings between files and a server
files.py       the import formats (CSV, NDJSON): read in batches, written back
token.py       roomtemp token create|list|revoke: the tokens file
mqtt.py        roomtemp mqtt: the MQTT bridge on its own
client.py      the HTTP client of the API: auth, retries with backoff
options.py     options the commands share (server URL, token, batch size) and their parsing
console.py     the terminal: logs on stderr, progress bars, failures as exit codes
"""

from __future__ import annotations

from typing import Annotated

import typer

from roomtemp import __version__
from roomtemp.cli.mqtt import mqtt
from roomtemp.cli.serve import serve
from roomtemp.cli.simulate import simulate
from roomtemp.cli.token import token_app
from roomtemp.cli.transfer import export_command, import_command

app = typer.Typer(
    help="roomtemp: a room temperature service. Settings come from ROOMTEMP_* variables; "
    "flags override them.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(serve)
app.command()(simulate)
app.command("import")(import_command)
app.command("export")(export_command)
app.command()(mqtt)
app.add_typer(token_app, name="token")


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(__version__)
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Settings come from ROOMTEMP_* variables; flags override them."""


def main() -> None:
    """Entry point of the `roomtemp` script and of `python -m roomtemp`."""
    app()
