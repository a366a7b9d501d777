"""What the pages' controls may send: each value checked, a message naming what was wrong."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from core.errors import PulseboardError

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
MAX_TEXT_CHARS = 200


class InputError(PulseboardError):
    """A control's value a page cannot use; the message says which and what to send."""


def day(value: Any, what: str) -> date | None:
    """A date-picker's day (ISO, a time after the day is ignored); None when empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{what}: expected a date such as 2025-06-01")
    try:
        found = date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f"{what}: {value[:40]!r} is not a date such as 2025-06-01") from None
    if not EARLIEST <= found <= LATEST:
        raise InputError(f"{what}: pick a day between {EARLIEST} and {LATEST}")
    return found


def day_range(start: Any, end: Any) -> tuple[date | None, date | None]:
    """A date-picker range, its start on or before its end."""
    low, high = day(start, "start date"), day(end, "end date")
    if low and high and low > high:
        raise InputError("the start date is after the end date")
    return low, high


def one_of[T](value: Any, allowed: Collection[T], what: str) -> T:
    """A dropdown's value: one of its options."""
    if isinstance(value, str | int | float) and not isinstance(value, bool) and value in allowed:
        return value  # type: ignore[return-value]  # found among the allowed values
    shown = repr(value)[:40]
    raise InputError(f"{what}: {shown} is not one of the choices")


def text(value: Any, what: str) -> str | None:
    """A short free or chosen text (an id, a name); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise InputError(f"{what}: expected a short text")
    return value
