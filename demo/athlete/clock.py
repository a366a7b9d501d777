"""The athlete's clock: Paris time without a tz database, and the timestamps providers send."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

TIMEZONE = "(GMT+01:00) Europe/Paris"


def paris_offset_s(moment: datetime) -> int:
    """Central European (summer) time, EU rule: no tz database needed."""

    def last_sunday(year: int, month: int) -> datetime:
        day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    summer = last_sunday(moment.year, 3) <= moment < last_sunday(moment.year, 10)
    return 7200 if summer else 3600


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def start_epoch(activity: Mapping[str, Any]) -> int:
    """An activity's start as epoch seconds (what Strava's `before`/`after` compare with)."""
    return epoch(datetime.fromisoformat(activity["start_date"].replace("Z", "+00:00")))
