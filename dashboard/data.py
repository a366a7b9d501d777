"""Reads the store for the pages: one Query per series, records turned into DataFrames."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

import settings
from storage import open_store
from storage.base import Store

RUN_SPORTS = ("Run", "TrailRun", "VirtualRun")

_stores: dict[tuple[str, str], Store] = {}
_lock = threading.Lock()


def store() -> Store:
    """The store settings name, opened once per process (and again if the settings change)."""
    current = settings.get()
    key = (current.store_url, current.user)
    with _lock:
        if key not in _stores:
            _stores[key] = open_store(current.store_url, current.user)
        return _stores[key]


def day_bounds(start: str | date | None, end: str | date | None) -> tuple[date | None, date | None]:
    """A date-picker range as half-open store bounds (the end day is included)."""
    low = date.fromisoformat(str(start)[:10]) if start else None
    high = date.fromisoformat(str(end)[:10]) + timedelta(days=1) if end else None
    return low, high


def measurements(s: Store, kind: str, start: Any = None, end: Any = None) -> pd.DataFrame:
    rows = s.query("measurements", kind, start, end)
    frame = pd.DataFrame(
        {"time": [r.time for r in rows], "value": [r.value for r in rows]},
    )
    if not frame.empty:
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def activities(
    s: Store, start: Any = None, end: Any = None, runs_only: bool = False
) -> pd.DataFrame:
    rows = s.query("activities", start=start, end=end)
    if runs_only:
        rows = [r for r in rows if r.sport_type in RUN_SPORTS]
    frame = pd.DataFrame([r.to_dict() for r in rows])
    if frame.empty:
        return pd.DataFrame(
            columns=[
                "id", "start_time", "sport_type", "name", "distance_m", "moving_time_s",
                "elevation_gain_m", "average_speed_mps", "average_heartrate_bpm",
                "summary_polyline",
            ]
        )
    frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
    return frame


def lift_sets(s: Store, start: Any = None, end: Any = None) -> pd.DataFrame:
    rows = s.query("lift_sets", start=start, end=end)
    frame = pd.DataFrame([r.to_dict() for r in rows])
    if frame.empty:
        return pd.DataFrame(
            columns=["date", "exercise", "set_index", "reps", "weight_kg", "source_row"]
        )
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def rejected(s: Store) -> pd.DataFrame:
    rows = s.query("rejected")
    frame = pd.DataFrame([r.to_dict() for r in rows])
    if frame.empty:
        return pd.DataFrame(columns=["source", "ref", "reason", "raw", "seen_at"])
    return frame.sort_values("seen_at", ascending=False)


def sync_status(s: Store) -> dict[str, dict[str, Any]]:
    return {key: doc.data for key, doc in s.list_docs("sync").items()}


def data_version(s: Store) -> str:
    """A cheap marker that changes when a sync lands: the newest successful sync time."""
    status = sync_status(s)
    stamps = sorted(str(v.get("last_success_at") or "") for v in status.values())
    return stamps[-1] if stamps else ""


def now_utc() -> datetime:
    return datetime.now(UTC)
