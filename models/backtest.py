"""Held-out forecasts at 1, 4 and 12 weeks from each week in turn: the model against baselines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.features import FEATURES, TARGETS, Week
from models.serve import BASELINES, HORIZONS_WEEKS

METHODS = ("model", *BASELINES)
LEVEL = 0.8
# The trend baseline: a straight line through the last 8 weekly means, extrapolated.
TREND_WEEKS = 8
MIN_TREND_POINTS = 3
# The first forecast is made once this many weeks with known changes lie behind it.
MIN_TRAIN_WEEKS = 16
# An interval is only drawn from at least this many earlier residuals, and from the latest
# this many: the model grows better as weeks come in, and the oldest residuals, from a model
# trained on a few months, would make its intervals wider than its errors now are.
MIN_CALIBRATION = 20
CALIBRATION_ORIGINS = 52
# How far one missed (or held) interval moves the level asked next (Gibbs and Candès, 2021): the
# residuals of overlapping horizons hang together, so a fixed quantile's coverage wanders.
ADAPT_RATE = 0.025
# k is picked again from what is known every quarter, never from weeks still ahead.
REPICK_K_EVERY_WEEKS = 13
# The model learns weekly rates from runs of this many weeks (see rows()).
WINDOW_WEEKS = 6
LEVEL_FIELDS = {"weight_kg": "weight_mean_kg", "fat_ratio_pct": "fat_ratio_mean_pct"}


@dataclass
class Cell:
    """One horizon × method × target: held-out errors and how often the interval held."""

    errors: list[float] = field(default_factory=list)
    residuals: list[float] = field(default_factory=list)  # truth − forecast, by origin
    origins: list[int] = field(default_factory=list)
    covered: int = 0
    judged: int = 0
    # Adaptive conformal inference: the level asked of the residual quantiles, moved after each
    # judged interval whose truth is in (up when one missed, down when one held).
    hits: list[tuple[int, bool]] = field(default_factory=list)  # (origin, held)

    def level_at(self, origin: int, horizon: int, level: float) -> float:
        """The quantile level that holds `level` over time, from the intervals judged by now."""
        known = [held for o, held in self.hits if o + horizon <= origin]
        moved = level + ADAPT_RATE * sum((not held) - (1 - level) for held in known)
        return min(max(moved, 0.5), 0.99)

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
    last_origin: int = -1  # the index of the last week forecast from

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
    # Rounded to 9 places first: (1 - 0.8) / 2 * 100 is 9.999…, and floor() would take one rank
    # more than the correction asks.
    low_rank = max(math.floor(round(tail * (n + 1), 9)), 1)
    high_rank = min(math.ceil(round((1 - tail) * (n + 1), 9)), n)
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


def rows(weeks: Sequence[Week], width: int = WINDOW_WEEKS) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """The model's training rows: for every run of `width` weeks, the mean of their features and
    the weekly rate of change over them (the mean of their changes: the 7-day mean after minus
    the one before, ÷ width), with the index of the week that closes the run (the row is known
    from then on). A run with a week left out is no row.

    A week's own change is two noisy 7-day means apart, and a forecast h weeks ahead adds h such
    rates: averaged over a few weeks, the rates carry 1/width of that noise, and a mean plan over
    the coming weeks, which is what a user types, meets rows of the same kind."""
    feats = np.array([w.features for w in weeks], dtype=float).reshape(-1, len(FEATURES))
    changes = np.array([[np.nan if v is None else v for v in (w.weight_kg, w.fat_ratio_pct)]
                        for w in weeks], dtype=float).reshape(-1, len(TARGETS))
    xs, ys, ends = [], [], []
    for end in range(width - 1, len(weeks)):
        rate = changes[end - width + 1: end + 1].mean(axis=0)
        if np.isnan(rate).any():
            continue
        xs.append(feats[end - width + 1: end + 1].mean(axis=0))
        ys.append(rate)
        ends.append(end)
    return (np.array(xs, dtype=float).reshape(-1, len(FEATURES)),
            np.array(ys, dtype=float).reshape(-1, len(TARGETS)), np.array(ends, dtype=int))


def _knn(x: np.ndarray, y: np.ndarray, k: int, query: np.ndarray) -> np.ndarray:
    # The serving predictor's computation: scale by the training weeks, mean of the k nearest.
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    distances = np.linalg.norm((x - mean) / scale - (query - mean) / scale, axis=1)
    nearest = np.argsort(distances, kind="stable")[: min(k, len(x))]
    return np.asarray(y[nearest].mean(axis=0))


def run(weeks: Sequence[Week], pick_k: object, level: float = LEVEL,
        min_train_weeks: int = MIN_TRAIN_WEEKS, window: int = WINDOW_WEEKS) -> Report:
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
    row_x, row_y, row_end = rows(weeks, window)
    cells = {h: {m: {t: Cell() for t in TARGETS} for m in METHODS} for h in HORIZONS_WEEKS}
    k = 0
    picked_at = -REPICK_K_EVERY_WEEKS
    origins, last_origin = 0, -1
    for t in range(len(weeks)):
        known = np.flatnonzero(used[: t + 1])
        learnt = row_end <= t
        if len(known) < min_train_weeks or not learnt.any():
            continue
        if t - picked_at >= REPICK_K_EVERY_WEEKS:
            k = int(pick_k(row_x[learnt], row_y[learnt]))  # type: ignore[operator]
            picked_at = t
        origins += 1
        last_origin = t
        mean_rate = changes[known].mean(axis=0)
        trend = trend_rate(levels[max(0, t - TREND_WEEKS + 1): t + 1])
        for h in HORIZONS_WEEKS:
            if t + h >= len(weeks):
                continue
            truth = levels[t + h] - levels[t]
            plan = feats[t + 1: t + h + 1].mean(axis=0)
            guesses = {
                "model": h * _knn(row_x[learnt], row_y[learnt], k, plan),
                "no_change": np.zeros(len(TARGETS)),
                "mean_change": h * mean_rate,
                "trend": h * trend,
            }
            for method, guess in guesses.items():
                for j, target in enumerate(TARGETS):
                    if math.isnan(truth[j]):
                        continue
                    _score(cells[h][method][target], t, h, float(truth[j]), float(guess[j]), level)
    return Report(cells, origins, last_origin)


def _score(cell: Cell, origin: int, horizon: int, truth: float, guess: float,
           level: float) -> None:
    # Only residuals whose truth was in by this origin calibrate its interval.
    calibration = [r for r, o in zip(cell.residuals, cell.origins, strict=True)
                   if o + horizon <= origin][-CALIBRATION_ORIGINS:]
    if len(calibration) >= MIN_CALIBRATION:
        low, high = conformal_bounds(calibration, cell.level_at(origin, horizon, level))
        held = guess + low <= truth <= guess + high
        cell.judged += 1
        cell.covered += held
        cell.hits.append((origin, held))
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
