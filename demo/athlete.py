"""A synthetic athlete: years of provider-shaped runs, weigh-ins and lifting-log rows."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import polyline

SHEET_HEADER = ["date", "exercise", "set", "reps", "weight_kg"]
STREAM_TYPES = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate")
WITHINGS_TYPES = (1, 5, 6, 8, 76, 77, 88)
CITY = "Lyon"
TIMEZONE = "(GMT+01:00) Europe/Paris"

_M_PER_DEG_LAT = 111_320.0
_FIRST_ACTIVITY_ID = 3_900_000_000  # ids pass 2**32 within the first year, like Strava's did


# ---------------------------------------------------------------------------------------------
# Routes: closed loops around Lyon, fixed geometry (the city does not depend on the seed)


@dataclass(frozen=True)
class Route:
    name: str
    lat: np.ndarray  # dense points, first point repeated at the end
    lon: np.ndarray
    alt_m: np.ndarray
    along_m: np.ndarray  # cumulative distance along the loop
    climb_m: np.ndarray  # cumulative positive altitude change along the loop

    @property
    def length_m(self) -> float:
        return float(self.along_m[-1])

    def at(self, distance_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = np.mod(distance_m, self.length_m)
        return (
            np.interp(s, self.along_m, self.lat),
            np.interp(s, self.along_m, self.lon),
            np.interp(s, self.along_m, self.alt_m),
        )

    def grade(self, distance_m: np.ndarray) -> np.ndarray:
        step = 10.0
        _, _, a0 = self.at(distance_m)
        _, _, a1 = self.at(distance_m + step)
        return (a1 - a0) / step

    def gain_m(self, distance_m: float) -> float:
        laps, rest = divmod(distance_m, self.length_m)
        return float(laps * self.climb_m[-1] + np.interp(rest, self.along_m, self.climb_m))


def _loop(
    name: str,
    center: tuple[float, float],
    length_m: float,
    aspect: float,
    wobble: tuple[float, float, float],
    base_alt_m: float,
    hill_m: float,
) -> Route:
    theta = np.linspace(0.0, 2 * math.pi, 2001)
    a1, a2, a3 = wobble
    r = 1 + a1 * np.cos(theta + 0.7) + a2 * np.cos(2 * theta + 1.9) + a3 * np.cos(3 * theta + 0.4)
    x = r * np.cos(theta) * aspect
    y = r * np.sin(theta)
    unit_len = float(np.sum(np.hypot(np.diff(x), np.diff(y))))
    x *= length_m / unit_len
    y *= length_m / unit_len
    lat = center[0] + y / _M_PER_DEG_LAT
    lon = center[1] + x / (_M_PER_DEG_LAT * math.cos(math.radians(center[0])))
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    alt = (
        base_alt_m
        + hill_m * (0.5 + 0.5 * np.sin(theta - 1.1))
        + 0.08 * hill_m * np.sin(5 * theta)
        + 0.6 * np.sin(23 * theta)
    )
    climb = np.concatenate([[0.0], np.cumsum(np.clip(np.diff(alt), 0, None))])
    return Route(name, lat, lon, alt, along, climb)


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    return (
        _loop("Parc de la Tête d'Or", (45.7790, 4.8530), 4_050, 1.3, (0.08, 0.05, 0.03), 166, 4),
        _loop("Lac du parc", (45.7780, 4.8545), 2_600, 1.6, (0.05, 0.08, 0.02), 166, 2),
        _loop("Quais du Rhône", (45.7640, 4.8430), 8_200, 0.6, (0.10, 0.04, 0.05), 163, 9),
        _loop("Croix-Rousse", (45.7750, 4.8300), 6_100, 1.1, (0.07, 0.06, 0.04), 170, 85),
        _loop("Monts d'Or", (45.8330, 4.8050), 14_500, 1.2, (0.12, 0.07, 0.05), 260, 330),
        _loop("Beaujolais loop", (45.8600, 4.7600), 42_000, 1.4, (0.15, 0.08, 0.06), 210, 380),
    )


ROAD_RUN_ROUTES = (0, 0, 0, 1, 2, 2, 3)
TRAIL_ROUTE = 4
RIDE_ROUTE = 5


# ---------------------------------------------------------------------------------------------
# Time helpers


def _paris_offset_s(moment: datetime) -> int:
    """Central European (summer) time, EU rule: no tz database needed."""

    def last_sunday(year: int, month: int) -> datetime:
        day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    summer = last_sunday(moment.year, 3) <= moment < last_sunday(moment.year, 10)
    return 7200 if summer else 3600


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def start_epoch(activity: Mapping[str, Any]) -> int:
    """An activity's start as epoch seconds (what Strava's `before`/`after` compare with)."""
    return _epoch(datetime.fromisoformat(activity["start_date"].replace("Z", "+00:00")))


# ---------------------------------------------------------------------------------------------
# Streams, computed when first asked for (years of 1-3 s samples would not fit in 2 s or RAM)


@dataclass
class _Plan:
    """What the summary does not say but its streams need: which loop, how the effort went."""

    route: int | None
    has_hr: bool
    seed: int
    workout: str  # easy, tempo, intervals, long, ride, treadmill, lift


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


# ---------------------------------------------------------------------------------------------


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
    _plans: dict[int, _Plan] = field(default_factory=dict, repr=False)
    streams: StreamBook = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.streams = StreamBook(self)

    # -- generation ---------------------------------------------------------------------------

    @classmethod
    def generate(cls, seed: int = 7, years: float = 3.0, end: date | None = None) -> Athlete:
        """The same seed, years and end day give the same athlete; `end` defaults to today (UTC),
        so the demo always shows recent data."""
        end_day = end or datetime.now(UTC).date()
        end_dt = datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC)
        start_dt = end_dt - timedelta(days=round(years * 365.25))
        athlete = cls(seed=seed, start=start_dt, end=end_dt)
        rng = np.random.default_rng(seed)
        weeks = _plan_weeks(rng, start_dt, end_dt)
        run_km_by_day, lifts_by_day = athlete._make_activities(rng, weeks)
        athlete._make_lifting_log(rng, weeks, lifts_by_day)
        athlete._make_weighins(rng, run_km_by_day, lifts_by_day)
        return athlete

    def _make_activities(
        self, rng: np.random.Generator, weeks: list[_Week]
    ) -> tuple[dict[date, float], dict[date, int]]:
        next_id = _FIRST_ACTIVITY_ID
        run_km: dict[date, float] = {}
        lifts: dict[date, int] = {}
        fitness_km = 20.0  # chronic weekly volume; pace improves with it
        for week in weeks:
            fitness_km += (week.run_km - fitness_km) / 6
            entries: list[tuple[datetime, str, float]] = []
            for day_index, workout, share in week.runs:
                day = week.monday + timedelta(days=day_index)
                entries.append((_local_start(rng, day, workout), workout, share * week.run_km))
            for day_index in week.lift_days:
                day = week.monday + timedelta(days=day_index)
                lifts[day] = lifts.get(day, 0) + 1
                if rng.random() < 0.3:  # only some sessions are recorded on the watch
                    entries.append((_local_start(rng, day, "lift"), "lift", 0.0))
            for day_index in week.ride_days:
                day = week.monday + timedelta(days=day_index)
                workout = "ride" if 3 <= day.month <= 10 else "virtual_ride"
                entries.append((_local_start(rng, day, workout), workout, 0.0))
            for start, workout, distance_km in sorted(entries, key=lambda e: e[0]):
                if start >= self.end:
                    continue
                next_id += int(rng.integers(1_500_000, 6_000_000))
                activity, plan = _make_activity(
                    rng, next_id, start, workout, distance_km * 1000, fitness_km
                )
                self.activities.append(activity)
                if plan is not None:
                    self._plans[next_id] = plan
                if activity["sport_type"] in ("Run", "TrailRun"):
                    day = start.date()
                    run_km[day] = run_km.get(day, 0.0) + activity["distance"] / 1000
        self.activities.sort(key=start_epoch, reverse=True)
        return run_km, lifts

    def _make_lifting_log(
        self, rng: np.random.Generator, weeks: list[_Week], lifts: dict[date, int]
    ) -> None:
        rows: list[list[str]] = [list(SHEET_HEADER)]
        loads = {name: start for name, start, *_ in _LIFTS}
        session = 0
        was_on_break = False
        for week in weeks:
            for day_index in week.lift_days:
                day = week.monday + timedelta(days=day_index)
                if day >= self.end.date():
                    continue
                template = _TEMPLATES[session % len(_TEMPLATES)]
                session += 1
                deload = (session // 3) % 7 == 6  # every seventh week lighter
                for exercise in template:
                    _, start, sets, reps, step = next(
                        lift for lift in _LIFTS if lift[0] == exercise
                    )
                    load = loads[exercise]
                    if step and not deload:
                        # Gains come fast at first and slow down near a ceiling of +60 %.
                        room = 1 - (load - start) / (0.6 * start)
                        if rng.random() < max(0.03, 0.5 * room):
                            loads[exercise] = load + step
                    # Loaded lifts cycle through rep schemes (standard, heavy, volume), so
                    # weight against reps has a shape; the last set now and then falls a rep short.
                    extra_reps, factor = _SCHEMES[(session // len(_TEMPLATES)) % len(_SCHEMES)] \
                        if step else (0, 1.0)
                    work = round(load * factor * (0.85 if deload else 1.0) / 2.5) * 2.5
                    for set_number in range(1, sets + 1):
                        weight = "" if step == 0 and loads[exercise] == 0 else _fmt_kg(work)
                        done = reps + extra_reps - (1 if set_number == sets and step
                                                    and reps + extra_reps > 2
                                                    and (session + sets) % 4 == 0 else 0)
                        rows.append([day.isoformat(), exercise, str(set_number), str(done),
                                     weight])
            if rng.random() < 0.04 and len(rows) > 1:
                rows.append([])  # a blank line left between weeks
            on_break = week.run_km == 0 and not week.lift_days
            if on_break and not was_on_break:
                # a break costs a little strength, once
                loads = {k: (round(v * 0.95 / 2.5) * 2.5 if v else v) for k, v in loads.items()}
            was_on_break = on_break
        for position, bad in zip((0.2, 0.4, 0.6, 0.8), _BAD_ROWS, strict=True):
            index = max(1, int(len(rows) * position))
            anchor = next((r for r in rows[index:] if r), rows[-1])
            rows.insert(
                index, [cell if cell is not None else anchor[i] for i, cell in enumerate(bad)]
            )
        self.sheet_rows = rows

    def _make_weighins(
        self, rng: np.random.Generator, run_km: dict[date, float], lifts: dict[date, int]
    ) -> None:
        days = (self.end - self.start).days
        base_kg = 81.0 + rng.normal(0, 2)
        mean_run_km = sum(run_km.values()) / max(days, 1)
        mean_lifts = sum(lifts.values()) / max(days, 1)
        # Intake that balances an average day: weeks above average volume lose weight, below gain.
        intake_kg = 0.0075 * mean_run_km + 0.03 * mean_lifts
        weight = base_kg + 1.5
        chronic_km = mean_run_km * 7
        grpid = 3_100_000_000 + int(rng.integers(0, 10_000_000))
        device = "".join(rng.choice(list("0123456789abcdef"), 40))
        new_scale_from = self.start + timedelta(days=180)
        groups: list[dict[str, Any]] = []
        for offset in range(days):
            day = (self.start + timedelta(days=offset)).date()
            km = run_km.get(day, 0.0)
            feast = (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 3)
            weight += (
                intake_kg
                - 0.0075 * km
                - 0.03 * lifts.get(day, 0)
                + (0.07 if feast else 0.0)
                + 0.01 * (base_kg - weight)
                + rng.normal(0, 0.02)
            )
            chronic_km += (km * 7 - chronic_km) / 28
            if rng.random() > (0.45 if feast else 0.86):
                continue
            local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                hours=6.5 + rng.random() * 2
            )
            moment = local - timedelta(seconds=_paris_offset_s(local))
            if moment >= self.end:
                break
            observed = weight + rng.normal(0, 0.35) + (0.3 if day.weekday() == 0 else 0.0)
            fat_pct = (
                19.0 + 0.45 * (weight - base_kg) - 0.03 * (chronic_km - 25) + rng.normal(0, 0.5)
            )
            grpid += int(rng.integers(1, 60))
            created = _epoch(moment) + int(rng.integers(5, 900))
            manual = rng.random() < 0.02
            measures = [{"value": round(observed * 1000), "type": 1, "unit": -3}]
            if not manual:
                fat_kg = observed * fat_pct / 100
                free_kg = observed - fat_kg
                measures += [
                    {"value": round(free_kg * 100), "type": 5, "unit": -2},
                    {"value": round(fat_pct * 1000), "type": 6, "unit": -3},
                    {"value": round(fat_kg * 100), "type": 8, "unit": -2},
                ]
                if moment >= new_scale_from:
                    bone_kg = 3.3 + rng.normal(0, 0.03)
                    measures += [
                        {"value": round((free_kg - bone_kg) * 100), "type": 76, "unit": -2},
                        {"value": round(free_kg * 0.73 * 100), "type": 77, "unit": -2},
                        {"value": round(bone_kg * 100), "type": 88, "unit": -2},
                    ]
            modified = created
            if rng.random() < 0.02:  # a group reassigned or edited later
                modified = min(created + int(rng.integers(3_600, 20 * 86_400)), _epoch(self.end))
            groups.append(
                {
                    "grpid": grpid,
                    "attrib": 2 if manual else 0,
                    "date": _epoch(moment),
                    "created": created,
                    "modified": modified,
                    "category": 1,
                    "deviceid": None if manual else device,
                    "hash_deviceid": None if manual else device,
                    "measures": measures,
                    "comment": None,
                    "modelid": None if manual else (13 if moment >= new_scale_from else 5),
                }
            )
        # A user objective (category 2): a filter on category=1 must leave it out.
        goal_at = _epoch(self.start) + 3_600
        groups.append(
            {
                "grpid": grpid + 1,
                "attrib": 2,
                "date": goal_at,
                "created": goal_at,
                "modified": goal_at,
                "category": 2,
                "deviceid": None,
                "hash_deviceid": None,
                "measures": [{"value": round((base_kg - 4) * 1000), "type": 1, "unit": -3}],
                "comment": None,
                "modelid": None,
            }
        )
        groups.sort(key=lambda g: (g["date"], g["grpid"]), reverse=True)
        self.measure_groups = groups

    # -- streams ------------------------------------------------------------------------------

    def _make_streams(self, activity_id: int) -> dict[str, list[Any]]:
        activity = self.activity(activity_id)
        plan = self._plans[activity_id]
        return _streams_for(activity, plan)

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
            new_id = max((a["id"] for a in self.activities), default=_FIRST_ACTIVITY_ID) + 1_000_003
            rng = np.random.default_rng([self.seed, new_id])
            activity, plan = _make_activity(
                rng, new_id, moment, workout, distance_m, 25.0, plain=True
            )
            activity["sport_type"], activity["type"] = sport_type, _legacy_type(sport_type)
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
                "date": _epoch(moment),
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
        return [a for a in self.activities if a["sport_type"] in ("Run", "TrailRun")]


# ---------------------------------------------------------------------------------------------
# Weekly plan


@dataclass
class _Week:
    monday: date
    run_km: float
    runs: tuple[tuple[int, str, float], ...]  # (weekday, workout, share of the week's km)
    lift_days: tuple[int, ...]
    ride_days: tuple[int, ...]


def _plan_weeks(rng: np.random.Generator, start: datetime, end: datetime) -> list[_Week]:
    monday = start.date() - timedelta(days=start.weekday())
    weeks: list[_Week] = []
    base_km = 22.0 + rng.normal(0, 2)
    block_week, block_len = 0, int(rng.integers(10, 15))
    break_left = 0
    while monday < end.date():
        block_week += 1
        if break_left == 0 and rng.random() < 0.018:
            break_left = int(rng.integers(2, 4))  # injury or holiday: no running, no lifting
        holiday = monday.month == 8 and monday.day <= 21
        if break_left:
            break_left -= 1
            weeks.append(_Week(monday, 0.0, (), (), ()))
            monday += timedelta(days=7)
            continue
        if block_week > block_len + 2:
            block_week, block_len = 0, int(rng.integers(10, 15))
            base_km += rng.normal(1.0, 1.5)
        if block_week <= block_len:
            km = base_km * (1 + 0.9 * block_week / block_len)
            if block_week % 4 == 0:
                km *= 0.7  # recovery week
        else:
            km = base_km * 0.5
        if holiday:
            km *= 0.5
        km = max(8.0, km * rng.normal(1.0, 0.08))
        four = rng.random() < (0.35 + 0.4 * min(1.0, block_week / max(block_len, 1)))
        runs: tuple[tuple[int, str, float], ...]  # (weekday, kind, share of the week's km)
        if four:
            runs = (
                (1, "easy", 0.22),
                (2, "intervals", 0.18),
                (4, "tempo", 0.22),
                (6, "long", 0.38),
            )
        else:
            runs = ((1, "easy", 0.3), (3, "tempo", 0.28), (6, "long", 0.42))
        lift_days: tuple[int, ...] = () if holiday else (0, 2, 4)
        if not holiday and rng.random() < 0.15:
            lift_days = (0, 3, 5)
        ride_days: tuple[int, ...] = ()
        summer = 4 <= monday.month <= 9
        if rng.random() < (0.45 if summer else 0.15):
            ride_days = (5,)
        weeks.append(_Week(monday, km, runs, lift_days, ride_days))
        monday += timedelta(days=7)
    return weeks


def _local_start(rng: np.random.Generator, day: date, workout: str) -> datetime:
    if workout == "long" or workout in ("ride", "virtual_ride"):
        hour = 8.0 + rng.random() * 2.5
    elif workout == "lift":
        hour = 18.5 + rng.random()
    else:
        hour = float(rng.choice([6.75, 12.25, 18.0])) + rng.random() * 0.75
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    local = local.replace(microsecond=0)
    return local - timedelta(seconds=_paris_offset_s(local))


# ---------------------------------------------------------------------------------------------
# One activity


_NAMES = {
    "easy": "Run",
    "tempo": "Tempo Run",
    "intervals": "Intervals",
    "long": "Long Run",
    "treadmill": "Treadmill Run",
    "ride": "Ride",
    "virtual_ride": "Zwift Ride",
    "lift": "Crossfit",
}


def _legacy_type(sport_type: str) -> str:
    """Strava's older `type` field knows fewer kinds than `sport_type` (a trail run is a Run)."""
    return {"TrailRun": "Run", "VirtualRun": "Run"}.get(sport_type, sport_type)


def _part_of_day(local: datetime) -> str:
    if local.hour < 11:
        return "Morning"
    if local.hour < 14:
        return "Lunch"
    if local.hour < 18:
        return "Afternoon"
    return "Evening"


@lru_cache(maxsize=4096)
def _summary_polyline(route_index: int, distance_dm: int) -> tuple[str, list[float], list[float]]:
    route = routes()[route_index]
    distance_m = distance_dm * 10.0
    count = int(min(400, max(20, distance_m / 30)))
    lat, lon, _ = route.at(np.linspace(0.0, distance_m, count))
    points = list(zip(np.round(lat, 5).tolist(), np.round(lon, 5).tolist(), strict=True))
    return polyline.encode(points, 5), list(points[0]), list(points[-1])


def _make_activity(
    rng: np.random.Generator,
    activity_id: int,
    start: datetime,
    workout: str,
    distance_m: float,
    fitness_km: float,
    plain: bool = False,
) -> tuple[dict[str, Any], _Plan | None]:
    """One activity; `plain` rules out the odd cases (treadmill, manual, trail, no heart rate)."""
    local = start + timedelta(seconds=_paris_offset_s(start))
    is_run = workout in ("easy", "tempo", "intervals", "long")
    winter = start.month in (11, 12, 1, 2)
    if is_run and winter and workout != "long" and rng.random() < 0.15 and not plain:
        workout = "treadmill"
    manual = (is_run or workout == "treadmill") and rng.random() < 0.025 and not plain
    trail = workout == "long" and rng.random() < 0.2 and not plain
    sport_type = "Run"
    route: int | None
    if workout in ("ride", "virtual_ride"):
        sport_type = "Ride" if workout == "ride" else "VirtualRide"
        speed = rng.normal(8.3 if workout == "ride" else 8.9, 0.5)
        distance_m = speed * rng.uniform(3_000, 6_600) if workout == "ride" else speed * 3_000
        route = RIDE_ROUTE if workout == "ride" else None
    elif workout == "lift":
        sport_type = "WeightTraining"
        speed, distance_m, route = 0.0, 0.0, None
    else:
        # Easy pace about 5:55/km at 20 km a week, faster with volume, capped.
        easy = 1000 / (355 - min(45.0, 1.4 * (fitness_km - 20)))
        factor = {"easy": 1.0, "tempo": 1.1, "intervals": 1.06, "long": 0.96, "treadmill": 1.02}
        speed = easy * factor[workout] * rng.normal(1.0, 0.025)
        distance_m = max(2_500.0, distance_m * rng.normal(1.0, 0.06))
        if trail:
            sport_type, route, speed = "TrailRun", TRAIL_ROUTE, speed * 0.82
        elif workout == "treadmill":
            route = None
        else:
            route = int(rng.choice(ROAD_RUN_ROUTES))
    distance_m = round(float(distance_m), 1)
    moving_s = int(round(distance_m / speed)) if speed else int(rng.integers(2_700, 3_900))
    stop_s = 0 if workout in ("treadmill", "virtual_ride", "lift") else int(rng.integers(0, 240))
    if manual:
        route, stop_s = None, 0
    has_hr = not manual and (rng.random() > 0.12 or plain)
    avg_hr: float | None = None
    if has_hr:
        target = {
            "easy": 141,
            "tempo": 158,
            "intervals": 155,
            "long": 146,
            "treadmill": 145,
            "ride": 128,
            "virtual_ride": 136,
            "lift": 112,
        }[workout]
        avg_hr = round(target + rng.normal(0, 3) - 0.1 * (fitness_km - 20), 1)
    gain_m = 0.0 if route is None else round(routes()[route].gain_m(distance_m), 1)
    name = f"{_part_of_day(local)} {_NAMES[workout]}" if workout != "long" else "Long Run"
    if trail:
        name = "Monts d'Or trail"
    activity: dict[str, Any] = {
        "resource_state": 2,
        "athlete": {"id": 41_230_977, "resource_state": 1},
        "name": name,
        "distance": distance_m,
        "moving_time": moving_s,
        "elapsed_time": moving_s + stop_s,
        "total_elevation_gain": gain_m,
        "type": _legacy_type(sport_type),
        "sport_type": sport_type,
        "workout_type": {"long": 2, "tempo": 3, "intervals": 3}.get(workout, 0) if is_run else None,
        "id": activity_id,
        "start_date": _iso(start),
        "start_date_local": _iso(local),
        "timezone": TIMEZONE,
        "utc_offset": float(_paris_offset_s(start)),
        "location_country": "France",
        "achievement_count": int(rng.integers(0, 3)) if route is not None else 0,
        "kudos_count": int(rng.integers(0, 12)),
        "comment_count": 0,
        "athlete_count": 1,
        "photo_count": 0,
        "trainer": workout in ("treadmill", "virtual_ride"),
        "commute": False,
        "manual": manual,
        "private": bool(rng.random() < 0.05),
        "visibility": "everyone",
        "flagged": False,
        "average_speed": round(distance_m / moving_s, 3) if moving_s else 0.0,
        "max_speed": round(distance_m / moving_s * rng.uniform(1.25, 1.6), 3) if distance_m else 0,
        "has_heartrate": has_hr,
        "pr_count": 0,
        "total_photo_count": 0,
        "has_kudoed": False,
    }
    if activity["private"]:
        activity["visibility"] = "only_me"
    if has_hr:
        activity["average_heartrate"] = avg_hr
        activity["max_heartrate"] = round((avg_hr or 0) + rng.uniform(12, 24))
    elif not manual and rng.random() < 0.5:
        activity["average_heartrate"] = None  # some payloads carry the key with null
    if route is not None:
        encoded, first, last = _summary_polyline(route, int(distance_m // 10))
        activity["map"] = {
            "id": f"a{activity_id}",
            "summary_polyline": encoded,
            "resource_state": 2,
        }
        activity["start_latlng"], activity["end_latlng"] = first, last
    else:
        activity["start_latlng"] = activity["end_latlng"] = []
        if not (manual and rng.random() < 0.5):
            activity["map"] = {
                "id": f"a{activity_id}",
                "summary_polyline": None,
                "resource_state": 2,
            }
    if manual:
        return activity, None
    plan = _Plan(route, has_hr, int(rng.integers(0, 2**31)), workout)
    return activity, plan


def _streams_for(activity: Mapping[str, Any], plan: _Plan) -> dict[str, list[Any]]:
    """Streams whose totals match the summary: distance, moving and elapsed time, mean heart rate,
    elevation along the loop; samples every 1-4 s, a pause shows as a jump in `time`."""
    rng = np.random.default_rng(plan.seed)
    distance_m = float(activity.get("distance") or 0.0)
    moving_s = int(activity.get("moving_time") or 0)
    elapsed_s = int(activity.get("elapsed_time") or moving_s)
    steps = rng.integers(1, 5, size=max(2, moving_s // 2 + 8))
    t = np.concatenate([[0], np.cumsum(steps)])
    t = t[t < moving_s]
    t = np.append(t, moving_s).astype(float)
    pause_s = max(0, elapsed_s - moving_s)
    dt = np.diff(t)
    n = len(t)
    # Effort: smooth noise, intervals as blocks, slower uphill.
    noise = np.convolve(rng.normal(0, 1, n + 30), np.ones(30) / 30, mode="valid")[:n]
    effort = 1 + 0.05 * noise / max(noise.std(), 1e-9)
    if plan.workout == "intervals":
        effort *= np.where((t // 240) % 2 == 1, 1.18, 0.82)
    route = routes()[plan.route] if plan.route is not None else None
    warm = np.clip(t / 300, 0.85, 1.0)
    speed = effort * warm
    if route is not None and distance_m:
        rough = np.concatenate([[0.0], np.cumsum(speed[1:] * dt)])
        rough *= distance_m / rough[-1]
        speed = speed * np.clip(1 - 4 * route.grade(rough), 0.6, 1.3)
    step_m = speed[1:] * dt
    total = float(step_m.sum())
    step_m = step_m * (distance_m / total) if total else step_m * 0
    along = np.concatenate([[0.0], np.cumsum(step_m)])
    velocity = np.concatenate([[0.0], step_m / dt])
    velocity = np.convolve(velocity, np.ones(5) / 5, mode="same")
    if pause_s:
        at = int(n * rng.uniform(0.3, 0.7))
        t[at:] += pause_s
    streams: dict[str, list[Any]] = {
        "time": t.astype(int).tolist(),
        "distance": np.round(along, 1).tolist(),
        "velocity_smooth": np.round(velocity, 3).tolist(),
    }
    if route is not None:
        lat, lon, alt = route.at(along)
        streams["latlng"] = np.stack([np.round(lat, 6), np.round(lon, 6)], axis=1).tolist()
        streams["altitude"] = np.round(alt, 1).tolist()
    avg_hr = activity.get("average_heartrate")
    if plan.has_hr and avg_hr:
        drift = 0.004 * (t - t[0])
        shape = 0.9 * 100 * (velocity / max(float(velocity.mean()), 1e-9) - 1) + drift
        shape = np.convolve(shape, np.ones(15) / 15, mode="same") + rng.normal(0, 1.5, n)
        heart = shape - shape.mean() + float(avg_hr)
        heart[:20] = np.linspace(max(95.0, float(avg_hr) - 40), heart[min(20, n - 1)], min(20, n))
        streams["heartrate"] = np.clip(np.round(heart), 60, 200).astype(int).tolist()
    return streams


# ---------------------------------------------------------------------------------------------
# Lifting log


# name, starting load (kg), sets, reps, progression step per session (0: fixed or bodyweight)
_LIFTS = (
    ("Back Squat", 80.0, 5, 5, 2.5),
    ("Bench Press", 62.5, 5, 5, 1.25),
    ("Pull-up", 0.0, 3, 8, 0.0),
    ("Deadlift", 100.0, 3, 5, 2.5),
    ("Overhead Press", 40.0, 5, 5, 1.25),
    ("Kettlebell Swing", 24.0, 3, 15, 0.0),
    ("Front Squat", 65.0, 4, 6, 2.5),
    ("Power Clean", 55.0, 5, 3, 1.25),
    ("Thruster", 40.0, 3, 10, 1.25),
)
# (reps added to the lift's usual reps, load factor): standard, heavy, volume.
_SCHEMES = ((0, 1.0), (-2, 1.075), (3, 0.875))
_TEMPLATES = (
    ("Back Squat", "Bench Press", "Pull-up"),
    ("Deadlift", "Overhead Press", "Kettlebell Swing"),
    ("Front Squat", "Power Clean", "Thruster"),
)
# Rows a person really types by mistake; None cells are copied from a neighbouring good row.
_BAD_ROWS: tuple[list[str | None], ...] = (
    [None, "Back Squat", "1", "5", "8O"],
    ["31/02/2024", "Deadlift", "1", "5", "100"],
    [None, "Bench Press", "2", "-5", "60"],
    [None, "", "1", "5", "60"],
)


def _fmt_kg(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))
