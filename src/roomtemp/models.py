"""Pydantic models of the HTTP API: what comes in, what goes out (see DESIGN.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ROOM_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
Timestamp = Annotated[
    str | float | None,
    Field(
        description="RFC 3339 with an offset, or Unix epoch seconds; missing: time of receipt",
        examples=["2024-03-01T12:00:00Z", 1709294400.5],
    ),
]


class ReadingIn(BaseModel):
    """One reading as a sensor sends it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"value": 21.5},
                {
                    "value": 70.7,
                    "unit": "F",
                    "timestamp": "2024-03-01T12:00:00+01:00",
                    "sensor_id": "window",
                },
            ]
        },
    )

    value: float = Field(description="the temperature, a finite number")
    unit: str | None = Field(None, description="celsius (default), fahrenheit, kelvin; C, F, K")
    timestamp: Timestamp = None
    sensor_id: str | None = Field(None, description="which sensor of the room; absent: anonymous")
    room_id: str | None = Field(None, description="required in cross-room batches")


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


class WriteOut(BaseModel):
    """What a push did."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"accepted": 2, "duplicates": 1}]})

    accepted: int = Field(description="readings newly stored (or spooled, with 202)")
    duplicates: int = Field(description="identical re-sends ignored")


class LatestOut(BaseModel):
    value: float
    timestamp: str
    sensor_id: str | None


class RoomOut(BaseModel):
    """A room, its newest reading and whether that reading is stale."""

    model_config = ConfigDict(
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
                }
            ]
        }
    )

    room_id: str
    name: str | None
    building: str | None
    floor: str | None
    labels: dict[str, str]
    comfort: ComfortModel
    latest: LatestOut | None
    stale: bool = Field(description="true when there is no reading newer than the stale limit")


class RoomsOut(BaseModel):
    rooms: list[RoomOut]


class SensorOut(BaseModel):
    sensor_id: str | None
    value: float
    timestamp: str
    stale: bool


class TemperatureOut(BaseModel):
    """The current temperature: mean of each sensor's latest non-stale reading."""

    model_config = ConfigDict(
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

    room_id: str
    value: float
    unit: str
    timestamp: str = Field(description="the newest of the readings the value is made of")
    age_seconds: float
    stale: bool
    sensors: list[SensorOut]


class ReadingOut(BaseModel):
    timestamp: str
    value: float
    sensor_id: str | None


class ReadingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "readings": [
                        {"timestamp": "2024-03-01T12:00:00.000Z", "value": 21.5, "sensor_id": None}
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    readings: list[ReadingOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: done")


class SummaryOut(BaseModel):
    mean: float | None
    min: float | None
    max: float | None
    count: int


class BucketOut(BaseModel):
    start: str
    end: str
    mean: float
    min: float
    max: float
    count: int


class StatsOut(BaseModel):
    model_config = ConfigDict(
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
                        }
                    ],
                    "summary": {"mean": 20.5, "min": 20.0, "max": 21.0, "count": 2},
                }
            ]
        }
    )

    room_id: str
    start: str
    end: str
    step: str | None = Field(description="bucket length; null: the whole range as one bucket")
    unit: str
    buckets: list[BucketOut]
    summary: SummaryOut


class RoomSummaryOut(BaseModel):
    room_id: str
    mean: float | None
    min: float | None
    max: float | None
    count: int


class CrossRoomStatsOut(BaseModel):
    rooms: list[RoomSummaryOut]


class HealthOut(BaseModel):
    status: str
    detail: str | None = None


class ReadyOut(HealthOut):
    """Readiness; backends with a remote engine add its reachability and the spool depth."""

    engine_up: bool | None = Field(None, description="remote engine answers (Prometheus backend)")
    spooled_readings: int | None = Field(None, description="readings waiting in the outage spool")
