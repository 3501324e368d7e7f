"""docs/api.md lists exactly the operations the server serves: none missing, none invented."""

from __future__ import annotations

import re
from pathlib import Path

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.security.access import route_entries

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|DELETE|PATCH) (/[^`]*)` \|", re.MULTILINE)
NOT_OPERATIONS = {("GET", "/web/{name}")}
"""Files of the dashboard, which the reference names with `GET /`."""


def test_the_reference_lists_every_operation_and_no_other() -> None:
    app = create_app(Settings(storage="sqlite:///unused.sqlite3"))
    served = {
        (method, entry.path) for entry in route_entries(app) for method in entry.methods - {"HEAD"}
    } - NOT_OPERATIONS
    listed = set(ROW.findall(REFERENCE.read_text()))
    assert listed == served
