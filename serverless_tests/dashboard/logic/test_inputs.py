"""What controls may send: days, ranges, choices and short texts, each refused with a reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dashboard.logic import inputs


@pytest.mark.parametrize("value,expected", [
    (None, None), ("", None), ("2025-06-01", date(2025, 6, 1)),
    ("2025-06-01T10:00:00", date(2025, 6, 1)),
])
def test_days(value: Any, expected: date | None) -> None:
    assert inputs.day(value, "start date") == expected


@pytest.mark.parametrize("value,reason", [
    ("9999-99-99", "is not a date"), ("yesterday", "is not a date"), (20250601, "expected"),
    (["2025-06-01"], "expected"), ("0001-01-01", "between"), ("9999-12-31", "between"),
])
def test_what_is_not_a_usable_day(value: Any, reason: str) -> None:
    with pytest.raises(inputs.InputError, match=f"start date: .*{reason}|{reason}"):
        inputs.day(value, "start date")


def test_a_range_runs_forward() -> None:
    assert inputs.day_range("2025-01-01", "2025-02-01") == (date(2025, 1, 1), date(2025, 2, 1))
    assert inputs.day_range(None, "2025-02-01") == (None, date(2025, 2, 1))
    with pytest.raises(inputs.InputError, match="after the end"):
        inputs.day_range("2025-02-02", "2025-02-01")


def test_choices() -> None:
    assert inputs.one_of(14, (7, 14), "rolling mean") == 14
    assert inputs.one_of("weight_kg", {"weight_kg": 1}, "measurement") == "weight_kg"
    for bad in (True, [7], {"a": 1}, None, "14"):
        with pytest.raises(inputs.InputError, match="rolling mean: .* is not one of"):
            inputs.one_of(bad, (1, 7, 14), "rolling mean")


def test_texts() -> None:
    assert inputs.text("run-1", "run") == "run-1" and inputs.text(42, "run") == "42"
    assert inputs.text(None, "run") is None and inputs.text("", "run") is None
    for bad in (["x"], {"id": 1}, 1.5, True, "x" * (inputs.MAX_TEXT_CHARS + 1)):
        with pytest.raises(inputs.InputError, match="run: expected a short text"):
            inputs.text(bad, "run")
