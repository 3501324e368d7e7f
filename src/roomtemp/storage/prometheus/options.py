"""A `prometheus://` URL and StorageOptions to the backend's own options."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from roomtemp.errors import ConfigurationError
from roomtemp.storage.base import StorageOptions
from roomtemp.storage.prometheus.client import EngineConfig

SCHEMES = {"prometheus": "http", "prometheus+http": "http", "prometheus+https": "https"}


@dataclass(frozen=True)
class PrometheusOptions:
    """Everything the backend needs besides the engine's address."""

    engine: EngineConfig
    spool_dir: Path
    spool_max_bytes: int = 256 * 1024 * 1024
    horizon_ms: int = 3650 * 86_400_000
    meta_refresh_seconds: float = 300.0
    meta_window_ms: int = 86_400_000
    idle_probe_seconds: float = 5.0
    stale_ms: int = 900_000
    offsets_for_ms: int = 60_000
    """How long a replica calibrates with the sensor offsets it read before reading them again
    (a PUT on another replica takes effect after this)."""
    wall_clock: Callable[[], float] = field(default=time.time)


def options_from(url: str, options: StorageOptions) -> PrometheusOptions:
    """`prometheus://[user:pass@]host:port[/path]` (or `prometheus+https://`) and the options."""
    parts = urlsplit(url)
    http = SCHEMES.get(parts.scheme.lower())
    if http is None or not parts.hostname:
        raise ConfigurationError(
            f"bad Prometheus URL {url!r}: use prometheus://HOST:PORT or prometheus+https://HOST"
        )
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    base = f"{http}://{host}{parts.path.rstrip('/')}"
    return PrometheusOptions(
        engine=EngineConfig(
            write_url=options.write_url or base + "/api/v1/write",
            query_url=(options.query_url or base).rstrip("/"),
            headers=_headers(options.headers, options.bearer_token),
            auth=_basic_auth(parts.username, parts.password, options),
            timeout_seconds=options.timeout_seconds,
            flush_url=options.flush_url,
        ),
        spool_dir=options.spool_dir,
        spool_max_bytes=options.spool_max_bytes,
        horizon_ms=round(options.horizon_seconds * 1000),
        meta_refresh_seconds=options.meta_refresh_seconds,
        meta_window_ms=round(options.meta_window_seconds * 1000),
        stale_ms=round(options.stale_after_seconds * 1000),
    )


def _headers(extra: Mapping[str, str], bearer_token: str | None) -> dict[str, str]:
    headers = dict(extra)
    if bearer_token is not None:
        headers["Authorization"] = f"Bearer {bearer_token}"
    return headers


def _basic_auth(
    user: str | None, password: str | None, options: StorageOptions
) -> tuple[str, str] | None:
    if options.username is not None:
        return options.username, options.password or ""
    if user is not None:
        return unquote(user), unquote(password or "")
    return None
