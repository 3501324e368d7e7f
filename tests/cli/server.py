"""A real roomtemp server process on a free loopback port with a temporary SQLite file, and
what it stored, read back through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from roomtemp.cli.room_model import SimReading
from tests.support import iso, ms


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


def stored(server: Server, room: str, start: int, end: int) -> list[tuple[str, int, float]]:
    """(sensor, timestamp ms, value) of a room, read page by page straight from the API."""
    out: list[tuple[str, int, float]] = []
    params: dict[str, str | int] = {"start": iso(start), "end": iso(end), "limit": 10_000}
    while True:
        response = server.get(f"/api/v1/rooms/{room}/readings", **params)
        if response.status_code == 404:
            return out
        page = response.json()
        out += [(r["sensor_id"] or "", ms(r["timestamp"]), r["value"]) for r in page["readings"]]
        if page["next_cursor"] is None:
            return out
        params["cursor"] = page["next_cursor"]


def expected(readings: list[SimReading], room: str) -> list[tuple[str, int, float]]:
    """A room's readings in the API's order: by timestamp, then sensor."""
    mine = [(r.sensor_id, r.timestamp_ms, r.value) for r in readings if r.room_id == room]
    return sorted(mine, key=lambda row: (row[1], row[0]))
