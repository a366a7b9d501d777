"""Training load per session (running and lifting on one scale) and fitness, fatigue and form."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Banister's TRIMP (Banister 1991; Morton, Fitz-Clarke & Banister 1990): minutes × HRr ×
# 0.64·e^(1.92·HRr), HRr = (HR − rest) / (max − rest). Rest and max are the usual population
# defaults until the owner's own are known; both are arguments.
HR_REST_BPM = 60.0
HR_MAX_BPM = 190.0
TRIMP_A = 0.64
TRIMP_B = 1.92
# A run with no heart rate: its speed as a share of a threshold speed (IF, as in Coggan's
# rTSS) stands for HRr at 0.85 × IF, threshold being where HRr is about 0.85. 3.33 m/s is a
# 5:00 /km threshold, a recreational runner's.
THRESHOLD_SPEED_MPS = 10 / 3
HRR_AT_THRESHOLD = 0.85
# Lifting: Foster's session-RPE (Foster et al. 2001): minutes × RPE (0-10). The log has no
# clock, so a set stands for SET_MINUTES of work and rest, and RPE for a set's share of the
# exercise's best estimated 1-rep max (Epley) × 10, at least LIFT_RPE_MIN (bodyweight work: a
# set with no weight is LIFT_RPE_BODYWEIGHT). sRPE units are about four times TRIMP's for the
# same hour (an hour at RPE 6 is 360 AU, an hour's run at HRr 0.7 is ~103 TRIMP), so SRPE_SCALE
# puts lifting on the running scale.
SET_MINUTES = 3.0
LIFT_RPE_MIN = 3.0
LIFT_RPE_BODYWEIGHT = 5.0
SRPE_SCALE = 0.3
# Fitness (CTL) and fatigue (ATL) are exponentially weighted daily loads with time constants
# of 42 and 7 days (Banister's fitness-fatigue model as TrainingPeaks and intervals.icu use it):
# X_d = X_{d−1} + (load_d − X_{d−1}) / τ. Form (TSB) = CTL − ATL of the same day.
CTL_DAYS = 42
ATL_DAYS = 7


def trimp_factor(hrr: np.ndarray | float) -> np.ndarray:
    value = np.clip(np.asarray(hrr, dtype=float), 0.0, 1.0)
    return value * TRIMP_A * np.exp(TRIMP_B * value)


def hr_reserve(heartrate_bpm: np.ndarray | float, rest_bpm: float = HR_REST_BPM,
               max_bpm: float = HR_MAX_BPM) -> np.ndarray:
    if not max_bpm > rest_bpm:
        raise ValueError(f"maximum heart rate {max_bpm} must be above resting {rest_bpm}")
    return (np.asarray(heartrate_bpm, dtype=float) - rest_bpm) / (max_bpm - rest_bpm)


def trimp_stream(time_s: Sequence[float], heartrate_bpm: Sequence[float],
                 rest_bpm: float = HR_REST_BPM, max_bpm: float = HR_MAX_BPM,
                 max_step_s: float = 30.0) -> float | None:
    """TRIMP summed sample by sample; a step longer than max_step_s (a pause) counts as
    max_step_s, and samples without a heart rate count nothing. None: no usable heart rate."""
    n = min(len(time_s), len(heartrate_bpm))
    if n < 2:
        return None
    t = np.asarray(time_s[:n], dtype=float)
    hr = np.asarray(heartrate_bpm[:n], dtype=float)
    dt = np.clip(np.diff(t), 0.0, max_step_s)
    beat = hr[1:]
    usable = np.isfinite(beat) & (beat > 0) & np.isfinite(dt)
    if not usable.any():
        return None
    minutes = dt[usable] / 60
    return float(np.sum(minutes * trimp_factor(hr_reserve(beat[usable], rest_bpm, max_bpm))))


def trimp_average(duration_s: float, average_hr_bpm: float, rest_bpm: float = HR_REST_BPM,
                  max_bpm: float = HR_MAX_BPM) -> float:
    """Banister's original form: the session's minutes at its average heart rate."""
    return float(duration_s / 60 * trimp_factor(hr_reserve(average_hr_bpm, rest_bpm, max_bpm)))


def pace_load(duration_s: float, speed_mps: float,
              threshold_mps: float = THRESHOLD_SPEED_MPS) -> float:
    """A TRIMP-scale estimate for a run with no heart rate, from its duration and speed."""
    if duration_s <= 0 or not speed_mps > 0:
        return 0.0
    return float(duration_s / 60 * trimp_factor(HRR_AT_THRESHOLD * speed_mps / threshold_mps))


def run_load(moving_time_s: float, distance_m: float, average_hr_bpm: float | None = None,
             stream_trimp: float | None = None) -> tuple[float, str]:
    """(load, how): the stream's TRIMP, else the average heart rate's, else the pace estimate."""
    if stream_trimp is not None:
        return stream_trimp, "heart rate"
    if average_hr_bpm is not None and math.isfinite(average_hr_bpm) and average_hr_bpm > 0:
        return trimp_average(moving_time_s, average_hr_bpm), "average heart rate"
    speed = distance_m / moving_time_s if moving_time_s > 0 else 0.0
    return pace_load(moving_time_s, speed), "pace"


@dataclass(frozen=True)
class Set:
    """A logged set, as the lifting load needs it."""

    day: date
    exercise: str
    reps: int
    weight_kg: float


def epley_kg(weight_kg: float, reps: int) -> float:
    return weight_kg * (1 + reps / 30)


def lifting_loads(sets: Iterable[Set]) -> dict[date, float]:
    """Each day's lifting load: scaled session-RPE, RPE from each set's share of the best
    estimated 1-rep max of its exercise (over the whole log)."""
    rows = list(sets)
    best: dict[str, float] = {}
    for s in rows:
        key = s.exercise.casefold()
        best[key] = max(best.get(key, 0.0), epley_kg(s.weight_kg, s.reps))
    loads: dict[date, float] = {}
    for s in rows:
        top = best[s.exercise.casefold()]
        if s.weight_kg <= 0 or top <= 0:
            rpe = LIFT_RPE_BODYWEIGHT
        else:
            rpe = max(LIFT_RPE_MIN, min(10.0, 10 * epley_kg(s.weight_kg, s.reps) / top))
        loads[s.day] = loads.get(s.day, 0.0) + SET_MINUTES * rpe * SRPE_SCALE
    return loads


@dataclass(frozen=True)
class Form:
    """Daily series from `start`: load, fitness (CTL), fatigue (ATL) and form (TSB)."""

    start: date
    load: np.ndarray
    ctl: np.ndarray
    atl: np.ndarray

    @property
    def tsb(self) -> np.ndarray:
        return self.ctl - self.atl

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(len(self.load))]


def ewma(load: np.ndarray, days: int, seed: float = 0.0) -> np.ndarray:
    out = np.empty(len(load))
    value = seed
    k = 1.0 / days
    for i, x in enumerate(load.tolist()):
        value += (x - value) * k
        out[i] = value
    return out


def daily(loads: Mapping[date, float], start: date, end: date) -> np.ndarray:
    """Loads per day from start to end inclusive (days without training are 0)."""
    length = (end - start).days + 1
    series = np.zeros(max(length, 0))
    for day, value in loads.items():
        i = (day - start).days
        if 0 <= i < length:
            series[i] += value
    return series


def form(loads: Mapping[date, float], end: date, start: date | None = None) -> Form:
    """CTL, ATL and TSB every day from the first load (or `start`) to `end`."""
    first = start or (min(loads) if loads else end)
    series = daily(loads, first, end)
    return Form(first, series, ewma(series, CTL_DAYS), ewma(series, ATL_DAYS))
