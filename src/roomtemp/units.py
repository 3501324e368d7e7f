"""Temperature units: parsing unit names and converting to and from degrees Celsius."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

Value = TypeVar("Value", float, npt.NDArray[np.float64])
"""One value or a column of them: the same arithmetic, so the same floats."""


class Unit(StrEnum):
    """A temperature unit as it appears in the API."""

    celsius = "celsius"
    fahrenheit = "fahrenheit"
    kelvin = "kelvin"


_CELSIUS = Unit.celsius

_ALIASES = {
    "celsius": Unit.celsius,
    "c": Unit.celsius,
    "fahrenheit": Unit.fahrenheit,
    "f": Unit.fahrenheit,
    "kelvin": Unit.kelvin,
    "k": Unit.kelvin,
    # Home Assistant, Tasmota and many gateways write the degree sign
    "°c": Unit.celsius,
    "°f": Unit.fahrenheit,
}


def parse_unit(text: str | None) -> Unit:
    """`celsius`, `fahrenheit`, `kelvin`, `C`, `F`, `K`, `°C` or `°F`, any case; empty or None
    means celsius."""
    if text is None or text.strip() == "":
        return Unit.celsius
    try:
        return _ALIASES[text.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown unit {text!r}: use celsius, fahrenheit or kelvin (or C, F, K, °C, °F)"
        ) from None


def to_celsius(value: float, unit: Unit) -> float:
    """Convert a value in `unit` to degrees Celsius."""
    if unit is Unit.fahrenheit:
        return (value - 32.0) * 5.0 / 9.0
    if unit is Unit.kelvin:
        return value - 273.15
    return value


def from_celsius(value: Value, unit: Unit) -> Value:
    """Convert a value (or a column of values) in degrees Celsius to `unit`."""
    if unit is _CELSIUS:  # most answers; a member looked up on its class costs more
        return value
    if unit is Unit.fahrenheit:
        return value * 9.0 / 5.0 + 32.0
    if unit is Unit.kelvin:
        return value + 273.15
    return value
