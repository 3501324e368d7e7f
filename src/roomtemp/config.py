"""Settings: one object, read from ROOMTEMP_* environment variables; CLI flags override them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from roomtemp.timeparse import parse_duration, parse_rate

DEFAULT_STORAGE = "sqlite:///./data/roomtemp.sqlite3"


class Settings(BaseSettings):
    """Everything that wires roomtemp together; built in create_app or the CLI, not at import."""

    # a variable set to "" means "not set": ROOMTEMP_TOKENS_FILE= is no tokens file, not Path(".")
    model_config = SettingsConfigDict(env_prefix="ROOMTEMP_", extra="ignore", env_ignore_empty=True)

    storage: str = Field(
        DEFAULT_STORAGE, description="storage URL: sqlite:///PATH or prometheus://HOST:PORT"
    )
    host: str = Field("127.0.0.1", description="address the server binds")
    port: int = Field(8000, ge=0, le=65535, description="port the server binds")
    workers: int = Field(1, ge=1, le=64, description="server worker processes")
    min_celsius: float = Field(-60.0, description="lowest plausible reading, in °C")
    max_celsius: float = Field(100.0, description="highest plausible reading, in °C")
    implausible: Literal["reject", "quarantine"] = Field(
        "reject",
        description="reject: an implausible reading fails its batch (422); quarantine: it is "
        "kept aside with the reason and the rest is stored",
    )
    max_rate: float | None = Field(
        None,
        gt=0,
        description="°C per minute a sensor may change against its previous reading; faster is "
        "implausible (unset: no limit)",
    )
    clock_skew: float = Field(
        300.0, ge=0, description="seconds (or 5m) a reading's timestamp may lie in the future"
    )
    stale_after: float = Field(
        900.0, gt=0, description="seconds (or 15m) before a reading is stale"
    )
    max_batch: int = Field(10_000, ge=1, description="most readings in one request (413 above)")
    max_page: int = Field(10_000, ge=1, description="most readings in one page of raw readings")
    max_buckets: int = Field(11_000, ge=1, description="most buckets in one stats answer")
    log_level: str = Field("info", description="debug, info, warning or error")
    tokens_file: Path | None = Field(
        None, description="the tokens file; unset: no authentication (loopback only)"
    )
    insecure_no_auth: bool = Field(
        False, description="serve without tokens on a non-loopback address (not recommended)"
    )
    cors_origins: str = Field("", description="comma-separated origins allowed by CORS; '': none")
    max_body_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="largest request body in bytes (413 above)"
    )
    body_timeout: float = Field(
        30.0, gt=0, description="seconds (or 30s) a request body may take to arrive (408 after)"
    )
    head_timeout: float = Field(
        10.0, gt=0, description="seconds (or 10s) a client may take to send a request's headers"
    )
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="largest request head (request line and headers), bytes"
    )
    keep_alive_timeout: int = Field(
        5, ge=1, description="seconds an idle keep-alive connection stays open"
    )
    max_connections: int = Field(
        1000, ge=1, description="concurrent connections per worker; more get 503"
    )
    rate_limit: str | None = Field(
        None, description="per-token request rate like 600/m or 20/s; unset: no limit"
    )

    # alerts (roomtemp.alerts): evaluated from the data; notifications from a durable outbox
    default_comfort_min: float | None = Field(
        None, description="band edge (°C) for rooms whose comfort band leaves it open"
    )
    default_comfort_max: float | None = Field(
        None, description="band edge (°C) for rooms whose comfort band leaves it open"
    )
    alert_for: float = Field(
        600.0, ge=0, description="seconds (or 10m) a room stays out of band before it fires"
    )
    alert_lookback: float = Field(
        7 * 86400.0, gt=0, description="how far back (7d) alert runs and silent sensors are seen"
    )
    alert_interval: float = Field(
        30.0, gt=0, description="seconds (or 30s) between evaluations of the notifier"
    )
    alertmanager_url: str | None = Field(
        None, description="Alertmanager's base URL; alerts go to its /api/v2/alerts"
    )
    webhook_urls: str = Field(
        "", description="comma-separated URLs that get Alertmanager's webhook payload (v4)"
    )
    notify: bool = Field(True, description="false: this replica sends no notifications")
    alert_outbox: str = Field(
        "./data/alerts-outbox.sqlite3", description="durable outbox of notifications to send"
    )

    # Prometheus-compatible backend (ROOMTEMP_STORAGE=prometheus://host:port)
    prometheus_write_url: str | None = Field(
        None, description="remote-write URL; default: the storage URL + /api/v1/write"
    )
    prometheus_query_url: str | None = Field(
        None, description="base of /api/v1/query; default: the storage URL"
    )
    prometheus_username: str | None = Field(None, description="basic auth user")
    prometheus_password: SecretStr | None = Field(None, description="basic auth password")
    prometheus_bearer_token: SecretStr | None = Field(None, description="bearer token")
    prometheus_headers: dict[str, str] = Field(
        default_factory=dict, description='extra headers as JSON, e.g. {"X-Scope-OrgID": "t1"}'
    )
    prometheus_timeout: float = Field(10.0, gt=0, description="seconds per engine request")
    prometheus_horizon: float = Field(
        3650 * 86400.0, gt=0, description="how far back latest readings are looked for (10y)"
    )
    prometheus_meta_refresh: float = Field(
        300.0, gt=0, description="seconds between re-assertions of room info series"
    )
    prometheus_meta_window: float = Field(
        86400.0, gt=0, description="look-back of room info series (must exceed the refresh)"
    )
    prometheus_flush_url: str | None = Field(
        None, description="URL fetched after each write to make it searchable at once (tests)"
    )
    retention_raw: float | None = Field(
        None, gt=0, description="embedded store: seconds (or 30d) raw readings are kept; unset: all"
    )
    retention_rollups: float | None = Field(
        None, gt=0, description="embedded store: seconds (or 10y) rollups are kept; unset: all"
    )
    decoded_cache_bytes: int = Field(
        16 * 1024 * 1024,
        ge=0,
        description="embedded store: bytes of decoded hourly rollups kept per worker (0: none)",
    )
    spool_dir: str = Field("./data/spool", description="outage spool directory")
    spool_max_bytes: int = Field(256 * 1024 * 1024, ge=4096, description="outage spool bound")

    # MQTT bridge (in `roomtemp serve` when mqtt_url is set, or alone as `roomtemp mqtt`)
    mqtt_url: SecretStr | None = Field(
        None, description="broker: mqtt://[user:pass@]host[:1883] or mqtts://…; unset: no bridge"
    )
    mqtt_topics: str = Field(
        "roomtemp/{room}/{sensor},roomtemp/{room}",
        description="comma-separated topic patterns; {room} and {sensor} name the room, sensor",
    )
    mqtt_map: Path | None = Field(None, description="JSON file renaming devices to rooms")
    mqtt_client_id: str = Field(
        "roomtemp-bridge", description="MQTT client id: the broker keeps its session by it"
    )
    mqtt_rejected_file: str = Field(
        "./data/mqtt-rejected.jsonl", description="messages the bridge could not use (bounded)"
    )

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_rate(value)
            return value
        return None

    def webhook_url_list(self) -> list[str]:
        return [url.strip() for url in self.webhook_urls.split(",") if url.strip()]

    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def to_environment(self) -> dict[str, str]:
        """These settings as ROOMTEMP_* variables that Settings() reads back: how `roomtemp serve`
        hands its flags to uvicorn's worker processes. Unset (None) settings are left out."""
        environment: dict[str, str] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value is not None:
                text = str(value) if isinstance(value, str | Path) else json.dumps(value)
                environment[f"ROOMTEMP_{name.upper()}"] = text
        return environment

    @field_validator(
        "clock_skew",
        "stale_after",
        "body_timeout",
        "head_timeout",
        "prometheus_timeout",
        "prometheus_horizon",
        "prometheus_meta_refresh",
        "prometheus_meta_window",
        "retention_raw",
        "retention_rollups",
        "alert_for",
        "alert_lookback",
        "alert_interval",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_duration(value) / 1000
        return value

    @model_validator(mode="after")
    def _check_range(self) -> Settings:
        if self.min_celsius >= self.max_celsius:
            raise ValueError(
                f"ROOMTEMP_MIN_CELSIUS ({self.min_celsius}) must be below "
                f"ROOMTEMP_MAX_CELSIUS ({self.max_celsius})"
            )
        raw, rollups = self.retention_raw, self.retention_rollups
        if raw is not None and rollups is not None and rollups < raw:
            raise ValueError(
                f"ROOMTEMP_RETENTION_ROLLUPS ({rollups:g} s) must be at least "
                f"ROOMTEMP_RETENTION_RAW ({raw:g} s): stats over old ranges come from the rollups"
            )
        low, high = self.default_comfort_min, self.default_comfort_max
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"ROOMTEMP_DEFAULT_COMFORT_MIN ({low}) must not exceed "
                f"ROOMTEMP_DEFAULT_COMFORT_MAX ({high})"
            )
        return self
