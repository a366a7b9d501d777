"""SI values to what a person reads (metric or imperial) and back: the one place units convert."""

from __future__ import annotations

import math
from typing import Literal, get_args

from core.errors import UsageError

Units = Literal["metric", "imperial"]
Quantity = Literal["weight", "lifted", "distance", "elevation", "speed"]
UNITS: tuple[str, ...] = get_args(Units)
QUANTITIES: tuple[str, ...] = get_args(Quantity)

KG_PER_LB = 0.45359237  # exact, by the 1959 international agreement
M_PER_MI = 1609.344
M_PER_FT = 0.3048
LB_PER_STONE = 14

# (factor from SI, label, display step) per quantity and units.
_TABLE: dict[tuple[str, str], tuple[float, str, float]] = {
    ("weight", "metric"): (1.0, "kg", 0.1),
    ("weight", "imperial"): (1 / KG_PER_LB, "lb", 0.2),
    ("lifted", "metric"): (1.0, "kg", 0.1),
    ("lifted", "imperial"): (1 / KG_PER_LB, "lb", 0.1),
    ("distance", "metric"): (1 / 1000, "km", 0.01),
    ("distance", "imperial"): (1 / M_PER_MI, "mi", 0.01),
    ("elevation", "metric"): (1.0, "m", 1.0),
    ("elevation", "imperial"): (1 / M_PER_FT, "ft", 1.0),
    ("speed", "metric"): (3.6, "km/h", 0.1),
    ("speed", "imperial"): (3600 / M_PER_MI, "mph", 0.1),
}


class UnitsError(UsageError):
    """Units or a quantity Pulseboard does not know; the message lists the known ones."""


def check_units(units: str) -> Units:
    """`units` when it is one Pulseboard knows, else a UnitsError saying which are."""
    if units not in UNITS:
        raise UnitsError(f"units {units!r}: use one of {', '.join(UNITS)}")
    return units  # type: ignore[return-value]


def _row(quantity: str, units: str) -> tuple[float, str, float]:
    row = _TABLE.get((quantity, units))
    if row is None:
        check_units(units)
        raise UnitsError(f"quantity {quantity!r}: use one of {', '.join(QUANTITIES)}")
    return row


def factor(quantity: str, units: str) -> float:
    """What an SI value of `quantity` is multiplied by to read in `units`."""
    return _row(quantity, units)[0]


def label(quantity: str, units: str) -> str:
    return _row(quantity, units)[1]


def step(quantity: str, units: str) -> float:
    """The rounding a person expects for `quantity` in `units` (0.1 kg, 0.2 lb, 0.01 km ...)."""
    return _row(quantity, units)[2]


def _decimals(step_: float) -> int:
    return max(0, -math.floor(math.log10(step_) + 1e-9))


def decimals(quantity: str, units: str) -> int:
    """How many decimals the quantity's step shows (2 for km, 0 for feet)."""
    return _decimals(step(quantity, units))


def to_display(value_si: float | None, quantity: str, units: str) -> float | None:
    """The value in `units`, unrounded (for axes and sums); None stays None."""
    if value_si is None or (isinstance(value_si, float) and math.isnan(value_si)):
        return None
    return float(value_si) * factor(quantity, units)


def from_display(value: float, quantity: str, units: str) -> float:
    """The SI value of `value` typed in `units` (a form field); a non-number says so."""
    number = float(value)
    if not math.isfinite(number):
        raise UnitsError(f"{quantity} {value!r} is not a number")
    return number / factor(quantity, units)


def rounded(value_si: float, quantity: str, units: str) -> float:
    """The displayed number, on the quantity's step (178.6 for 81.0 kg in lb)."""
    shown = to_display(value_si, quantity, units)
    if shown is None:
        raise UnitsError(f"{quantity}: no value to show")
    step_ = step(quantity, units)
    return round(round(shown / step_) * step_, _decimals(step_))


def fmt(value_si: float | None, quantity: str, units: str) -> str:
    """The value as a person reads it: "178.6 lb", "10.00 km", "—" for no value."""
    if to_display(value_si, quantity, units) is None:
        return "—"
    assert value_si is not None
    number = rounded(value_si, quantity, units)
    text = f"{number:.{_decimals(step(quantity, units))}f}"
    if quantity == "lifted":
        # Plates come in whole and half units: "225 lb", "102.5 kg", never "225.0 lb".
        text = text.rstrip("0").rstrip(".") if "." in text else text
    if text in ("-0", "-0.0", "-0.00"):
        text = text[1:]
    return f"{text} {label(quantity, units)}"


def fmt_stone(weight_kg: float | None) -> str:
    """Stones and pounds, for those who weigh themselves so: "12 st 10.6 lb"."""
    if to_display(weight_kg, "weight", "imperial") is None:
        return "—"
    assert weight_kg is not None
    pounds = rounded(weight_kg, "weight", "imperial")
    stones, rest = divmod(round(pounds * 5), LB_PER_STONE * 5)
    return f"{stones} st {rest / 5:.1f} lb"


def pace_label(units: str) -> str:
    return "/mi" if check_units(units) == "imperial" else "/km"


def pace_s(seconds_per_km: float, units: str) -> float:
    """Seconds per kilometre to seconds per the display unit (km or mile)."""
    return seconds_per_km * (M_PER_MI / 1000 if check_units(units) == "imperial" else 1.0)


def fmt_pace(seconds_per_km: float | None, units: str) -> str:
    """Pace as mm:ss per km or per mile ("5:12 /km", "8:22 /mi"); "—" when there is none."""
    if seconds_per_km is None or not math.isfinite(seconds_per_km) or seconds_per_km <= 0:
        return "—"
    total = round(pace_s(seconds_per_km, units))
    minutes, seconds = divmod(total, 60)
    return f"{minutes}:{seconds:02d} {pace_label(units)}"
