"""Data flows one way (STYLE.md): every module imports only from the layers below its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "roomtemp"

DOMAIN = {"domain", "errors", "units", "timeparse", "columns"}
BELOW_SERVICE = DOMAIN | {"validation", "storage", "ingest"}
ALLOWED: dict[str, set[str]] = {
    "domain": DOMAIN,
    "errors": DOMAIN,
    "units": DOMAIN,
    "timeparse": DOMAIN,
    "columns": DOMAIN,
    "config": DOMAIN,
    "validation": DOMAIN,
    "ingest": DOMAIN | {"ingest"},
    "storage": DOMAIN | {"storage"},
    "alerts": BELOW_SERVICE | {"alerts"},
    "listing": BELOW_SERVICE | {"alerts"},
    "screening": BELOW_SERVICE,
    "statistics": DOMAIN,
    "service": BELOW_SERVICE | {"service", "alerts", "listing", "screening", "statistics"},
    "telemetry": BELOW_SERVICE,
    "wiring": BELOW_SERVICE | {"service", "config", "alerts", "screening"},
}
"""What each layer may import from roomtemp; layers not listed (api, security, cli) sit on top."""


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def roomtemp_imports(path: Path) -> set[str]:
    """The roomtemp layers a module imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "roomtemp" and len(parts) > 1:
                found.add(parts[1])
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_layers_below_it(path: Path) -> None:
    layer = layer_of(path)
    above = roomtemp_imports(path) - ALLOWED[layer]
    assert not above, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(above)}"


def test_nothing_but_the_entry_point_imports_the_command_line() -> None:
    for path in PACKAGE.rglob("*.py"):
        if layer_of(path) not in ("cli", "__main__"):
            assert "cli" not in roomtemp_imports(path), path


def test_the_layer_table_knows_every_module() -> None:
    top = {"api", "security", "cli", "web", "__init__", "__main__"}
    assert {layer_of(path) for path in PACKAGE.rglob("*.py")} <= set(ALLOWED) | top
