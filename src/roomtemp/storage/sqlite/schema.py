"""Tables, keys and pragmas of the embedded store (format 3), created or migrated on open.

    meta    (key, value)              format, gap_ms, epoch (bumped when every process must
                                      reload its hot tier: a room deleted)
    rooms   as in format 1            room metadata
    series  (series_id, room_id, sensor_id, last_ts, last_value)
                                      one per (room, sensor); the newest *sealed* reading, so a
                                      restart knows every series' bound without a scan
    log     (batch_id, max_ts, payload)   the hot tier: one row per group commit, raw columns
    seals   (seal_id, max_batch, pairs)   which (series, day)s moved from the log to `days` in
                                      each seal round, so other processes replay it exactly
    days    (key = day << 20 | series, ...)   the day's 1d rollup as plain columns, its 5m slots
                                      (once raw has expired) and its raw block; day-major keys
                                      make a seal append at the end of the table (an index
                                      on the series part finds one series' days)
    hours   (key = series << 24 | period)     1h slots of 32 days, one blob
    gaps    (series_id, ts, next_ts, value)   consecutive sealed readings > gap_ms apart
    sensors (room_id, sensor_id, offset_celsius, expected_interval_ms)   sensor settings
    raw_values (series_id, ts, raw)   the value as sent of calibrated readings only (sparse)
    quarantine (room_id, ts, sensor_id, value, reason)   readings set aside at ingest

Format 3 is format 2 plus `sensors`, `raw_values` and `quarantine`: opening a format-2 file
adds them.

Several processes may open one file at once: every step that creates or migrates runs under
SQLite's write lock (BEGIN IMMEDIATE) and re-reads `user_version` inside it.
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np

from roomtemp.storage.rollups.records import I64
from roomtemp.timeparse import MS_PER_DAY

log = logging.getLogger("roomtemp.storage.sqlite")

FORMAT = 3
HOUR_MS = 3_600_000
FIVE_MS = 300_000
SERIES_BITS = 20
PERIOD_BITS = 24
MAX_SERIES = 1 << SERIES_BITS
INDEX_OFFSET = 1 << 22  # day and period indexes of years 1..9999 stay positive
PERIOD_DAYS = 32
PERIOD_MS = PERIOD_DAYS * MS_PER_DAY
HOUR_SLOTS = PERIOD_DAYS * 24
FIVE_SLOTS = MS_PER_DAY // FIVE_MS
GAP_MS = 120_000
PAGE_SIZE = 8192

TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
    room_id TEXT PRIMARY KEY, name TEXT, building TEXT, floor TEXT,
    labels TEXT NOT NULL DEFAULT '{}', comfort_min REAL, comfort_max REAL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rooms_building_floor ON rooms (building, floor);
CREATE TABLE IF NOT EXISTS series (
    series_id INTEGER PRIMARY KEY, room_id TEXT NOT NULL REFERENCES rooms (room_id),
    sensor_id TEXT NOT NULL, last_ts INTEGER, last_value REAL, UNIQUE (room_id, sensor_id)
);
CREATE TABLE IF NOT EXISTS log (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT, max_ts INTEGER NOT NULL, payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS seals (
    seal_id INTEGER PRIMARY KEY AUTOINCREMENT, max_batch INTEGER NOT NULL, pairs BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS days (
    key INTEGER PRIMARY KEY, count INTEGER NOT NULL, total REAL NOT NULL, minimum REAL NOT NULL,
    maximum REAL NOT NULL, first_ts INTEGER NOT NULL, first_value REAL NOT NULL,
    last_ts INTEGER NOT NULL, last_value REAL NOT NULL, integral REAL NOT NULL,
    fives BLOB, raw BLOB
);
CREATE INDEX IF NOT EXISTS days_by_series ON days ((key & 1048575), key);
CREATE TABLE IF NOT EXISTS hours (key INTEGER PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS gaps (
    series_id INTEGER NOT NULL, ts INTEGER NOT NULL, next_ts INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sensors (
    room_id TEXT NOT NULL REFERENCES rooms (room_id), sensor_id TEXT NOT NULL,
    offset_celsius REAL, expected_interval_ms INTEGER, PRIMARY KEY (room_id, sensor_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS raw_values (
    series_id INTEGER NOT NULL, ts INTEGER NOT NULL, raw REAL NOT NULL,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    room_id TEXT NOT NULL REFERENCES rooms (room_id), ts INTEGER NOT NULL,
    sensor_id TEXT NOT NULL, value REAL NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (room_id, ts, sensor_id)
) WITHOUT ROWID;
"""


def day_index(ts: I64 | int) -> I64:
    return np.asarray(ts, np.int64) // MS_PER_DAY + INDEX_OFFSET


def day_start(index: int) -> int:
    return (index - INDEX_OFFSET) * MS_PER_DAY


def day_key(series: int | I64, day: int | I64) -> I64:
    return (np.asarray(day, np.int64) << SERIES_BITS) | np.asarray(series, np.int64)


def series_of_day_key(key: int | I64) -> I64:
    """The series of a day key (or of each of an array of them)."""
    return np.asarray(key, np.int64) & (MAX_SERIES - 1)


SERIES_DAYS = "(key & 1048575) = ? AND key BETWEEN ? AND ?"
"""The day rows of one series in a span of days (through the index on the series part)."""
assert MAX_SERIES - 1 == 1048575


def series_days(series: int, low_ms: int, high_ms: int) -> tuple[int, int, int]:
    """Parameters of SERIES_DAYS for the days touching [low, high)."""
    first = low_ms // MS_PER_DAY + INDEX_OFFSET
    last = (high_ms - 1) // MS_PER_DAY + INDEX_OFFSET
    return series, (first << SERIES_BITS) | series, (last << SERIES_BITS) | series


def day_keys(series: int, low_ms: int, high_ms: int) -> list[int]:
    """Keys of one series' days touching [low, high) (plain ints: one list per query)."""
    first = low_ms // MS_PER_DAY + INDEX_OFFSET
    last = (high_ms - 1) // MS_PER_DAY + INDEX_OFFSET
    return [(day << SERIES_BITS) | series for day in range(first, last + 1)]


def period_index(ts: int) -> int:
    return ts // PERIOD_MS + INDEX_OFFSET


def period_start(index: int) -> int:
    return (index - INDEX_OFFSET) * PERIOD_MS


def hour_key(series: int, period: int) -> int:
    return (series << PERIOD_BITS) | period


def placeholders(count: int) -> str:
    return "(" + ",".join("?" * count) + ")"


def connect(path: str, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), fsync on every commit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -8000")  # 8 MB a connection: day rows are few and big
    return conn


def meta_value(conn: sqlite3.Connection, key: str, default: int = 0) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else int(row[0])


def prepare(conn: sqlite3.Connection) -> int:
    """Create a new store or bring an old one to format 3; returns the version found.

    Format 1 (readings as rows) is converted by `migrate_v1` afterwards, series by series;
    format 2 only lacks tables, created here.
    """
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # day rows of ~2 KB fill big pages well
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table: freed pages return
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > FORMAT:
            raise sqlite3.DatabaseError(
                f"database schema version {found} is newer than this roomtemp knows "
                f"({FORMAT}); upgrade roomtemp"
            )
        if found < FORMAT:
            _create(conn, found)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def _create(conn: sqlite3.Connection, found: int) -> None:
    for statement in TABLES.split(";"):  # not executescript: it would COMMIT the lock away
        if statement.strip():
            conn.execute(statement)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(series)")}
    for column, kind in (("last_ts", "INTEGER"), ("last_value", "REAL")):
        if column not in columns:
            conn.execute(f"ALTER TABLE series ADD COLUMN {column} {kind}")
    conn.executemany(
        "INSERT OR IGNORE INTO meta VALUES (?, ?)",
        [("format", FORMAT), ("gap_ms", GAP_MS), ("epoch", 0)],
    )
    if found != 1:  # format 1 gets its version once migrate_v1 has moved every reading
        conn.execute(f"PRAGMA user_version = {FORMAT}")
        log.info("embedded store at format %d (found format %d)", FORMAT, found)
