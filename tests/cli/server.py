"""A real roomtemp server process on a free loopback port with a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


def server_settings(database: Path) -> dict[str, str]:
    """The server's settings for the CLI tests: a temporary SQLite file, quiet logs."""
    return {"ROOMTEMP_STORAGE": f"sqlite:///{database}", "ROOMTEMP_LOG_LEVEL": "warning"}


@dataclass
class Server:
    url: str
    _names: Iterator[int]

    def room_prefix(self) -> str:
        """A prefix no other test of this server has used, so tests never see each other's data."""
        return f"t{next(self._names)}"

    def get(self, path: str, **params: str | int) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=10.0)
