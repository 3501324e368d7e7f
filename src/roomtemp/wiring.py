"""Settings to the options of each layer: the one place that knows both.

Storage and the service take plain options and know nothing of ROOMTEMP_* variables; the API app,
the CLI and the benchmarks build them from a Settings object here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from roomtemp.alerts.rules import AlertRules
from roomtemp.alerts.setup import NotifyOptions
from roomtemp.config import Settings
from roomtemp.domain import Comfort
from roomtemp.errors import ConfigurationError
from roomtemp.ingest.mqtt_bridge import MqttBridge, MqttOptions, Outcome, Store
from roomtemp.ingest.mqtt_payloads import Target, parse_device_map, parse_patterns
from roomtemp.screening import Screening
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
        decoded_cache_bytes=settings.decoded_cache_bytes,
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
        alerts=alert_rules(settings),
        screening=Screening(
            quarantine=settings.implausible == "quarantine",
            max_rate_per_minute=settings.max_rate,
            window_ms=round(settings.stale_after * 1000),
        ),
    )


def alert_rules(settings: Settings) -> AlertRules:
    """The thresholds and durations of the alerts, from the settings."""
    return AlertRules(
        stale_after_ms=round(settings.stale_after * 1000),
        for_ms=round(settings.alert_for * 1000),
        lookback_ms=round(settings.alert_lookback * 1000),
        default_comfort=Comfort(settings.default_comfort_min, settings.default_comfort_max),
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


def mqtt_options(settings: Settings) -> MqttOptions | None:
    """The MQTT bridge's options, or None when ROOMTEMP_MQTT_URL is unset; ConfigurationError
    for bad topic patterns or an unusable map file."""
    if settings.mqtt_url is None:
        return None
    try:
        patterns = parse_patterns(settings.mqtt_topics)
    except ValueError as exc:
        raise ConfigurationError(f"ROOMTEMP_MQTT_TOPICS: {exc}") from None
    return MqttOptions(
        url=settings.mqtt_url.get_secret_value(),
        patterns=patterns,
        client_id=settings.mqtt_client_id,
        devices=_device_map(settings.mqtt_map),
        rejected_file=Path(settings.mqtt_rejected_file),
        max_payload_bytes=settings.max_body_bytes,
    )


def _device_map(path: Path | None) -> dict[str, Target]:
    if path is None:
        return {}
    try:
        return parse_device_map(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(f"cannot read ROOMTEMP_MQTT_MAP {path}: {exc.strerror}") from None
    except ValueError as exc:  # orjson's decode error is a ValueError too
        raise ConfigurationError(f"ROOMTEMP_MQTT_MAP {path} is not valid: {exc}") from None


@asynccontextmanager
async def mqtt_bridge(
    settings: Settings, store: Store, outcome: Outcome | None = None
) -> AsyncIterator[MqttBridge | None]:
    """The MQTT bridge into `store` (RoomService.ingest), running while inside (None when no
    broker is set)."""
    options = mqtt_options(settings)
    if options is None:
        yield None
        return
    bridge = MqttBridge(options, store, outcome)
    await bridge.start()
    try:
        yield bridge
    finally:
        await bridge.stop()


def notify_options(settings: Settings) -> NotifyOptions:
    """Where the notifier sends, how often it evaluates, and where its outbox lives."""
    return NotifyOptions(
        interval_seconds=settings.alert_interval,
        alertmanager_url=settings.alertmanager_url or None,
        webhook_urls=tuple(settings.webhook_url_list()),
        notify=settings.notify,
        outbox_path=Path(settings.alert_outbox),
    )
