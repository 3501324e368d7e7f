"""The server's view of the tokens file: re-read when it changes, tokens checked in constant time.

Revoking a token (`roomtemp token revoke`) takes effect on the next request: the file's identity
(inode, size, mtime) is checked on every authenticated request, which costs one stat call. If the
file becomes unreadable or invalid while serving, every token is refused until it is fixed.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
from collections.abc import Callable
from pathlib import Path

import orjson

from roomtemp.errors import ConfigurationError
from roomtemp.security.scopes import Caller
from roomtemp.security.tokens import TokenRecord, hash_token, load_tokens, write_private

log = logging.getLogger("roomtemp.security")

Clock = Callable[[], float]
Signature = tuple[int, int, int]


def usage_path(tokens_path: Path) -> Path:
    """Where last-used times live: beside the tokens file, which the server never writes."""
    return tokens_path.with_name(tokens_path.name + ".last-used")


def load_usage(path: Path) -> dict[str, float]:
    """Token name -> last use (epoch seconds); empty when the file is missing or unreadable."""
    try:
        found = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float)}


class UsageRecorder:
    """Writes each token's last use, at most once per `every` seconds per token."""

    def __init__(self, path: Path, every: float = 60.0) -> None:
        self.path = path
        self.every = every
        self._written: dict[str, float] = {}
        self._warned = False

    def touch(self, name: str, now: float) -> None:
        if now - self._written.get(name, -math.inf) < self.every:
            return
        self._written[name] = now
        usage = load_usage(self.path)
        usage[name] = max(now, usage.get(name, now))
        try:
            write_private(self.path, orjson.dumps(usage, option=orjson.OPT_SORT_KEYS))
        except OSError as exc:
            if not self._warned:
                log.warning("cannot record token use in %s: %s", self.path, exc.strerror)
                self._warned = True


class TokenStore:
    """Authenticates bearer tokens against the tokens file."""

    def __init__(self, path: Path, clock: Clock, usage: UsageRecorder | None = None) -> None:
        self.path = path
        self._clock = clock
        self._usage = usage if usage is not None else UsageRecorder(usage_path(path))
        self._signature: Signature | None = None
        self._records: tuple[TokenRecord, ...] = ()
        self._signature = self._stat()
        self._records = tuple(load_tokens(path))

    def authenticate(self, token: str) -> Caller | None:
        """The caller a token stands for, or None; compares every stored hash in constant time."""
        digest = hash_token(token)
        found: TokenRecord | None = None
        for record in self._current():
            if hmac.compare_digest(record.sha256, digest):
                found = record
        if found is None:
            return None
        self._usage.touch(found.name, self._clock())
        return found.caller()

    def _current(self) -> tuple[TokenRecord, ...]:
        try:
            signature = self._stat()
        except ConfigurationError as exc:
            return self._refuse_all(None, exc)
        if signature != self._signature:
            try:
                self._records = tuple(load_tokens(self.path))
                self._signature = signature
                log.info("tokens file %s reloaded: %d tokens", self.path, len(self._records))
            except ConfigurationError as exc:
                return self._refuse_all(signature, exc)
        return self._records

    def _refuse_all(self, signature: Signature | None, exc: ConfigurationError) -> tuple[()]:
        if self._records or self._signature != signature:
            log.error("%s; refusing every token until it is fixed", exc)
        self._records, self._signature = (), signature
        return ()

    def _stat(self) -> Signature:
        try:
            found = os.stat(self.path)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read tokens file {self.path}: {exc.strerror}; "
                "create a token with `roomtemp token create`"
            ) from None
        return found.st_ino, found.st_size, found.st_mtime_ns
