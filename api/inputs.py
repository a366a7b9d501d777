"""The /forecast inputs: parsing, limits and range checks, pure functions raising InvalidInput."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import PulseboardError
from models.features import FEATURES

WEEKS_DEFAULT = 4
WEEKS_MIN, WEEKS_MAX = 1, 52
# Faster than any runner over a week of training: the distance or the time is wrong.
MAX_RUN_SPEED_KMH = 25.0
# How far past the largest week it was trained on the model may be asked: KNN cannot extrapolate,
# so a plan far beyond what it has seen would only get the forecast of the biggest weeks it knows.
RANGE_MARGIN_FACTOR = 1.5

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_WHOLE = re.compile(r"0|[1-9][0-9]*")  # an integer in a query string, written one way only
_NOT_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    name: str
    unit: str
    description: str
    hard_max: float  # beyond any week a person can train, with or without a model
    margin: float  # absolute margin past the trained range (on top of the factor)
    integer: bool = False


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("distance_km", "km", "running distance per week", 1000.0, 10.0),
        Field("duration_h", "h", "running moving time per week", 168.0, 1.0),
        Field("crossfit_sessions", "sessions", "lifting sessions per week", 50.0, 2.0),
        Field("avg_weight_kg", "kg", "average weight per rep lifted", 500.0, 20.0),
    )
}
assert tuple(FIELDS) == FEATURES, "the API's inputs must be the model's features, in order"
WEEKS = Field("weeks", "weeks", "forecast horizon", WEEKS_MAX, 0.0, integer=True)
ALL_FIELDS = (*FEATURES, "weeks")


class InvalidInput(PulseboardError):
    """One input of a forecast request is wrong: `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _number_from_text(name: str, text: str) -> float:
    stripped = text.strip()
    if _NOT_FINITE.fullmatch(stripped):
        raise InvalidInput(name, f"{name}={text!r}: NaN and infinity are not accepted; "
                                 "send a finite number")
    if not _NUMBER.fullmatch(stripped):
        raise InvalidInput(name, f"{name}={text!r} is not a number; send e.g. {name}=10.5")
    return _finite(name, float(stripped))


def _number_from_json(name: str, value: Any) -> float:
    # bool is an int in Python, but `true` is not a distance.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(name, f"{name} must be a JSON number, not {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidInput(name, f"{name} is far too large") from None
    return _finite(name, number)


def _finite(name: str, number: float) -> float:
    if not math.isfinite(number):
        raise InvalidInput(name, f"{name}: NaN and infinity are not accepted; send a finite number")
    return number


def _weeks_blank(how: str) -> InvalidInput:
    """`weeks` sent but blank: unlike leaving it out, that is not a request for the default."""
    return InvalidInput("weeks", f"weeks is {how}; leave it out for the default of "
                                 f"{WEEKS_DEFAULT} weeks, or send {WEEKS_MIN} to {WEEKS_MAX}")


def _bounded(field: Field, number: float) -> float | int:
    low = WEEKS_MIN if field is WEEKS else 0
    if number < low:
        if field is WEEKS:
            raise InvalidInput("weeks", f"weeks={number:g}: the horizon is {WEEKS_MIN} to "
                                        f"{WEEKS_MAX} weeks")
        raise InvalidInput(field.name, f"{field.name}={number:g}: {field.description} cannot "
                                       "be negative")
    if number > field.hard_max:
        raise InvalidInput(field.name, f"{field.name}={number:g} {field.unit} is not a plausible "
                                       f"{field.description}; accepted: {low} to "
                                       f"{field.hard_max:g} {field.unit}")
    if field.integer:
        if number != int(number):
            raise InvalidInput(field.name, f"{field.name}={number:g} must be a whole number")
        return int(number)
    return number


def _check(values: dict[str, float | int]) -> dict[str, float | int]:
    distance, hours = values["distance_km"], values["duration_h"]
    if distance > 0 and (hours == 0 or distance / hours > MAX_RUN_SPEED_KMH):
        raise InvalidInput("duration_h", f"{distance:g} km in {hours:g} h is faster than "
                                         f"{MAX_RUN_SPEED_KMH:g} km/h; check distance_km and "
                                         "duration_h")
    return values


def from_query(args: Mapping[str, list[str]]) -> dict[str, float | int]:
    """Inputs from query parameters (name → all values given for it)."""
    for name, given in args.items():
        if name not in ALL_FIELDS:
            raise InvalidInput(name, f"unknown parameter {name!r}; accepted: "
                                     f"{', '.join(ALL_FIELDS)}")
        if len(given) > 1:
            raise InvalidInput(name, f"{name} is given {len(given)} times; give it once")
    out: dict[str, float | int] = {}
    for field in (*FIELDS.values(), WEEKS):
        values = args.get(field.name)
        if field is WEEKS and not values:
            out["weeks"] = WEEKS_DEFAULT
            continue
        if not values or not values[0].strip():
            if field is WEEKS:  # given, but empty: not the same as leaving it out
                raise _weeks_blank("empty")
            raise InvalidInput(field.name, f"{field.name} is required: {field.description} "
                                           f"in {field.unit}")
        if field.integer and not _WHOLE.fullmatch(values[0]):
            raise InvalidInput(field.name, f"{field.name}={values[0]!r} is not a whole number; "
                                           f"send digits only, e.g. {field.name}=12")
        out[field.name] = _bounded(field, _number_from_text(field.name, values[0]))
    return _check(out)


def from_json(body: Any) -> dict[str, float | int]:
    """Inputs from a decoded JSON body (an object with the same fields as the query)."""
    if not isinstance(body, dict):
        raise InvalidInput("body", "the body must be a JSON object with "
                                   f"{', '.join(ALL_FIELDS)}")
    for name in body:
        if name not in ALL_FIELDS:
            raise InvalidInput(str(name), f"unknown field {name!r}; accepted: "
                                          f"{', '.join(ALL_FIELDS)}")
    out: dict[str, float | int] = {}
    for field in (*FIELDS.values(), WEEKS):
        if field is WEEKS and "weeks" not in body:
            out["weeks"] = WEEKS_DEFAULT
            continue
        if body.get(field.name) is None:
            if field is WEEKS:  # given as null: not the same as leaving it out
                raise _weeks_blank("null")
            raise InvalidInput(field.name, f"{field.name} is required: {field.description} "
                                           f"in {field.unit}")
        out[field.name] = _bounded(field, _number_from_json(field.name, body[field.name]))
    return _check(out)


def model_range(feature: Mapping[str, Any]) -> tuple[float, float]:
    """What the model may be asked for one feature: from 0 to its trained maximum plus a margin,
    never past the field's plausible maximum."""
    field = FIELDS[feature["name"]]
    top = float(feature["max"])
    high = min(field.hard_max, max(top * RANGE_MARGIN_FACTOR, top + field.margin))
    # To the 4 decimals the OpenAPI document shows, down: the API accepts exactly what its
    # document says, not a hair more.
    return 0.0, math.floor(high * 10**4) / 10**4


def check_model_range(values: Mapping[str, float | int], manifest: Mapping[str, Any]) -> None:
    """Refuses plans far outside the weeks the model was trained on, saying what it knows."""
    for feature in manifest["features"]:
        name = feature["name"]
        if name not in values:
            continue
        low, high = model_range(feature)
        if not low <= values[name] <= high:
            unit = FIELDS[name].unit
            raise InvalidInput(
                name,
                f"{name}={values[name]:g} {unit} is outside what the model can forecast: "
                f"{low:g} to {high:.4g} {unit} (it was trained on weeks from "
                f"{float(feature['min']):g} to {float(feature['max']):g} {unit})",
            )
