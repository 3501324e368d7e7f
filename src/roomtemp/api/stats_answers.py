"""The answers of the statistics routes: summaries, buckets, and every room's summary.

TypedDicts, as every answer (see api/models.py): present.py builds them, mypy checks them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict


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
