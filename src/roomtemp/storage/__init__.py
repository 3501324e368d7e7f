"""Storage backends, chosen by the URL scheme of ROOMTEMP_STORAGE (see `open_storage`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from roomtemp.errors import ConfigurationError
from roomtemp.storage.base import Storage

__all__ = ["Storage", "open_storage"]

EXAMPLES = ("sqlite:///./data/roomtemp.sqlite3",)


async def open_storage(url: str) -> Storage:
    """Open the backend a URL names: `sqlite:///relative/path` or `sqlite:////absolute/path`."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from roomtemp.storage.sqlite import SqliteStorage

        prefix = "sqlite:///"
        if not url.startswith(prefix) or len(url) == len(prefix):
            raise ConfigurationError(
                f"bad SQLite URL {url!r}: use sqlite:///relative/file.sqlite3 or "
                "sqlite:////absolute/file.sqlite3"
            )
        storage = SqliteStorage(url[len(prefix) :])
        await storage.open()
        return storage
    raise ConfigurationError(
        f"unknown storage scheme {scheme!r} in ROOMTEMP_STORAGE={url!r}; "
        f"use one of: {', '.join(EXAMPLES)}"
    )
