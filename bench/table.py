"""The bench's table: one row per measure, beside its floor and its aim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    what: str
    figure: str
    floor: str
    aim: str
    met: bool | None
    note: str = ""


def print_table(rows: list[Row], sizes: Any, workers: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"roomtemp bench: {workers} worker(s), {sizes}")
    for column in ("measure", "roomtemp", "engine floor", "aim", "met", "notes"):
        table.add_column(column)
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        table.add_row(row.what, row.figure, row.floor, row.aim, met, row.note)
    Console(width=200).print(table)
