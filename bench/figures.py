"""The benchmark's figures and the table that shows them side by side, as ratios."""

from __future__ import annotations

from dataclasses import dataclass, field

from sizes import Sizes

ENGINES = ("prometheus", "victoriametrics")


@dataclass
class Figure:
    """One measure: roomtemp's value, each engine's, and the aim (on the ratio or the value)."""

    what: str
    unit: str
    higher_is_better: bool
    values: dict[str, float] = field(default_factory=dict)
    aim: str = ""
    note: str = ""

    def ratio(self, engine: str) -> float | None:
        mine, theirs = self.values.get("roomtemp"), self.values.get(engine)
        if mine is None or not theirs:
            return None
        return mine / theirs


class Results:
    """Figures by key, in the order first reported."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}

    def put(self, key: str, who: str, value: float, **about: object) -> None:
        figure = self.figures.get(key)
        if figure is None:
            figure = Figure(**about)  # type: ignore[arg-type]
            self.figures[key] = figure
        for name in ("aim", "note"):
            if about.get(name):
                setattr(figure, name, about[name])
        figure.values[who] = value
        print(f"  {figure.what} [{who}]: {value:,.3g} {figure.unit}")


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def print_table(results: Results, sizes: Sizes) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"roomtemp bench, {sizes}")
    for column in ("measure", "unit", "roomtemp", "Prometheus", "VictoriaMetrics"):
        table.add_column(column)
    table.add_column("roomtemp / Prom")
    table.add_column("roomtemp / VM")
    table.add_column("aim")
    table.add_column("notes")
    for figure in results.figures.values():
        ratios = [figure.ratio(engine) for engine in ENGINES]
        table.add_row(
            figure.what,
            figure.unit,
            _cell(figure.values.get("roomtemp")),
            *(_cell(figure.values.get(engine)) for engine in ENGINES),
            *("-" if r is None else f"{r:.2f}x" for r in ratios),
            figure.aim,
            figure.note,
        )
    Console(width=220).print(table)
