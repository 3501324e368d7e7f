"""The embedded default backend: one SQLite file (`sqlite:///PATH`).

backend.py    SqliteStorage: the Storage Protocol over the pieces below
schema.py     numbered migrations recorded in `user_version`
writer.py     group commit on one writer thread, checkpoints on another
batch.py      one write job: rows, duplicates, conflicts, hourly rollups
aggregate.py  which SQL answers a list of stats buckets
"""

from roomtemp.storage.sqlite.backend import SqliteStorage

__all__ = ["SqliteStorage"]
