"""The synthetic athlete: years of provider-shaped runs, weigh-ins and lifting-log rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from demo.athlete.body import DEMO_BODY, Body, weighins
from demo.athlete.clock import epoch, start_epoch
from demo.athlete.lifting import CROSSFIT, Programme, lifting_log
from demo.athlete.plan import Plan, Week, local_start, periodised
from demo.athlete.routes import Route, routes
from demo.athlete.runs import RUN_SPORTS, StreamPlan, legacy_type, make_activity, streams_for

FIRST_ACTIVITY_ID = 3_900_000_000  # ids pass 2**32 within the first year, like Strava's did


class StreamBook(Mapping[int, dict[str, list[Any]]]):
    """Activity id -> {stream type: data}; generated on first read from the current summary."""

    def __init__(self, athlete: Athlete) -> None:
        self._athlete = athlete
        self._cache: dict[int, dict[str, list[Any]]] = {}

    def __getitem__(self, activity_id: int) -> dict[str, list[Any]]:
        with self._athlete.lock:
            if activity_id not in self._athlete._plans:
                raise KeyError(activity_id)
            cached = self._cache.get(activity_id)
            if cached is None:
                cached = self._cache[activity_id] = self._athlete._make_streams(activity_id)
            return cached

    def __contains__(self, activity_id: object) -> bool:
        return activity_id in self._athlete._plans

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._athlete._plans))

    def __len__(self) -> int:
        return len(self._athlete._plans)

    def forget(self, activity_id: int) -> None:
        self._cache.pop(activity_id, None)


@dataclass
class Athlete:
    """Raw data as the three providers would hand it out, plus the means to change it in tests."""

    seed: int
    start: datetime
    end: datetime
    activities: list[dict[str, Any]] = field(default_factory=list)
    measure_groups: list[dict[str, Any]] = field(default_factory=list)
    sheet_rows: list[list[str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _plans: dict[int, StreamPlan] = field(default_factory=dict, repr=False)
    streams: StreamBook = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.streams = StreamBook(self)

    # -- generation ---------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        seed: int = 7,
        years: float = 3.0,
        end: date | None = None,
        *,
        plan: Plan = periodised,
        body: Body = DEMO_BODY,
        programme: Programme = CROSSFIT,
    ) -> Athlete:
        """The same seed, years, end day and knobs give the same athlete; `end` defaults to today
        (UTC), so the demo always shows recent data. `plan` is how they train, `body` how their
        weight answers it, `programme` what they lift."""
        end_day = end or datetime.now(UTC).date()
        end_dt = datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC)
        start_dt = end_dt - timedelta(days=round(years * 365.25))
        athlete = cls(seed=seed, start=start_dt, end=end_dt)
        rng = np.random.default_rng(seed)
        weeks = plan(rng, start_dt, end_dt)
        run_km_by_day, lifts_by_day = athlete._make_activities(rng, weeks)
        athlete.sheet_rows = lifting_log(rng, weeks, end_dt.date(), programme)
        athlete.measure_groups = weighins(rng, start_dt, end_dt, run_km_by_day, lifts_by_day, body)
        return athlete

    def _make_activities(
        self, rng: np.random.Generator, weeks: list[Week]
    ) -> tuple[dict[date, float], dict[date, int]]:
        next_id = FIRST_ACTIVITY_ID
        run_km: dict[date, float] = {}
        lifts: dict[date, int] = {}
        fitness_km = 20.0  # chronic weekly volume; pace improves with it
        for week in weeks:
            fitness_km += (week.run_km - fitness_km) / 6
            entries: list[tuple[datetime, str, float]] = []
            for day_index, workout, share in week.runs:
                day = week.monday + timedelta(days=day_index)
                entries.append((local_start(rng, day, workout), workout, share * week.run_km))
            for day_index in week.lift_days:
                day = week.monday + timedelta(days=day_index)
                lifts[day] = lifts.get(day, 0) + 1
                if rng.random() < 0.3:  # only some sessions are recorded on the watch
                    entries.append((local_start(rng, day, "lift"), "lift", 0.0))
            for day_index in week.ride_days:
                day = week.monday + timedelta(days=day_index)
                workout = "ride" if 3 <= day.month <= 10 else "virtual_ride"
                entries.append((local_start(rng, day, workout), workout, 0.0))
            for start, workout, distance_km in sorted(entries, key=lambda e: e[0]):
                if start >= self.end:
                    continue
                next_id += int(rng.integers(1_500_000, 6_000_000))
                activity, plan = make_activity(
                    rng, next_id, start, workout, distance_km * 1000, fitness_km
                )
                self.activities.append(activity)
                if plan is not None:
                    self._plans[next_id] = plan
                if activity["sport_type"] in RUN_SPORTS:
                    day = start.date()
                    run_km[day] = run_km.get(day, 0.0) + activity["distance"] / 1000
        self.activities.sort(key=start_epoch, reverse=True)
        return run_km, lifts

    def _make_streams(self, activity_id: int) -> dict[str, list[Any]]:
        return streams_for(self.activity(activity_id), self._plans[activity_id])

    # -- reading ------------------------------------------------------------------------------

    def activity(self, activity_id: int) -> dict[str, Any]:
        with self.lock:
            for activity in self.activities:
                if activity["id"] == activity_id:
                    return activity
        raise KeyError(activity_id)

    def route_of(self, activity_id: int) -> Route | None:
        plan = self._plans.get(activity_id)
        return None if plan is None or plan.route is None else routes()[plan.route]

    # -- changes (for tests) ------------------------------------------------------------------

    def edit_activity(self, activity_id: int, **fields: Any) -> dict[str, Any]:
        """Changes an activity's summary fields; its streams follow the new summary."""
        with self.lock:
            activity = self.activity(activity_id)
            activity.update(fields)
            if "distance" in fields or "moving_time" in fields:
                distance = activity.get("distance") or 0.0
                moving = activity.get("moving_time") or 0
                activity["average_speed"] = round(distance / moving, 3) if moving else 0.0
            plan = self._plans.get(activity_id)
            if "distance" in fields and "total_elevation_gain" not in fields and plan is not None \
                    and plan.route is not None:
                # A longer loop climbs more: the summary keeps telling what the streams show.
                activity["total_elevation_gain"] = round(
                    routes()[plan.route].gain_m(float(fields["distance"] or 0.0)), 1)
            self.streams.forget(activity_id)
            self.activities.sort(key=start_epoch, reverse=True)
            return activity

    def delete_activity(self, activity_id: int) -> None:
        with self.lock:
            before = len(self.activities)
            self.activities = [a for a in self.activities if a["id"] != activity_id]
            if len(self.activities) == before:
                raise KeyError(activity_id)
            self._plans.pop(activity_id, None)
            self.streams.forget(activity_id)

    def add_activity(
        self,
        start: datetime | None = None,
        sport_type: str = "Run",
        distance_m: float = 8_000.0,
        moving_time_s: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Adds an activity (a run on the park loop by default) with an id above every other."""
        workout = {
            "Run": "easy",
            "TrailRun": "long",
            "Ride": "ride",
            "VirtualRide": "virtual_ride",
            "WeightTraining": "lift",
        }.get(sport_type, "easy")
        moment = start or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        with self.lock:
            new_id = max((a["id"] for a in self.activities), default=FIRST_ACTIVITY_ID) + 1_000_003
            rng = np.random.default_rng([self.seed, new_id])
            activity, plan = make_activity(
                rng, new_id, moment, workout, distance_m, 25.0, plain=True
            )
            activity["sport_type"], activity["type"] = sport_type, legacy_type(sport_type)
            if moving_time_s is not None:
                activity["moving_time"] = moving_time_s
                activity["elapsed_time"] = max(activity["elapsed_time"], moving_time_s)
                activity["average_speed"] = round(activity["distance"] / moving_time_s, 3)
            activity.update(fields)
            self.activities.append(activity)
            self.activities.sort(key=start_epoch, reverse=True)
            if plan is not None:
                self._plans[new_id] = plan
            return activity

    def add_weighin(
        self,
        weight_kg: float,
        *,
        at: datetime | None = None,
        fat_ratio_pct: float | None = None,
        modified: int | None = None,
    ) -> dict[str, Any]:
        """Adds a measure group (as if the scale synced now); `modified` defaults to now."""
        moment = at or datetime.now(UTC).replace(microsecond=0)
        now = int(time.time())
        measures = [{"value": round(weight_kg * 1000), "type": 1, "unit": -3}]
        if fat_ratio_pct is not None:
            measures.append({"value": round(fat_ratio_pct * 1000), "type": 6, "unit": -3})
        with self.lock:
            group = {
                "grpid": max((g["grpid"] for g in self.measure_groups), default=0) + 1,
                "attrib": 0,
                "date": epoch(moment),
                "created": now if modified is None else modified,
                "modified": now if modified is None else modified,
                "category": 1,
                "deviceid": "demo-scale",
                "hash_deviceid": "demo-scale",
                "measures": measures,
                "comment": None,
                "modelid": 13,
            }
            self.measure_groups.append(group)
            self.measure_groups.sort(key=lambda g: (g["date"], g["grpid"]), reverse=True)
            return group

    def edit_weighin(self, grpid: int, *, modified: int | None = None, **values: float) -> dict:
        """Changes measures of a group by type name (`weight_kg=`, `fat_ratio_pct=`) and bumps
        `modified`, as Withings does when a measure is corrected."""
        types = {"weight_kg": (1, -3), "fat_ratio_pct": (6, -3)}
        with self.lock:
            group = next(g for g in self.measure_groups if g["grpid"] == grpid)
            for name, value in values.items():
                kind, unit = types[name]
                group["measures"] = [m for m in group["measures"] if m["type"] != kind]
                group["measures"].append(
                    {"value": round(value * 10 ** (-unit)), "type": kind, "unit": unit}
                )
            group["modified"] = int(time.time()) if modified is None else modified
            return group

    def set_sheet_rows(self, rows: list[list[str]]) -> None:
        with self.lock:
            self.sheet_rows = [list(row) for row in rows]

    # -- summaries (for tests and the CLI) ------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        return [a for a in self.activities if a["sport_type"] in RUN_SPORTS]

