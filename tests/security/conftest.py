"""Fixtures: an app that requires tokens, with one token of each kind the tests need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.security.scopes import Scope
from roomtemp.security.tokens import create_token
from tests.support import FakeClock

# name -> (scopes, room globs); "write_other" writes only rooms that no test room matches.
TOKEN_KINDS: dict[str, tuple[frozenset[Scope], tuple[str, ...] | None]] = {
    "admin": (frozenset({Scope.ADMIN}), None),
    "read": (frozenset({Scope.READ}), None),
    "write": (frozenset({Scope.WRITE}), None),
    "write_other": (frozenset({Scope.WRITE}), ("floor9-*",)),
    "read_floor2": (frozenset({Scope.READ}), ("floor2-*",)),
    "read_write_floor2": (frozenset({Scope.READ, Scope.WRITE}), ("floor2-*", "lab-[ab]")),
}
BAD_TOKEN = "rt_" + "A" * 43


def make_tokens(path: Path) -> dict[str, str]:
    """Create every kind of token in a fresh tokens file; returns name -> secret."""
    return {
        name: create_token(path, name, scopes, rooms, "2024-03-01T00:00:00.000Z")
        for name, (scopes, rooms) in TOKEN_KINDS.items()
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Secured:
    """A running app that requires tokens, its tokens file, and the secret of each token."""

    client: TestClient
    tokens_file: Path
    tokens: dict[str, str]
    clock: FakeClock

    def auth(self, kind: str) -> dict[str, str]:
        return bearer(self.tokens[kind])


def secured_app(directory: Path, clock: FakeClock, **overrides: object) -> Iterator[Secured]:
    tokens_file = directory / "tokens.json"
    tokens = make_tokens(tokens_file)
    settings = Settings(
        storage=f"sqlite:///{directory / 'roomtemp.sqlite3'}",
        tokens_file=tokens_file,
        **overrides,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        yield Secured(client, tokens_file, tokens, clock)


@pytest.fixture
def secured(tmp_path: Path, clock: FakeClock) -> Iterator[Secured]:
    yield from secured_app(tmp_path, clock)
