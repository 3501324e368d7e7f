"""The Prometheus-compatible backend: remote write in, PromQL out (`prometheus://HOST:PORT`).

backend.py       PrometheusStorage: the Storage Protocol over the pieces below
options.py       the URL and StorageOptions to the backend's options
client.py        the engine's HTTP API; its answers mapped to roomtemp errors
sender.py        remote-write POSTs over keep-alive HTTP/1.1 connections
remote_write.py  remote write 1.0 encoding (protobuf wire format + snappy)
batches.py       readings grouped by series, held as samples or as their encoding
writer.py        writes: new readings without reads, one read for the others, requests split
newest.py        what this replica knows of the newest samples in the engine
promql.py        selectors, durations and expressions, every label value escaped
reads.py         raw readings, latest readings and aggregates through PromQL
rooms.py         room metadata as info series, the registry of rooms
deletes.py       deleting a room's series (staleness markers where the engine needs them)
spool.py         the durable outage spool: a FIFO of checksummed records
records.py       the spool's record format, and finding sound records among damaged ones
segments.py      appending records to segment files
spool_disk.py    slots, the replay cursor, and the disk under them
legacy_spool.py  spools of the earlier line format, moved over when opened
replay.py        replaying the spool into the engine; the engine's state
"""

from roomtemp.storage.prometheus.backend import PrometheusStorage
from roomtemp.storage.prometheus.options import PrometheusOptions

__all__ = ["PrometheusOptions", "PrometheusStorage"]
