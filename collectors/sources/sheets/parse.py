"""The crossfit log read (pure): a `values` answer, header first, as LiftSets and rejected rows."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from collectors.parsing import Parsed, ParseError
from storage.records import LiftSet, Rejected

SOURCE = "sheets"
LB_KG = 0.45359237
REQUIRED = ("date", "exercise", "set", "reps")
# `weight` alone is in the unit the owner says the sheet is kept in (PULSEBOARD_SHEETS_WEIGHT_UNIT).
WEIGHTS = ("weight_kg", "weight_lb", "weight")
WEIGHT_UNITS = ("kg", "lb")
EXPECTED_HEADER = "date | exercise | set | reps | weight_kg (or weight_lb, or weight)"
# Sheets counts days from 1899-12-30 (serial numbers, as UNFORMATTED_VALUE sends dates).
SERIAL_EPOCH = date(1899, 12, 30)
# Beyond these a value is a typo (an extra zero, a weight typed in the reps column), not a set.
MAX_SET = 100
MAX_REPS = 1000
MAX_WEIGHT_KG = 1000.0


class SheetError(ParseError):
    """The sheet as a whole cannot be read (no header, a required column missing)."""


def first_row(a1_range: str) -> int:
    """The sheet row number of the first row a `values` answer holds ("Log!A1:E120" → 1)."""
    cells = a1_range.rpartition("!")[2]
    match = re.match(r"\$?[A-Za-z]*\$?(\d+)", cells)
    return int(match.group(1)) if match else 1


def safe_text(text: str) -> str:
    """`text` as it can be stored and shown: a character UTF-8 cannot encode (a lone surrogate,
    as a broken paste leaves in a cell) written as its escape, e.g. \\ud800."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(value: Any) -> bool:
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(cell: Any) -> str:
    return re.sub(r"\s+", "_", str(cell).strip().casefold())


def header_columns(header: list[Any]) -> dict[str, int]:
    """Column index by name, case-insensitive; SheetError naming what is missing."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _header_name(cell)
        if name and name not in columns:
            columns[name] = index
    missing = [n for n in REQUIRED if n not in columns]
    if not any(w in columns for w in WEIGHTS):
        missing.append("weight_kg")
    if missing:
        found = " | ".join(safe_text(str(c)) for c in header) or "(empty)"
        raise SheetError(
            f"the header row lacks {', '.join(missing)}: found {found}; expected {EXPECTED_HEADER}"
        )
    return columns


_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def parse_date(value: Any) -> date:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or not 1 <= value < 100_000:
            raise ValueError(f"date {value!r} is not a date")
        return SERIAL_EPOCH + timedelta(days=int(value))
    text = str(value).strip()
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"date {text!r} is not a date (write it as YYYY-MM-DD)")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"date {text!r} does not exist") from None


_INT = re.compile(r"[+-]?\d+(\.0*)?")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def parse_int(value: Any, name: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{name} {value!r} is not a whole number")
        return int(value)
    text = str(value).strip()
    if not text:
        raise ValueError(f"{name} is empty")
    if _INT.fullmatch(text) is None:
        raise ValueError(f"{name} {text!r} is not a whole number")
    return int(float(text))


def parse_number(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{name} {value!r} is not a number")
        return float(value)
    text = str(value).strip()
    if _NUMBER.fullmatch(text) is None:
        raise ValueError(f"{name} {text!r} is not a number")
    # A decimal comma, as a European locale shows it.
    return float(text.replace(",", "."))


@dataclass
class Sheet(Parsed[LiftSet]):
    """The log: its sets, its rejected rows, and how many rows were not blank."""

    rows: int = 0
    # The unit the weights were read in and why ("lb (the weight_lb column)"), for the quality page.
    weight_unit: str = "kg"
    weight_unit_reason: str = ""


def weight_column(columns: dict[str, int], unit: str) -> tuple[str, str, str]:
    """(column, unit, why) the sheet's weights are read from: a header that names its unit
    wins over the setting, which applies to a plain `weight` column."""
    if unit not in WEIGHT_UNITS:
        raise SheetError(f"weight unit {unit!r}: use one of {', '.join(WEIGHT_UNITS)}")
    if "weight_kg" in columns:
        return "weight_kg", "kg", "the weight_kg column"
    if "weight_lb" in columns:
        return "weight_lb", "lb", "the weight_lb column"
    return "weight", unit, f"a weight column, read in {unit} (PULSEBOARD_SHEETS_WEIGHT_UNIT)"


def parse_row(row: list[Any], columns: dict[str, int], number: int,
              weight_unit: str = "kg") -> LiftSet:
    """One data row as a LiftSet; ValueError with every reason it cannot be one."""

    def cell(name: str) -> Any:
        index = columns.get(name)
        # Google leaves trailing empty cells out, so a row may be shorter than the header.
        return row[index] if index is not None and index < len(row) else ""

    # Text that cannot be encoded cannot be stored either: the row is refused before reading it.
    broken = [f"{name} '{safe_text(str(cell(name)))}' holds a character that is not text; "
              "retype the cell" for name in (*REQUIRED, *WEIGHTS)
              if name in columns and not _encodable(cell(name))]
    if broken:
        raise ValueError("; ".join(broken))
    problems: list[str] = []
    values: dict[str, Any] = {}

    def attempt(name: str, read: Callable[[], Any]) -> None:
        try:
            values[name] = read()
        except ValueError as exc:
            problems.append(str(exc))

    attempt("date", lambda: parse_date(cell("date")))
    exercise = " ".join(str(cell("exercise")).split())
    if not exercise:
        problems.append("exercise is empty")
    attempt("set", lambda: parse_int(cell("set"), "set"))
    attempt("reps", lambda: parse_int(cell("reps"), "reps"))
    if "set" in values and not 1 <= values["set"] <= MAX_SET:
        problems.append(f"set {values['set']} must be between 1 and {MAX_SET}")
    if "reps" in values and values["reps"] < 0:
        problems.append(f"reps {values['reps']} is negative")
    elif "reps" in values and values["reps"] > MAX_REPS:
        problems.append(f"reps {values['reps']} is more than {MAX_REPS}: a typo?")
    weight_name, unit, _ = weight_column(columns, weight_unit)
    if weight_name == "weight_kg" and "weight_lb" in columns and _blank(cell("weight_kg")):
        weight_name, unit = "weight_lb", "lb"
    raw_weight = cell(weight_name)
    if _blank(raw_weight):
        values["weight"] = 0.0  # a bodyweight set (pull-ups): nothing carried
    else:
        attempt("weight", lambda: parse_number(raw_weight, weight_name))
    if values.get("weight", 0.0) < 0:
        problems.append(f"{weight_name} {raw_weight!r} is negative")
    weight_kg = values.get("weight", 0.0) * (LB_KG if unit == "lb" else 1.0)
    if weight_kg > MAX_WEIGHT_KG:
        problems.append(f"{weight_name} {raw_weight!r} is more than {MAX_WEIGHT_KG:g} kg: a typo?")
    if problems:
        raise ValueError("; ".join(problems))
    return LiftSet(
        date=values["date"],
        exercise=exercise,
        set_index=values["set"],
        reps=values["reps"],
        weight_kg=round(weight_kg, 3),
        source_row=number,
    )


def parse_sheet(payload: Any, now: datetime, weight_unit: str = "kg") -> Sheet:
    """A `values` answer (header row first) as LiftSets, and a Rejected per unreadable row;
    a plain `weight` column is in `weight_unit`. Dates stay calendar dates (no time, no zone).

    SheetError when there is no usable header: then nothing in the store should change."""
    if not isinstance(payload, dict):
        raise SheetError(f"expected an object with values, got a {type(payload).__name__}")
    rows = payload.get("values") or []
    if not rows:
        raise SheetError(f"the range is empty; its first row must be the header: "
                         f"{EXPECTED_HEADER}")
    columns = header_columns(rows[0])
    start = first_row(str(payload.get("range", "")))
    _, unit, reason = weight_column(columns, weight_unit)
    sheet = Sheet(weight_unit=unit, weight_unit_reason=reason)
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:], start=1):
        number = start + offset
        if not isinstance(row, list) or all(_blank(c) for c in row):
            continue
        sheet.rows += 1
        try:
            lift = parse_row(row, columns, number, weight_unit)
            first = seen.get(lift.sort_key())
            if first is not None:
                raise ValueError(f"same date, exercise and set as row {first}")
        except ValueError as exc:
            sheet.rejected.append(Rejected(SOURCE, f"row {number}", str(exc),
                                           json.dumps(row, default=str), now))
            continue
        seen[lift.sort_key()] = number
        sheet.records.append(lift)
    return sheet
