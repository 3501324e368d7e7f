"""The embedded default backend: one SQLite file (`sqlite:///PATH`); docs/storage.md explains it.

backend.py      SqliteStorage: the Storage Protocol over the pieces below
options.py      seal and retention settings
schema.py       tables, keys, pragmas; creating a store or bringing an old one to format 3
migrate_v1.py   format 1 (a row per reading) to the current format, series by series
writer.py       group commit on one writer thread
writes.py       the write job of a batch: exact duplicate and conflict checks
hot.py          the hot tier: readings not sealed yet, in memory, in a few sorted runs
keys.py         the hot tier's composite key (series, timestamp) in one int64
logrows.py      the log rows the hot tier is made of
follow.py       keeping the hot tier equal to the log across processes
sealer.py       finished days into compressed day rows with their rollups
housekeeping.py bounded seal and retention rounds between groups
retention.py    raw and rollup retention
codec.py        raw blocks: delta-of-delta timestamps, exact scaled values, zlib
slots.py        rollup records as slot grids (1h per 32 days, 5m per day)
raw.py          raw readings of a series: sealed blocks merged with the hot tier
reads.py        rooms, latest readings, pages of raw readings
rooms.py        room metadata and room deletion, as write jobs
aggregates.py   a room's buckets as columns, or one summary per room
stats.py        bucket statistics from the tiers
decoded.py      decoded rollup slots kept by their bytes (an LRU of 16 MiB a store)
summaries.py    count, sum, min, max per series over one range, many series at once
catalog.py      series ids by (room, sensor)
health.py       the file is the one opened, and sound
"""

from roomtemp.storage.sqlite.backend import SqliteStorage
from roomtemp.storage.sqlite.options import EmbeddedOptions, options_from

__all__ = ["EmbeddedOptions", "SqliteStorage", "options_from"]
