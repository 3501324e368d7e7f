"""axe-core (npm) for the accessibility checks: fetched once with `npm pack` into a cache outside
the repository (no node_modules), then injected into the page under test.

Without npm the tests that need it skip, or fail when ROOMTEMP_REQUIRE_ENGINES=1.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.processes import require_program

VERSION = "4.14.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "roomtemp-tests"


def axe_source() -> str:
    """The text of axe.min.js of VERSION, from the cache or from the npm registry."""
    cached = CACHE / f"axe-core-{VERSION}.min.js"
    if not cached.exists():
        npm = require_program("npm", "npm")
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(
                [npm, "pack", f"axe-core@{VERSION}", "--pack-destination", folder, "--silent"],
                check=True,
                capture_output=True,
                timeout=120,
            )
            (tarball,) = Path(folder).glob("axe-core-*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.extractfile("package/axe.min.js")
                assert member is not None
                CACHE.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(member.read())
    return cached.read_text()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (WCAG 2 A and AA)."""
    page.evaluate(axe_source())  # evaluated by the test, not a <script>: the page's CSP holds
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                  nodes: v.nodes.map(n => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]
