"""The shapes of the HTTP API (docs/api.md): what comes in, the write and health answers; the
answers about rooms are in answers.py, those of the statistics routes in stats_answers.py.

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
