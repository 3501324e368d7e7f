"""Statistics requests: their buckets (epoch steps or local days, bounded), and the summary of
a range's bucket aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from roomtemp.domain import Aggregate, AggregateColumns
from roomtemp.errors import InvalidInput
from roomtemp.timeparse import (
    MAX_MS,
    MIN_MS,
    MS_PER_DAY,
    Bucket,
    count_epoch_buckets,
    count_local_day_buckets,
    epoch_buckets,
    local_day_buckets,
)


@dataclass(frozen=True)
class StatsQuery:
    """A validated stats request: `[start, end)`, optional step and time zone."""

    start_ms: int
    end_ms: int
    step_ms: int | None = None
    zone: ZoneInfo | None = None


@dataclass(frozen=True)
class Summary:
    """Mean, min, max and count over many buckets (None values when count is 0), and the
    time-weighted mean and coverage of the whole range where the backend gives them."""

    mean: float | None
    minimum: float | None
    maximum: float | None
    count: int
    mean_time_weighted: float | None = None
    coverage: float | None = None


def stats_buckets(query: StatsQuery, max_buckets: int) -> Sequence[Bucket]:
    """The buckets of a query; InvalidInput (located at `step`) when there would be more than
    `max_buckets`."""
    start, end, step = query.start_ms, query.end_ms, query.step_ms
    if step is None:
        return [Bucket(start, end, start, end)]
    local_days = query.zone is not None and step % MS_PER_DAY == 0
    if local_days and query.zone is not None:
        count = count_local_day_buckets(start, end, step // MS_PER_DAY)
    else:
        count = count_epoch_buckets(start, end, step)
    if count > max_buckets:
        raise InvalidInput.single(
            ("step",),
            f"the range holds {count} buckets of this step, more than the limit of "
            f"{max_buckets}; use a longer step or a shorter range",
        )
    found: Sequence[Bucket] | None
    try:
        if local_days and query.zone is not None:
            found = local_day_buckets(start, end, step // MS_PER_DAY, query.zone)
        else:
            found = epoch_buckets(start, end, step)
    except OverflowError:
        found = None
    if found is None or (found and (found[0].start_ms < MIN_MS or found[-1].end_ms > MAX_MS)):
        raise InvalidInput.single(
            ("step",),
            "buckets of this step would start or end outside years 1 to 9999 (UTC); "
            "use a shorter step or a range further from those years",
        )
    return found


def summarise(aggregates: Sequence[Aggregate]) -> Summary:
    """Combine bucket aggregates: mean is the sum of sums over the sum of counts."""
    if isinstance(aggregates, AggregateColumns):
        totals = aggregates.totals
        if not totals.count:
            return Summary(None, None, None, 0, totals.mean_time_weighted, totals.coverage)
        return Summary(
            totals.mean, totals.minimum, totals.maximum, totals.count,
            totals.mean_time_weighted, totals.coverage,
        )  # fmt: skip
    count = sum(a.count for a in aggregates)
    if count == 0:
        return Summary(None, None, None, 0)
    return Summary(
        mean=sum(a.total for a in aggregates) / count,
        minimum=min(a.minimum for a in aggregates),
        maximum=max(a.maximum for a in aggregates),
        count=count,
    )
