"""The dashboard's files: index.html preloads every module, so that a slow link pays one round
trip for all of them instead of one per level of imports."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "roomtemp" / "web"
ENTRY_POINTS = {"main.js", "docs.js"}  # loaded by <script>, not imported


def test_index_preloads_every_imported_module() -> None:
    html = (WEB / "index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/web/([\w.]+)"', html))
    imported = set()
    for module in WEB.glob("*.js"):
        imported |= set(re.findall(r'from "\./([\w.]+)"', module.read_text()))
    assert imported <= {p.name for p in WEB.glob("*.js")}
    assert preloaded == imported - ENTRY_POINTS
