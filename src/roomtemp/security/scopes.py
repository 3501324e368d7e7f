"""Scopes and callers: what a token may do, and in which rooms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

ROOM_GLOB_PATTERN = r"^[a-z0-9_.*?\[\]!-]{1,64}$"
_ROOM_GLOB = re.compile(ROOM_GLOB_PATTERN)


class Scope(StrEnum):
    """`read` answers questions, `write` pushes readings, `admin` also edits and deletes rooms."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


def granted(scopes: frozenset[Scope]) -> frozenset[Scope]:
    """The scopes a set of scopes amounts to: `admin` includes `read` and `write`."""
    if Scope.ADMIN in scopes:
        return frozenset(Scope)
    return scopes


def check_room_glob(glob: str) -> str:
    """Return `glob` if it is a room glob (`floor2-*`, `lab-?`, `kitchen`), else ValueError."""
    if not _ROOM_GLOB.fullmatch(glob):
        raise ValueError(
            f"invalid room glob {glob!r}: room id characters (a-z 0-9 _ . -) and * ? [ ] ! only"
        )
    return glob


@dataclass(frozen=True)
class Caller:
    """Who is asking: a token's name, what it may do, and the rooms it is limited to (None: all)."""

    name: str
    scopes: frozenset[Scope]
    rooms: tuple[str, ...] | None = None

    @classmethod
    def open_access(cls) -> Caller:
        """The caller of a server that runs without tokens: everything, everywhere."""
        return cls("anonymous", frozenset(Scope))

    def has(self, scope: Scope) -> bool:
        return scope in granted(self.scopes)

    def sees(self, room_id: str) -> bool:
        """True when the token is not limited to rooms, or one of its globs matches `room_id`."""
        return self.rooms is None or any(fnmatchcase(room_id, glob) for glob in self.rooms)

    def describe_rooms(self) -> str:
        return "every room" if self.rooms is None else "rooms " + ", ".join(self.rooms)
