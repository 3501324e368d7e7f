"""Spools written by roomtemp before records were framed: `<crc32 hex> <json>` lines in
`segment-N.log` files and a text `cursor`. Their pending readings are moved into the current
format when a slot is opened, so an upgrade loses nothing that was acknowledged before it.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson

from roomtemp.domain import Reading

log = logging.getLogger("roomtemp.storage.spool")


def migrate_line_segments(directory: Path, append: Callable[[Sequence[Reading]], None]) -> int:
    """Append every pending batch of the old files with `append`, then delete them; returns
    how many readings moved. A line that fails its checksum is logged and skipped."""
    old = sorted(directory.glob("segment-*.log"))
    cursor_segment, cursor_offset = _old_cursor(directory / "cursor")
    moved = 0
    for path in old:
        segment = int(path.stem.split("-")[1])
        if segment < cursor_segment:
            continue
        data = path.read_bytes()[cursor_offset if segment == cursor_segment else 0 :]
        for line in data.split(b"\n"):
            checksum, _, payload = line.partition(b" ")
            if payload and checksum == b"%08x" % zlib.crc32(payload):
                batch = [Reading(*item) for item in orjson.loads(payload)]
                append(batch)
                moved += len(batch)
            elif line:
                log.error("old spool file %s: a damaged line was skipped", path)
    for path in old:
        path.unlink()
    (directory / "cursor").unlink(missing_ok=True)
    if moved:
        log.warning("moved %d spooled readings from the old spool format", moved)
    return moved


def _old_cursor(path: Path) -> tuple[int, int]:
    try:
        segment, offset = path.read_text().split()
        return int(segment), int(offset)
    except (FileNotFoundError, ValueError):
        return 0, 0
