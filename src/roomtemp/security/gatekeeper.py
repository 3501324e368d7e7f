"""Deciding whether a request may go on: who the token is, its rate, its scope and its rooms."""

from __future__ import annotations

from collections.abc import Iterable

from roomtemp.columns import SeriesItems
from roomtemp.errors import Forbidden, NotAuthenticated, RateLimited
from roomtemp.security.ratelimit import RateLimiter
from roomtemp.security.scopes import Caller, Scope
from roomtemp.security.store import TokenStore

_WHAT = {Scope.READ: "read", Scope.WRITE: "push readings", Scope.ADMIN: "change or delete rooms"}


class Gatekeeper:
    """Admits callers: by token when a tokens file is configured, everyone otherwise."""

    def __init__(self, store: TokenStore | None, limiter: RateLimiter | None = None) -> None:
        self.store = store
        self.limiter = limiter

    def identify(self, token: str | None) -> Caller:
        """The caller behind a bearer token; NotAuthenticated when missing or unknown."""
        if self.store is None:
            return Caller.open_access()
        if token is None:
            raise NotAuthenticated(
                "this endpoint needs a bearer token: send 'Authorization: Bearer <token>'"
            )
        caller = self.store.authenticate(token)
        if caller is None:
            raise NotAuthenticated("the bearer token is not valid (unknown or revoked)")
        return caller

    def admit(
        self, token: str | None, scope: Scope, room_id: str | None, client: str = "unknown"
    ) -> Caller:
        """Identify, count against the rate limit, then check scope and room; raise if refused.

        The rate limit counts per token, or per client address when no tokens are configured.
        """
        caller = self.identify(token)
        self.count(f"token {caller.name!r}" if self.store is not None else f"client {client}")
        if not caller.has(scope):
            held = ", ".join(sorted(caller.scopes))
            raise Forbidden(
                f"token {caller.name!r} lacks the {scope.value!r} scope needed to "
                f"{_WHAT[scope]} (it has: {held})"
            )
        if room_id is not None:
            check_room(caller, room_id)
        return caller

    def count(self, who: str) -> None:
        """RateLimited when `who` has used up its requests."""
        if self.limiter is None:
            return
        wait = self.limiter.retry_after(who)
        if wait is not None:
            rate = self.limiter.rate
            raise RateLimited(
                f"{who} sent more than {rate.count} requests in "
                f"{rate.period_seconds:g} s; retry after {wait} s",
                wait,
            )


def check_room(caller: Caller, room_id: str) -> None:
    """Forbidden unless the caller's room globs cover `room_id`."""
    if not caller.sees(room_id):
        raise Forbidden(
            f"token {caller.name!r} is limited to {caller.describe_rooms()}; "
            f"room {room_id!r} is not one of them"
        )


def check_batch_rooms(caller: Caller, items: Iterable[object]) -> None:
    """Forbidden unless every `room_id` named in a parsed batch is one the caller may write.

    Items are dicts, or typed items (columns.Item); those without a string `room_id` are left
    to validation, which refuses them.
    """
    if caller.rooms is None:
        return
    if isinstance(items, SeriesItems):  # one series: its one room, without a raw item each
        check_room(caller, items.series.room_id)
        return
    named = {
        item.get("room_id") if isinstance(item, dict) else getattr(item, "room_id", None)
        for item in items
    }
    for room_id in sorted(room for room in named if isinstance(room, str)):
        check_room(caller, room_id)
