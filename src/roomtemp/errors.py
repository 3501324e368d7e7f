"""Domain errors, raised below the HTTP layer and translated to HTTP in one place (api/errors.py).

RoomtempError
 ├── InvalidInput          422: one or more problems, each with a location and a message
 ├── BadRequest            400: the request does not say what it is about (a push without a room)
 ├── NotFound              404: there is nothing at this address
 │    └── RoomNotFound     404: the room does not exist (or has no readings where one is needed)
 ├── ConflictingReading    409: same (room, sensor, timestamp) with another value
 ├── TooLarge              413: a batch or a request body above the configured limit
 ├── UnsupportedMediaType  415: a content type or encoding the route does not take
 ├── HeadersTooLarge       431: request headers above the configured limit
 ├── TooSlow               408: a request body that trickles in slower than the deadline
 ├── NotAuthenticated      401: no bearer token, or one the server does not know
 ├── Forbidden             403: the token lacks the scope, or the room is outside its globs
 ├── RateLimited           429 + Retry-After: the token sent more requests than its rate allows
 ├── ConfigurationError    a setting is wrong; raised at start-up, never during a request
 └── StorageError
      ├── StorageUnavailable  503 + Retry-After: the backend cannot be reached right now
      └── StorageFull         503 + Retry-After: the outage spool is full
"""

from __future__ import annotations

from dataclasses import dataclass


class RoomtempError(Exception):
    """Base of every error roomtemp raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (FastAPI-style `loc`) and why."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class InvalidInput(RoomtempError):
    """The input breaks one or more rules; every problem is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems

    @classmethod
    def single(cls, loc: tuple[str | int, ...], msg: str) -> InvalidInput:
        return cls([Problem(loc, msg)])

    def under(self, *prefix: str | int) -> InvalidInput:
        """The same problems located under `prefix` (the caller knows where the input came from)."""
        return InvalidInput([Problem((*prefix, *p.loc), p.msg, p.type) for p in self.problems])


class BadRequest(RoomtempError):
    """The request lacks what it must name (a Pushgateway push without a room)."""


class NotFound(RoomtempError):
    """Nothing is found at this address."""


class RoomNotFound(NotFound):
    """The room is unknown, or it has no readings where a reading is required."""

    def __init__(self, room_id: str, why: str = "unknown room") -> None:
        super().__init__(f"{why}: {room_id!r}")
        self.room_id = room_id


class ConflictingReading(RoomtempError):
    """A reading with the same identity but another value is already stored (or in the batch).

    The message names the identity only: the stored value is shown by `describe(show_stored=True)`
    to callers allowed to read the room (a write-only token must not learn stored values).
    """

    def __init__(
        self,
        room_id: str,
        sensor_id: str | None,
        timestamp_ms: int,
        stored: float,
        sent: float,
        *,
        in_batch: bool = False,
    ) -> None:
        self.room_id, self.sensor_id, self.timestamp_ms = room_id, sensor_id, timestamp_ms
        self.stored, self.sent, self.in_batch = stored, sent, in_batch
        super().__init__(self.describe(show_stored=in_batch))

    def describe(self, *, show_stored: bool) -> str:
        """The conflict in words; the stored value only with `show_stored` (or when both values
        came in the same batch, so the caller sent both)."""
        sensor = self.sensor_id if self.sensor_id is not None else "(anonymous)"
        where = f"room {self.room_id!r} sensor {sensor} at {self.timestamp_ms} ms"
        if self.in_batch:
            held = f"appears twice in the batch, as {self.stored!r} and {self.sent!r}"
        elif show_stored:
            held = f"already holds {self.stored!r}, got {self.sent!r}"
        else:
            held = f"already holds another value than {self.sent!r}"
        return f"{where} {held}; nothing of the batch was stored"


class TooLarge(RoomtempError):
    """The request carries more than the configured limit."""


class UnsupportedMediaType(RoomtempError):
    """The body's content type (or content encoding) is not one the route takes."""


class HeadersTooLarge(RoomtempError):
    """The request's headers are larger than the configured limit."""


class TooSlow(RoomtempError):
    """The request's body did not arrive within the configured time."""


class NotAuthenticated(RoomtempError):
    """No bearer token was sent, or the server does not know it."""


class Forbidden(RoomtempError):
    """The caller is known but may not do this here; the message says what is missing."""


class RateLimited(RoomtempError):
    """Too many requests from one caller; retry after `retry_after_seconds`."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(RoomtempError):
    """A setting is wrong; the message says which and how to fix it."""


class StorageError(RoomtempError):
    """The storage backend failed."""


class StorageUnavailable(StorageError):
    """The storage backend cannot be reached right now; retry later."""

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class StorageFull(StorageUnavailable):
    """The local outage spool is full; retry once the engine is back."""
