"""The Prometheus-compatible backend: remote write in, PromQL out (`prometheus://HOST:PORT`).

backend.py       PrometheusStorage: the Storage Protocol over the pieces below
options.py       the URL and StorageOptions to the backend's options
client.py        the engine's HTTP API; driver errors mapped to roomtemp errors
remote_write.py  remote write 1.0 encoding (protobuf + snappy)
promql.py        selectors, durations and expressions, every label value escaped
reads.py         raw readings, latest readings and aggregates through PromQL
rooms.py         room metadata as info series, the registry of rooms
spool.py         the durable outage spool replayed when the engine is back
"""

from roomtemp.storage.prometheus.backend import PrometheusStorage
from roomtemp.storage.prometheus.options import PrometheusOptions

__all__ = ["PrometheusOptions", "PrometheusStorage"]
