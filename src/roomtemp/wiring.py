"""Settings to the options of each layer: the one place that knows both.

Storage and the service take plain options and know nothing of ROOMTEMP_* variables; the API app,
the CLI and the benchmarks build them from a Settings object here.
"""

from __future__ import annotations

from pathlib import Path

from roomtemp.config import Settings
from roomtemp.service import ServiceOptions
from roomtemp.storage import Storage, StorageOptions, open_storage
from roomtemp.validation import Limits


def storage_options(settings: Settings) -> StorageOptions:
    """What the storage backends need from the settings."""
    password, token = settings.prometheus_password, settings.prometheus_bearer_token
    return StorageOptions(
        spool_dir=Path(settings.spool_dir),
        spool_max_bytes=settings.spool_max_bytes,
        write_url=settings.prometheus_write_url,
        query_url=settings.prometheus_query_url,
        username=settings.prometheus_username,
        password=password.get_secret_value() if password is not None else None,
        bearer_token=token.get_secret_value() if token is not None else None,
        headers=dict(settings.prometheus_headers),
        timeout_seconds=settings.prometheus_timeout,
        horizon_seconds=settings.prometheus_horizon,
        meta_refresh_seconds=settings.prometheus_meta_refresh,
        meta_window_seconds=settings.prometheus_meta_window,
        flush_url=settings.prometheus_flush_url,
        retention_raw_seconds=settings.retention_raw,
        retention_rollups_seconds=settings.retention_rollups,
        stale_after_seconds=settings.stale_after,
    )


def service_options(settings: Settings) -> ServiceOptions:
    """The rules the service applies, from the settings."""
    return ServiceOptions(
        limits=Limits(
            settings.min_celsius,
            settings.max_celsius,
            round(settings.clock_skew * 1000),
            _raw_retention_ms(settings),
        ),
        stale_after_ms=round(settings.stale_after * 1000),
        max_batch=settings.max_batch,
        max_page=settings.max_page,
        max_buckets=settings.max_buckets,
    )


def _raw_retention_ms(settings: Settings) -> int | None:
    """How old a reading may be: the embedded store refuses readings whose raw day has expired
    (nothing is left to check them against); engines apply their own retention."""
    if settings.retention_raw is None or not settings.storage.lower().startswith("sqlite"):
        return None
    return round(settings.retention_raw * 1000)


async def open_configured_storage(settings: Settings) -> Storage:
    """The storage ROOMTEMP_STORAGE names, with the options the settings give it."""
    return await open_storage(settings.storage, storage_options(settings))
