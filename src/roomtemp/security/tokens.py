"""The tokens file: bearer tokens stored as SHA-256 hashes, with their scopes and room globs.

A token is 256 random bits, so a plain SHA-256 is enough to store it (no slow hash needed); it is
shown once by `roomtemp token create` and never written anywhere. The file is JSON, written
atomically with mode 0600; last-used times go to a sidecar file so the server never rewrites it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from roomtemp.errors import ConfigurationError
from roomtemp.security.scopes import Caller, Scope, check_room_glob

TOKEN_PREFIX = "rt_"  # noqa: S105 (a prefix that makes leaked tokens easy to grep for)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class TokenRecord(BaseModel):
    """One token as stored: its name, the hash of its secret, what it may do and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: frozenset[Scope] = Field(min_length=1)
    rooms: tuple[str, ...] | None = Field(None, min_length=1)
    created: str

    @field_validator("rooms")
    @classmethod
    def _globs(cls, rooms: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return rooms if rooms is None else tuple(check_room_glob(glob) for glob in rooms)

    def caller(self) -> Caller:
        return Caller(self.name, self.scopes, self.rooms)


class TokenFile(BaseModel):
    """The whole file: a version number and the tokens."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    tokens: list[TokenRecord] = Field(default_factory=list)


def new_token() -> str:
    """A fresh secret: a recognisable prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def load_tokens(path: Path) -> list[TokenRecord]:
    """The tokens of the file; ConfigurationError (naming the file, never a secret) if unusable."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read tokens file {path}: {exc.strerror}") from None
    try:
        tokens = TokenFile.model_validate_json(text).tokens
    except ValidationError as exc:
        raise ConfigurationError(f"tokens file {path} is not valid: {exc}") from None
    names = [record.name for record in tokens]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"tokens file {path} holds a token name twice")
    return tokens


def save_tokens(path: Path, tokens: list[TokenRecord]) -> None:
    """Replace the file atomically (write beside it, then rename), readable by its owner only."""
    body = TokenFile(tokens=tokens).model_dump_json(indent=2).encode() + b"\n"
    write_private(path, body)


def write_private(path: Path, body: bytes) -> None:
    """Write `body` to `path` atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_token(
    path: Path, name: str, scopes: frozenset[Scope], rooms: tuple[str, ...] | None, created: str
) -> str:
    """Add a token to the file (creating it) and return its secret, which is stored nowhere."""
    tokens = load_tokens(path) if path.exists() else []
    if any(record.name == name for record in tokens):
        raise ConfigurationError(f"a token named {name!r} exists already; revoke it first")
    token = new_token()
    try:
        record = TokenRecord(
            name=name, sha256=hash_token(token), scopes=scopes, rooms=rooms, created=created
        )
    except ValidationError as exc:
        raise ConfigurationError(_first_error(exc)) from None
    save_tokens(path, [*tokens, record])
    return token


def revoke_token(path: Path, name: str) -> bool:
    """Remove the token called `name`; False when there is none."""
    tokens = load_tokens(path)
    kept = [record for record in tokens if record.name != name]
    if len(kept) == len(tokens):
        return False
    save_tokens(path, kept)
    return True


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"
