"""Settings and a `prometheus://` URL to the backend's options."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.storage.engine import EngineConfig
from roomtemp.storage.prometheus import PrometheusOptions

SCHEMES = {"prometheus": "http", "prometheus+http": "http", "prometheus+https": "https"}


def options_from(url: str, settings: Settings) -> PrometheusOptions:
    """`prometheus://[user:pass@]host:port[/path]` (or `prometheus+https://`) and ROOMTEMP_*."""
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
            write_url=settings.prometheus_write_url or base + "/api/v1/write",
            query_url=(settings.prometheus_query_url or base).rstrip("/"),
            headers=_headers(settings),
            auth=_basic_auth(parts.username, parts.password, settings),
            timeout_seconds=settings.prometheus_timeout,
            flush_url=settings.prometheus_flush_url,
        ),
        spool_dir=Path(settings.spool_dir),
        spool_max_bytes=settings.spool_max_bytes,
        horizon_ms=round(settings.prometheus_horizon * 1000),
        meta_refresh_seconds=settings.prometheus_meta_refresh,
        meta_window_ms=round(settings.prometheus_meta_window * 1000),
    )


def _headers(settings: Settings) -> dict[str, str]:
    headers = dict(settings.prometheus_headers)
    if settings.prometheus_bearer_token is not None:
        headers["Authorization"] = f"Bearer {settings.prometheus_bearer_token.get_secret_value()}"
    return headers


def _basic_auth(
    user: str | None, password: str | None, settings: Settings
) -> tuple[str, str] | None:
    if settings.prometheus_username is not None:
        secret = settings.prometheus_password
        return settings.prometheus_username, secret.get_secret_value() if secret else ""
    if user is not None:
        return unquote(user), unquote(password or "")
    return None
