"""What this replica knows of the newest samples in the engine, so that writes need no reads.

`NewestSamples` keeps, per series, a time after which the engine holds nothing for it (learned
from a read, raised by every write). A reading newer than that is new: it is written without
asking the engine. Only readings at or behind it (re-sends, backfill) need the one read per batch
that tells duplicates and conflicts. Another replica's writes are not seen here, so a reading
re-sent to a second replica can be written again (the engines keep one sample; it counts as
accepted, not as a duplicate), and a conflict between two replicas is not detected.

`Head` is the newest reading time the engine holds: roomtemp stamps its own series (room info)
no later than that, so they never push Prometheus's head ahead of the readings and a history
import takes the in-order path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SeriesKey = tuple[str, str | None]

MAX_SERIES = 1_000_000
"""Series remembered; past that, the oldest rooms learned are forgotten (they are read again)."""


class NewestSamples:
    """Per room and sensor, a time after which the engine holds no sample of the series."""

    def __init__(self, max_series: int = MAX_SERIES) -> None:
        self.max_series = max_series
        self._newest: dict[SeriesKey, int] = {}
        self._rooms: dict[str, set[str | None]] = {}
        """Each room's series, rooms in the order first learned."""

    def known(self, room_id: str, sensor_id: str | None) -> int | None:
        """The time after which the series holds nothing, or None if unknown."""
        return self._newest.get((room_id, sensor_id))

    def known_all(self, keys: Iterable[SeriesKey]) -> list[int | None]:
        """`known` of each series."""
        return list(map(self._newest.get, keys))

    def learn(self, room_id: str, sensor_id: str | None, newest_ms: int) -> None:
        """The engine holds nothing of the series after `newest_ms` (only ever raised)."""
        key = (room_id, sensor_id)
        known = self._newest.get(key)
        if known is None:
            if len(self._newest) >= self.max_series:
                self._forget_oldest()
            self._rooms.setdefault(room_id, set()).add(sensor_id)
        if known is None or newest_ms > known:
            self._newest[key] = newest_ms

    def wrote(self, keys: Sequence[SeriesKey], newest_ms: Sequence[int]) -> None:
        """The engine took samples of each series up to its `newest_ms`: a known series holds
        nothing newer (an unknown one may)."""
        newest = self._newest
        before = self.known_all(keys)
        newest.update(
            (key, last)
            for key, known, last in zip(keys, before, newest_ms, strict=True)
            if known is not None and last > known
        )

    def forget_room(self, room_id: str) -> None:
        for sensor_id in self._rooms.pop(room_id, ()):
            self._newest.pop((room_id, sensor_id), None)

    def _forget_oldest(self) -> None:
        rooms = list(self._rooms)
        for room_id in rooms[: len(rooms) // 2 + 1]:
            self.forget_room(room_id)


class Head:
    """The newest reading time the engine is known to hold (None: nothing known yet)."""

    def __init__(self) -> None:
        self.newest_ms: int | None = None
        self.floor_ms: int | None = None

    def saw(self, timestamp_ms: int) -> None:
        if self.newest_ms is None or timestamp_ms > self.newest_ms:
            self.newest_ms = timestamp_ms

    def stamp_after(self, timestamp_ms: int) -> None:
        """Stamp later samples after `timestamp_ms` (roomtemp wrote markers there)."""
        self.saw(timestamp_ms + 1)
        self.used(timestamp_ms)

    def used(self, timestamp_ms: int) -> None:
        """Stamp later samples after `timestamp_ms` (roomtemp wrote its own series there),
        without taking it for a reading's time."""
        self.floor_ms = max(self.floor_ms or timestamp_ms + 1, timestamp_ms + 1)

    def stamp(self, now_ms: int) -> int:
        """When to stamp roomtemp's own samples: now, or the newest data if that is older."""
        stamp = now_ms if self.newest_ms is None else min(now_ms, self.newest_ms)
        return stamp if self.floor_ms is None else max(stamp, self.floor_ms)


class Stamps:
    """The stamps of one kind of roomtemp's own series (room info, sensor settings): each after
    the one before (a series takes one value a timestamp, and a head probe still running at
    start-up must not move stamps back), and the oldest written since everything was last
    re-asserted, which look-backs must reach (a room described while the head lay days back
    must not vanish when newer readings move the head to now)."""

    def __init__(self, head: Head) -> None:
        self.head = head
        self._oldest_ms: int | None = None
        self._first_since_begun: int | None = None
        """The first stamp taken since a re-assert began reading what to write again."""
        self.revived = False
        """Everything of this kind was looked for over the whole horizon and written again
        inside the window since start; until then look-backs reach over the horizon (a replica
        that just started knows nothing of the stamps an earlier run wrote)."""

    def window_ms(self, window_ms: int, horizon_ms: int) -> int:
        """The look-back window: `window_ms` once revived, the horizon before."""
        return window_ms if self.revived else horizon_ms

    def take(self, now_ms: int) -> int:
        """The stamp of samples written now."""
        stamp = self.head.stamp(now_ms)
        self.head.used(stamp)
        if self._oldest_ms is None:
            self._oldest_ms = stamp
        if self._first_since_begun is None:
            self._first_since_begun = stamp
        return stamp

    def behind_ms(self, now_ms: int) -> int:
        """How far before now a look-back must reach past its window."""
        return now_ms - min(self.head.stamp(now_ms), self._oldest_ms or now_ms)

    def begin(self) -> None:
        """A re-assert is about to read what it writes again: a series described while it runs
        is not among what it reads, so its stamp must stay within reach afterwards."""
        self._first_since_begun = None

    def reasserted(self, stamp_ms: int) -> None:
        """Everything read since `begin` was written again at `stamp_ms` (taken from here):
        look-backs need reach no further back than the first stamp taken since then (stamps
        only grow)."""
        first = self._first_since_begun
        self._oldest_ms = stamp_ms if first is None else min(first, stamp_ms)
