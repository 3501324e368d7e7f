"""The answers about rooms: metadata with state, sensors, readings, temperature, alerts.

TypedDicts, as every answer (see api/models.py): present.py builds them, mypy checks them.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from roomtemp.alerts.rules import AlertState, Kind
from roomtemp.alerts.state import RoomState


class ComfortOut(TypedDict):
    """The band a room should stay in, in degrees Celsius; either side may be open (null)."""

    min_celsius: float | None
    max_celsius: float | None


class LatestOut(TypedDict):
    value: float
    timestamp: str
    sensor_id: str | None


ROOM_STATES = [state.value for state in RoomState]
ALERT_KINDS = [kind.value for kind in Kind]
ALERT_STATES = [state.value for state in AlertState]


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
