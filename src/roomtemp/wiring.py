"""Settings to the options of each layer: the one place that knows both.

Storage and the service take plain options and know nothing of ROOMTEMP_* variables; the API app,
the CLI and the benchmarks build them from a Settings object here.
"""

from __future__ import annotations

from pathlib import Path

from roomtemp.alerts.rules import AlertRules
from roomtemp.alerts.setup import NotifyOptions
from roomtemp.config import Settings
from roomtemp.domain import Comfort
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
    )


def service_options(settings: Settings) -> ServiceOptions:
    """The rules the service applies, from the settings."""
    return ServiceOptions(
        limits=Limits(
            settings.min_celsius, settings.max_celsius, round(settings.clock_skew * 1000)
        ),
        stale_after_ms=round(settings.stale_after * 1000),
        max_batch=settings.max_batch,
        max_page=settings.max_page,
        max_buckets=settings.max_buckets,
        alerts=alert_rules(settings),
    )


def alert_rules(settings: Settings) -> AlertRules:
    """The thresholds and durations of the alerts, from the settings."""
    return AlertRules(
        stale_after_ms=round(settings.stale_after * 1000),
        for_ms=round(settings.alert_for * 1000),
        lookback_ms=round(settings.alert_lookback * 1000),
        default_comfort=Comfort(settings.default_comfort_min, settings.default_comfort_max),
    )


async def open_configured_storage(settings: Settings) -> Storage:
    """The storage ROOMTEMP_STORAGE names, with the options the settings give it."""
    return await open_storage(settings.storage, storage_options(settings))


def notify_options(settings: Settings) -> NotifyOptions:
    """Where the notifier sends, how often it evaluates, and where its outbox lives."""
    return NotifyOptions(
        interval_seconds=settings.alert_interval,
        alertmanager_url=settings.alertmanager_url or None,
        webhook_urls=tuple(settings.webhook_url_list()),
        notify=settings.notify,
        outbox_path=Path(settings.alert_outbox),
    )
