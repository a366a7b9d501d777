"""Held-out forecasts at 1, 4 and 12 weeks from each week in turn: the model against baselines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.features import TARGETS, Week
from models.serve import BASELINES, HORIZONS_WEEKS

METHODS = ("model", *BASELINES)
LEVEL = 0.8
# The trend baseline: a straight line through the last 8 weekly means, extrapolated.
TREND_WEEKS = 8
MIN_TREND_POINTS = 3
# The first forecast is made once this many weeks with known changes lie behind it.
MIN_TRAIN_WEEKS = 16
# An interval is only drawn from at least this many earlier residuals.
MIN_CALIBRATION = 20
# k is picked again from what is known every quarter, never from weeks still ahead.
REPICK_K_EVERY_WEEKS = 13
LEVEL_FIELDS = {"weight_kg": "weight_mean_kg", "fat_ratio_pct": "fat_ratio_mean_pct"}


@dataclass
class Cell:
    """One horizon × method × target: held-out errors and how often the interval held."""

    errors: list[float] = field(default_factory=list)
    residuals: list[float] = field(default_factory=list)  # truth − forecast, by origin
    origins: list[int] = field(default_factory=list)
    covered: int = 0
    judged: int = 0

    @property
    def mae(self) -> float:
        return float(np.mean(self.errors)) if self.errors else math.nan

    @property
    def coverage(self) -> float:
        return self.covered / self.judged if self.judged else math.nan


@dataclass(frozen=True)
class Report:
    """The backtest: cells[horizon][method][target], and the forecasts it made."""

    cells: dict[int, dict[str, dict[str, Cell]]]
    origins: int

    def mae(self, horizon: int, method: str) -> dict[str, float]:
        return {t: round(self.cells[horizon][method][t].mae, 6) for t in TARGETS}

    def coverage(self, horizon: int, method: str) -> dict[str, float]:
        return {t: round(self.cells[horizon][method][t].coverage, 4) for t in TARGETS}


def conformal_bounds(residuals: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """Split-conformal: the residual quantiles that hold `level` of new cases between them, with
    the finite-sample correction (each tail's rank rounded outwards)."""
    ordered = sorted(residuals)
    n = len(ordered)
    tail = (1 - level) / 2
    low_rank = max(math.floor(tail * (n + 1)), 1)
    high_rank = min(math.ceil((1 - tail) * (n + 1)), n)
    return ordered[low_rank - 1], ordered[high_rank - 1]


def _levels(weeks: Sequence[Week]) -> np.ndarray:
    return np.array([[np.nan if getattr(w, LEVEL_FIELDS[t]) is None else getattr(w, LEVEL_FIELDS[t])
                      for t in TARGETS] for w in weeks], dtype=float).reshape(-1, len(TARGETS))


def trend_rate(levels: np.ndarray) -> np.ndarray:
    """Per target: the slope (per week) of a line through the known levels given, 0 when there
    are too few of them."""
    slopes = np.zeros(levels.shape[1])
    for j in range(levels.shape[1]):
        column = levels[:, j]
        known = ~np.isnan(column)
        if known.sum() >= MIN_TREND_POINTS:
            slopes[j] = np.polyfit(np.flatnonzero(known), column[known], 1)[0]
    return slopes


def _knn(x: np.ndarray, y: np.ndarray, k: int, query: np.ndarray) -> np.ndarray:
    # The serving predictor's computation: scale by the training weeks, mean of the k nearest.
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    distances = np.linalg.norm((x - mean) / scale - (query - mean) / scale, axis=1)
    nearest = np.argsort(distances, kind="stable")[: min(k, len(x))]
    return np.asarray(y[nearest].mean(axis=0))


def run(weeks: Sequence[Week], pick_k: object, level: float = LEVEL,
        min_train_weeks: int = MIN_TRAIN_WEEKS) -> Report:
    """From every week with enough known weeks behind it, forecasts each horizon ahead with the
    model (trained on those weeks only, fed the plan that was then trained: the mean of the
    coming weeks' features, as the user types one) and the baselines; the truth is the 7-day
    mean at the horizon minus the one at the origin.

    An interval at an origin comes from the residuals of earlier origins whose truth was known
    by then (online split-conformal), so its coverage is measured on weeks it had not seen.
    `pick_k(x, y)` picks k from the weeks known at an origin."""
    levels = _levels(weeks)
    feats = np.array([w.features for w in weeks], dtype=float)
    used = np.array([w.used for w in weeks])
    changes = np.array([[np.nan if v is None else v for v in (w.weight_kg, w.fat_ratio_pct)]
                        for w in weeks], dtype=float).reshape(-1, len(TARGETS))
    cells = {h: {m: {t: Cell() for t in TARGETS} for m in METHODS} for h in HORIZONS_WEEKS}
    k = 0
    picked_at = -REPICK_K_EVERY_WEEKS
    origins = 0
    for t in range(len(weeks)):
        known = np.flatnonzero(used[: t + 1])
        if len(known) < min_train_weeks:
            continue
        if t - picked_at >= REPICK_K_EVERY_WEEKS:
            k = int(pick_k(feats[known], changes[known]))  # type: ignore[operator]
            picked_at = t
        origins += 1
        mean_rate = changes[known].mean(axis=0)
        trend = trend_rate(levels[max(0, t - TREND_WEEKS + 1): t + 1])
        for h in HORIZONS_WEEKS:
            if t + h >= len(weeks):
                continue
            truth = levels[t + h] - levels[t]
            plan = feats[t + 1: t + h + 1].mean(axis=0)
            guesses = {
                "model": h * _knn(feats[known], changes[known], k, plan),
                "no_change": np.zeros(len(TARGETS)),
                "mean_change": h * mean_rate,
                "trend": h * trend,
            }
            for method, guess in guesses.items():
                for j, target in enumerate(TARGETS):
                    if math.isnan(truth[j]):
                        continue
                    _score(cells[h][method][target], t, h, float(truth[j]), float(guess[j]), level)
    return Report(cells, origins)


def _score(cell: Cell, origin: int, horizon: int, truth: float, guess: float,
           level: float) -> None:
    # Only residuals whose truth was in by this origin calibrate its interval.
    calibration = [r for r, o in zip(cell.residuals, cell.origins, strict=True)
                   if o + horizon <= origin]
    if len(calibration) >= MIN_CALIBRATION:
        low, high = conformal_bounds(calibration, level)
        cell.judged += 1
        cell.covered += guess + low <= truth <= guess + high
    cell.errors.append(abs(truth - guess))
    cell.residuals.append(truth - guess)
    cell.origins.append(origin)


@dataclass(frozen=True)
class Decision:
    """What is served at one horizon, and why."""

    method: str
    reason: str


def decide(report: Report, horizon: int) -> Decision:
    """The model when it beats every baseline on every target at this horizon; else the baseline
    with the smallest error (relative to no change, averaged over the targets)."""
    judged = min(len(report.cells[horizon]["model"][t].errors) for t in TARGETS)
    if judged < MIN_CALIBRATION:
        return Decision("no_change", f"only {judged} held-out forecasts {horizon} weeks ahead "
                                     f"(at least {MIN_CALIBRATION} are needed to judge the "
                                     "model): no change is served")
    model = report.mae(horizon, "model")
    losses = [(b, t) for b in BASELINES for t in TARGETS
              if not model[t] < report.mae(horizon, b)[t]]
    if not losses:
        return Decision("model", f"the model beat every baseline {horizon} weeks ahead")
    floor = {t: max(report.mae(horizon, "no_change")[t], 1e-12) for t in TARGETS}
    best = min(BASELINES, key=lambda b: (
        float(np.mean([report.mae(horizon, b)[t] / floor[t] for t in TARGETS])), b))
    baseline, target = losses[0]
    return Decision(best, f"{horizon} weeks ahead the model did not beat {baseline} on {target} "
                          f"(held-out MAE {model[target]:.3f} vs "
                          f"{report.mae(horizon, baseline)[target]:.3f}): {best} is served")


def table(report: Report) -> list[str]:
    """The backtest as the user reads it: MAE and interval coverage per horizon and method."""
    lines = [f"backtest: {report.origins} forecast origins, held-out, time-ordered; "
             f"{LEVEL:.0%} interval coverage in brackets (goal {LEVEL:.2f} ± 0.05)"]
    for target in TARGETS:
        lines.append(f"  {target + ' MAE':<22}" + "".join(f"{m:>20}" for m in METHODS))
        for h in HORIZONS_WEEKS:
            row = f"    {h:>2} week{'s' if h > 1 else ' '} ahead      "
            for m in METHODS:
                cell = report.cells[h][m][target]
                row += f"{cell.mae:>11.3f} ({cell.coverage:>4.2f})  "
            lines.append(row)
    return lines
