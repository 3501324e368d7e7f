"""Is the store's file still the one we opened, and is it sound? For /readyz and every request.

A file deleted or replaced under a running server would otherwise keep answering from the old
inode and lose everything at the next start; SQLite's corruption errors and bad checksums of
blocks and log rows are reported the same way: StorageUnavailable, and one clear log line.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from roomtemp.errors import StorageUnavailable

log = logging.getLogger("roomtemp.storage.sqlite")


class Identity:
    """The (device, inode) of the database file as opened, checked against the path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened: tuple[int, int] | None = None
        self.problem: str | None = None
        """Once set, every read and write fails with it until the server restarts."""

    def remember(self) -> None:
        stat = os.stat(self.path)
        self._opened = (stat.st_dev, stat.st_ino)

    def verify(self) -> None:
        """StorageUnavailable when the file is gone, is another file than the one opened, or
        was found corrupt."""
        if self.problem is not None:
            raise StorageUnavailable(f"{self.problem}; the server must be restarted")
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self.fail(f"the database file {self.path} was deleted under the running server")
        if (stat.st_dev, stat.st_ino) != self._opened:
            self.fail(f"the database file {self.path} was replaced under the running server")

    def fail(self, problem: str) -> None:
        """Log and raise StorageUnavailable, now and for every later request."""
        if self.problem is None:
            self.problem = problem
            log.error("%s; refusing reads and writes, restart the server once it is fixed", problem)
        raise StorageUnavailable(f"{self.problem}; the server must be restarted")


def quick_check(conn: sqlite3.Connection) -> str:
    """SQLite's structural check of every page ('ok', or the first problem)."""
    return str(conn.execute("PRAGMA quick_check(1)").fetchone()[0])
