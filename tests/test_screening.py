"""The rate rule of screening.py against a plain reference written from DESIGN's words: a
reading jumps too fast when it differs from the sensor's previous stored or accepted (not set
aside) reading by timestamp by more than the rate times the time between them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.domain import Reading, ReadingColumns, SensorSettings
from roomtemp.screening import Screening, _walk, too_fast
from roomtemp.storage import open_storage

MINUTE = 60_000
RULES = Screening(quarantine=True, max_rate_per_minute=1.5, window_ms=15 * MINUTE)


def reference(
    batch: list[tuple[int, float]], stored: list[tuple[int, float]], rules: Screening
) -> list[bool]:
    assert rules.max_rate_per_minute is not None
    kept = list(stored)
    stored_times = {t for t, _ in stored}
    flags = []
    for t, value in batch:
        before = [(pt, pv) for pt, pv in kept if pt < t]
        previous = max(before, default=None)
        jump = (
            t not in stored_times
            and previous is not None
            and t - previous[0] <= rules.window_ms
            and abs(value - previous[1]) * MINUTE > rules.max_rate_per_minute * (t - previous[0])
        )
        flags.append(jump)
        if not jump and t not in stored_times:
            kept.append((t, value))
    return flags


times = st.integers(min_value=0, max_value=60).map(lambda m: m * 30_000)
series = st.lists(
    st.tuples(times, st.sampled_from([20.0, 20.5, 21.0, 23.0, 30.0, 85.0])),
    unique_by=lambda p: p[0],
    max_size=25,
)


@given(batch=series, stored=series)
def test_the_rate_rule_equals_the_reference(
    batch: list[tuple[int, float]], stored: list[tuple[int, float]]
) -> None:
    batch, stored = sorted(batch), sorted(stored)
    found = _walk([t for t, _ in batch], [v for _, v in batch], stored, RULES)
    assert found == reference(batch, stored, RULES)


def test_known_cases_written_out_from_the_rule() -> None:
    # 1.5 °C/min: 20.0 at 0; 23.5 at 2 min is 3.5 in 2 min (1.75/min): too fast; 22.5 at 3 min
    # is 2.5 in 3 min against 20.0 (0.83/min): kept; 85.0 at 4 min: too fast; 22.0 at 30 min is
    # more than the window after 22.5: kept, whatever it differs by
    flags = _walk([0, 2 * MINUTE, 3 * MINUTE, 4 * MINUTE, 30 * MINUTE],
                  [20.0, 23.5, 22.5, 85.0, 60.0], [], RULES)  # fmt: skip
    assert flags == [False, True, False, True, False]


def test_the_rate_compares_an_imported_calibrated_reading_as_it_is_stored(tmp_path: Path) -> None:
    """A reading pushed with its value as sent (`raw`, an import of an export) is calibrated
    already and stored as it is: the rate rule must not add the sensor's offset to it again."""

    async def flagged() -> list[bool]:
        storage = await open_storage(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        try:
            await storage.put_sensor("lab", SensorSettings("s", offset_celsius=10.0))
            await storage.write([Reading("lab", "s", 0, 20.0)])  # stored as 30.0
            batch = ReadingColumns(
                [("lab", "s")],
                np.array([0, 0]),
                np.array([MINUTE, 2 * MINUTE]),
                np.array([30.5, 21.0]),  # the first imported as stored, the second as sent
                np.array([20.5, np.nan]),
            )
            return list(await too_fast(storage, batch, RULES))
        finally:
            await storage.close()

    # 30.5 is 0.5 °C/min after the stored 30.0; 21.0 is stored as 31.0, 0.5 °C/min after 30.5
    assert asyncio.run(flagged()) == [False, False]
