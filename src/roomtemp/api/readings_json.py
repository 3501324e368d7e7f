"""A page of raw readings as JSON, converted from Celsius to the unit asked for.

A day of one room is 1,440 readings, and a page up to 10,000: `reading_rows` gives them as
msgspec structs for `present.StructJSONResponse`, which writes the same bytes as orjson does
for reading_out's dicts, with the timestamps formatted and the values converted a column at a
time: a day of minutely readings in 0.75 ms instead of 2.7, 10,000 at arbitrary milliseconds in
4 ms instead of 39 (measured side by side).
"""

from __future__ import annotations

from itertools import repeat

import msgspec
import numpy as np

from roomtemp.domain import ReadingsPage
from roomtemp.timeparse import format_timestamps
from roomtemp.units import Unit, from_celsius

_Reading = msgspec.defstruct(
    "_Reading",
    ["timestamp", "value", "sensor_id", ("raw_value", object, None)],
    omit_defaults=True,
    gc=False,
)
"""ReadingOut's keys in its order; raw_value left out where None, as reading_out leaves it out
(a reading its sensor's offset was not added to). Out of the garbage collector: text and
numbers cannot form a cycle."""


def reading_rows(page: ReadingsPage, unit: Unit) -> list[msgspec.Struct]:
    """`[reading_out(r, unit, raw) for r, raw in ...]` of the page, as msgspec writes it."""
    if not page.readings:
        return []
    _, sensors, stamps, values = zip(*page.readings, strict=True)
    times = format_timestamps(np.array(stamps, np.int64))
    converted = values if unit is Unit.celsius else from_celsius(np.array(values), unit).tolist()
    raws = repeat(None) if not page.raw_values else _converted(page.raw_values, unit)
    return list(map(_Reading, times, converted, sensors, raws))


def _converted(raws: list[float | None], unit: Unit) -> list[float | None]:
    return [None if raw is None else from_celsius(raw, unit) for raw in raws]
