"""The shapes of the HTTP API (docs/api.md): what comes in, and what goes out.

Inputs are pydantic models, validated by FastAPI. Answers are TypedDicts: the routes build them
as plain dicts (a year of hourly buckets is 8,760 objects, and a model instance each would cost
more than the query), mypy checks every dict built in present.py against its TypedDict, and
FastAPI documents the same TypedDicts in the OpenAPI schema. One source, no drift.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator, with_config
from typing_extensions import TypedDict

from roomtemp.timeparse import parse_duration
from roomtemp.validation import ReadingIn

__all__ = ["ReadingIn"]


class ComfortModel(BaseModel):
    """The band a room should stay in, in degrees Celsius; either side may be open."""

    model_config = ConfigDict(extra="forbid")

    min_celsius: float | None = Field(None, allow_inf_nan=False)
    max_celsius: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> ComfortModel:
        low, high = self.min_celsius, self.max_celsius
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_celsius ({low}) must not exceed max_celsius ({high})")
        return self


class RoomMetaIn(BaseModel):
    """Metadata of a room; a PUT replaces all of it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Meeting room 2.14",
                    "building": "hq",
                    "floor": "2",
                    "labels": {"wing": "east"},
                    "comfort": {"min_celsius": 19, "max_celsius": 24},
                }
            ]
        },
    )

    name: str | None = Field(None, max_length=200)
    building: str | None = Field(None, max_length=100)
    floor: str | None = Field(None, max_length=50, description="a label: '2', 'B1', 'ground'")
    labels: dict[str, str] = Field(default_factory=dict, max_length=64)
    comfort: ComfortModel = Field(default_factory=ComfortModel)

    @field_validator("floor", mode="before")
    @classmethod
    def _floor_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("labels")
    @classmethod
    def _encodable_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for text in (*labels, *labels.values()):
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("labels must be Unicode text (no lone surrogates)") from None
        return labels


MAX_OFFSET_CELSIUS = 50.0
MAX_EXPECTED_INTERVAL_MS = 7 * 86_400_000


class SensorSettingsIn(BaseModel):
    """A sensor's settings; a PUT replaces all of them (a field left out is unset)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"offset_celsius": -0.5, "expected_interval": "5m"}]},
    )

    offset_celsius: float | None = Field(
        None,
        allow_inf_nan=False,
        ge=-MAX_OFFSET_CELSIUS,
        le=MAX_OFFSET_CELSIUS,
        description="added to the sensor's readings (°C, after unit conversion) from now on",
    )
    expected_interval: str | float | None = Field(
        None,
        description="how often the sensor reports: a duration (30s, 5m, 1h) or seconds; "
        "silent after three times this (else after ROOMTEMP_STALE_AFTER)",
        examples=["5m"],
    )

    @field_validator("offset_celsius", "expected_interval", mode="before")
    @classmethod
    def _not_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number or text, not true or false")
        return value

    def expected_interval_ms(self) -> int | None:
        """The interval in ms; ValueError (for a 422) when it is not a usable duration."""
        if self.expected_interval is None:
            return None
        ms = parse_duration(self.expected_interval)
        if ms < 1000 or ms > MAX_EXPECTED_INTERVAL_MS:
            raise ValueError(
                f"expected_interval {self.expected_interval!r} must lie between 1s and 7d"
            )
        return ms


@with_config(ConfigDict(json_schema_extra={"examples": [{"accepted": 2, "duplicates": 1}]}))
class WriteOut(TypedDict):
    """What a push did."""

    accepted: Annotated[int, Field(description="readings newly stored (or spooled, with 202)")]
    duplicates: Annotated[int, Field(description="identical re-sends ignored")]
    quarantined: NotRequired[
        Annotated[
            int,
            Field(
                description="readings set aside as implausible (ROOMTEMP_IMPLAUSIBLE=quarantine)"
            ),
        ]
    ]


class ComfortOut(TypedDict):
    """The band a room should stay in, in degrees Celsius; either side may be open (null)."""

    min_celsius: float | None
    max_celsius: float | None


class LatestOut(TypedDict):
    value: float
    timestamp: str
    sensor_id: str | None


ROOM_STATES = ["no_data", "stale", "too_cold", "too_hot", "ok"]
ALERT_KINDS = ["too_hot", "too_cold", "silent"]
ALERT_STATES = ["pending", "firing"]


class CurrentOut(TypedDict):
    """The room now: its value as /temperature computes it, and its state."""

    value: Annotated[float | None, Field(description="null without readings")]
    timestamp: Annotated[str | None, Field(description="the newest reading the value uses")]
    stale: Annotated[bool, Field(description="every sensor's newest reading is stale")]
    state: Annotated[str, Field(json_schema_extra={"enum": ROOM_STATES})]
    state_since: Annotated[
        str | None,
        Field(
            description="when the room entered the state: the alert's since when too hot or "
            "too cold, the newest reading plus the stale-after time when stale; null when ok "
            "or without data"
        ),
    ]


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "room_id": "kitchen",
                    "name": "Kitchen",
                    "building": "hq",
                    "floor": "0",
                    "labels": {},
                    "comfort": {"min_celsius": 18, "max_celsius": 25},
                    "latest": {
                        "value": 21.5,
                        "timestamp": "2024-03-01T12:00:00.000Z",
                        "sensor_id": None,
                    },
                    "stale": False,
                    "current": {
                        "value": 21.5,
                        "timestamp": "2024-03-01T12:00:00.000Z",
                        "stale": False,
                        "state": "ok",
                        "state_since": None,
                    },
                }
            ]
        }
    )
)
class RoomOut(TypedDict):
    """A room, its newest reading and whether that reading is stale."""

    room_id: str
    name: str | None
    building: str | None
    floor: str | None
    labels: dict[str, str]
    comfort: ComfortOut
    latest: LatestOut | None
    stale: Annotated[
        bool, Field(description="true when there is no reading newer than the stale limit")
    ]
    current: CurrentOut


class RoomsOut(TypedDict):
    rooms: list[RoomOut]
    next_cursor: Annotated[
        str | None, Field(description="pass as `cursor` for the next page; null: done")
    ]


class SetAsideOut(TypedDict):
    timestamp: str
    value: Annotated[float, Field(description="the value as sent, in °C")]
    sensor_id: str | None
    reason: Annotated[
        str,
        Field(
            description="implausible: outside the plausible range; rate: a jump faster than "
            "ROOMTEMP_MAX_RATE",
            json_schema_extra={"enum": ["implausible", "rate"]},
        ),
    ]


class QuarantineOut(TypedDict):
    readings: list[SetAsideOut]
    next_cursor: Annotated[
        str | None, Field(description="pass as `cursor` for the next page; null: done")
    ]


class SensorSettingsOut(TypedDict):
    """A sensor of a room: its settings (null: not set) and its newest reading."""

    sensor_id: Annotated[str | None, Field(description="null: the anonymous sensor")]
    offset_celsius: float | None
    expected_interval: Annotated[
        str | None,
        Field(description="a duration like 5m; null: not set (silent after the stale-after time)"),
    ]
    latest: LatestOut | None


class SensorsOut(TypedDict):
    sensors: list[SensorSettingsOut]


class SensorOut(TypedDict):
    sensor_id: str | None
    value: float
    timestamp: str
    stale: bool


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "room_id": "kitchen",
                    "value": 21.25,
                    "unit": "celsius",
                    "timestamp": "2024-03-01T12:00:00.000Z",
                    "age_seconds": 12.5,
                    "stale": False,
                    "sensors": [
                        {
                            "sensor_id": "door",
                            "value": 21.0,
                            "timestamp": "2024-03-01T11:59:50.000Z",
                            "stale": False,
                        },
                        {
                            "sensor_id": "window",
                            "value": 21.5,
                            "timestamp": "2024-03-01T12:00:00.000Z",
                            "stale": False,
                        },
                    ],
                }
            ]
        }
    )
)
class TemperatureOut(TypedDict):
    """The current temperature: mean of each sensor's latest non-stale reading."""

    room_id: str
    value: float
    unit: str
    timestamp: Annotated[str, Field(description="the newest of the readings the value is made of")]
    age_seconds: float
    stale: bool
    sensors: list[SensorOut]


class ReadingOut(TypedDict):
    timestamp: str
    value: float
    sensor_id: str | None
    raw_value: NotRequired[
        Annotated[
            float,
            Field(
                description="the value as sent, only in a reading its sensor's offset was added "
                "to (without it, the value is as sent)"
            ),
        ]
    ]


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "readings": [
                        {
                            "timestamp": "2024-03-01T12:00:00.000Z",
                            "value": 21.5,
                            "sensor_id": None,
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
)
class ReadingsOut(TypedDict):
    readings: list[ReadingOut]
    next_cursor: Annotated[
        str | None, Field(description="pass as `cursor` for the next page; null: done")
    ]


class SummaryOut(TypedDict):
    mean: float | None
    min: float | None
    max: float | None
    count: int


class StatsSummaryOut(SummaryOut):
    """The whole range: plain and time-weighted mean, and the share of it held by a reading."""

    mean_time_weighted: Annotated[
        float | None,
        Field(description="held values' integral over their held time; null: nothing held"),
    ]
    coverage: Annotated[
        float | None, Field(description="share of the range during which a sensor held a value")
    ]


class BucketOut(TypedDict):
    start: str
    end: str
    mean: float
    min: float
    max: float
    count: int
    mean_time_weighted: Annotated[
        float | None,
        Field(
            description="each reading holds its value until the sensor's next reading, for at "
            "most ROOMTEMP_STALE_AFTER: the held values' integral over their held time"
        ),
    ]
    coverage: Annotated[
        float | None,
        Field(description="share of the bucket (0 to 1) during which a sensor held a value"),
    ]


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "room_id": "kitchen",
                    "start": "2024-03-01T00:00:00.000Z",
                    "end": "2024-03-01T02:00:00.000Z",
                    "step": "1h",
                    "unit": "celsius",
                    "buckets": [
                        {
                            "start": "2024-03-01T00:00:00.000Z",
                            "end": "2024-03-01T01:00:00.000Z",
                            "mean": 20.5,
                            "min": 20.0,
                            "max": 21.0,
                            "count": 2,
                            "mean_time_weighted": 20.25,
                            "coverage": 0.5,
                        }
                    ],
                    "summary": {
                        "mean": 20.5,
                        "min": 20.0,
                        "max": 21.0,
                        "count": 2,
                        "mean_time_weighted": 20.25,
                        "coverage": 0.25,
                    },
                }
            ]
        }
    )
)
class StatsOut(TypedDict):
    room_id: str
    start: str
    end: str
    step: Annotated[
        str, Field(description="bucket length; without `step`, the length of the whole range")
    ]
    unit: str
    buckets: list[BucketOut]
    summary: StatsSummaryOut


class RoomSummaryOut(TypedDict):
    room_id: str
    mean: float | None
    min: float | None
    max: float | None
    count: int


class CrossRoomStatsOut(TypedDict):
    rooms: list[RoomSummaryOut]


class HealthOut(TypedDict):
    status: str
    detail: str | None


class InfluxHealthOut(TypedDict):
    """InfluxDB 2's `/health` answer, as its clients parse it."""

    name: str
    message: str
    status: Annotated[str, Field(description="pass, or fail while writes cannot be taken")]
    checks: list[str]
    version: str


class ReadyOut(TypedDict):
    """Readiness; backends with a remote engine add its reachability and the spool depth."""

    status: Annotated[str, Field(description="ok, degraded (engine down, spooling) or unavailable")]
    detail: str | None
    engine_up: NotRequired[
        Annotated[bool, Field(description="remote engine answers (Prometheus backend)")]
    ]
    spooled_readings: NotRequired[
        Annotated[int, Field(description="readings waiting in the outage spool")]
    ]


@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "alerts": [
                        {
                            "room_id": "kitchen",
                            "sensor_id": None,
                            "kind": "too_hot",
                            "state": "firing",
                            "since": "2024-03-01T11:05:00.000Z",
                            "value": 26.25,
                            "threshold": 25.0,
                        }
                    ]
                }
            ]
        }
    )
)
class AlertOut(TypedDict):
    """An active alert; room-level ones (too_hot, too_cold) have a null sensor_id."""

    room_id: str
    sensor_id: str | None
    kind: Annotated[str, Field(json_schema_extra={"enum": ALERT_KINDS})]
    state: Annotated[
        str,
        Field(
            json_schema_extra={"enum": ALERT_STATES},
            description="pending until the condition has held for ROOMTEMP_ALERT_FOR",
        ),
    ]
    since: Annotated[
        str,
        Field(description="start of the run of out-of-band minutes; silent: the last reading"),
    ]
    value: Annotated[float, Field(description="the newest minute's mean; silent: last reading")]
    threshold: Annotated[float | None, Field(description="the band edge crossed; silent: null")]


class AlertsOut(TypedDict):
    alerts: list[AlertOut]


class EpisodeOut(TypedDict):
    """A run of out-of-band minutes (or a sensor's silence) in the range."""

    kind: Annotated[str, Field(json_schema_extra={"enum": ALERT_KINDS})]
    sensor_id: str | None
    start: str
    end: Annotated[
        str | None, Field(description="end of its last out-of-band minute; null while active")
    ]
    peak: Annotated[
        float | None, Field(description="the most extreme minute mean; null for silent")
    ]


class EpisodesOut(TypedDict):
    episodes: list[EpisodeOut]
