"""The dashboard's files: index.html preloads every module the overview needs, so that a slow
link pays one round trip for all of them instead of one per level of imports; the other views'
modules are imported when needed (and warmed in the background), so the first tiles wait for
fewer files."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "roomtemp" / "web"


def static_imports(module: str) -> set[str]:
    """The modules `module` needs before it runs: its static imports, and theirs."""
    found: set[str] = set()
    todo = [module]
    while todo:
        text = (WEB / todo.pop()).read_text()
        for name in set(re.findall(r'^import .* from "\./([\w.]+)";$', text, re.M)) - found:
            assert (WEB / name).exists(), name
            found.add(name)
            todo.append(name)
    return found


def test_index_preloads_every_module_the_overview_needs() -> None:
    html = (WEB / "index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/web/([\w.]+)"', html))
    assert '<script type="module" src="/web/main.js">' in html
    assert preloaded == static_imports("main.js")
    assert {"room.js", "compare.js", "chart.js"}.isdisjoint(preloaded)
