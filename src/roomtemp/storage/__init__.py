"""Storage backends, chosen by the URL scheme of ROOMTEMP_STORAGE (see `open_storage`).

base.py        the Storage Protocol every backend implements, and StorageOptions
sqlite/        the embedded default (`sqlite:///PATH`)
prometheus/    any Prometheus-compatible engine (`prometheus://HOST:PORT`)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from roomtemp.errors import ConfigurationError
from roomtemp.storage.base import Storage, StorageOptions

__all__ = ["Storage", "StorageOptions", "open_storage"]

EXAMPLES = (
    "sqlite:///./data/roomtemp.sqlite3",
    "prometheus://127.0.0.1:9090",
    "prometheus+https://HOST",
)


async def open_storage(url: str, options: StorageOptions | None = None) -> Storage:
    """Open the backend a URL names: `sqlite:///relative/path`, `sqlite:////absolute/path`,
    `prometheus://host:port` or `prometheus+https://host`; the Prometheus backend takes the
    rest of its configuration (auth, headers, spool) from `options`."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        return await _open_sqlite(url, options or StorageOptions())
    if scheme.startswith("prometheus"):
        from roomtemp.storage.prometheus import PrometheusStorage
        from roomtemp.storage.prometheus.options import options_from

        storage = PrometheusStorage(options_from(url, options or StorageOptions()))
        await storage.open()
        return storage
    raise ConfigurationError(
        f"unknown storage scheme {scheme!r} in ROOMTEMP_STORAGE={url!r}; "
        f"use one of: {', '.join(EXAMPLES)}"
    )


async def _open_sqlite(url: str, options: StorageOptions) -> Storage:
    from roomtemp.storage.sqlite import SqliteStorage, options_from

    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigurationError(
            f"bad SQLite URL {url!r}: use sqlite:///relative/file.sqlite3 or "
            "sqlite:////absolute/file.sqlite3"
        )
    storage = SqliteStorage(url[len(prefix) :], options_from(options))
    await storage.open()
    return storage
