"""Trains the weekly KNN forecaster: k by time-ordered cross-validation, errors beside baselines."""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import TimeSeriesSplit
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.cli import EXIT_STOPPED
from core.errors import PulseboardError
from models import artifact, backtest, features, model_file
from models.features import FEATURES, TARGETS, ForecastConfig, Week
from models.predict import Predictor

DEFAULT_MIN_WEEKS = 16
SMALLEST_MIN_WEEKS = 8  # below this, 5 time-ordered folds leave almost nothing to learn from
N_SPLITS = 5
MAX_K = 15


class NotEnoughData(PulseboardError):
    """Fewer usable weeks than the minimum: nothing is published (a normal outcome)."""

    exit_code = EXIT_STOPPED

    def __init__(self, weeks_used: int, min_weeks: int, weeks_left_out: int,
                 left_out: dict[str, int]) -> None:
        self.weeks_used = weeks_used
        self.min_weeks = min_weeks
        self.weeks_left_out = weeks_left_out
        self.left_out = left_out
        super().__init__(
            f"only {weeks_used} usable weeks, the minimum is {min_weeks}: nothing published. "
            f"Sync more data (weigh in at least {features.MIN_DAYS_PER_WEEK} days a week) "
            "or lower --min-weeks."
        )


@dataclass(frozen=True)
class Result:
    """A trained model and how well it did on weeks it had not seen."""

    pipeline: Pipeline
    predictor: Predictor
    k: int
    weeks_used: int
    weeks_left_out: int
    left_out: dict[str, int]
    first_week: str
    last_week: str
    cv_mae: dict[str, float]
    baselines: dict[str, dict[str, float]]
    cv_by_k: dict[int, float] = field(default_factory=dict)
    x: Any = None
    y: Any = None
    backtest: backtest.Report | None = None
    horizons: dict[str, dict[str, Any]] = field(default_factory=dict)
    rates: dict[str, dict[str, float]] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)


def pipeline(k: int) -> Pipeline:
    # Brute force: a few hundred rows, and the serving predictor does exactly the same search.
    return Pipeline([
        ("scale", StandardScaler()),
        ("knn", KNeighborsRegressor(n_neighbors=k, weights="uniform", algorithm="brute")),
    ])


def arrays(weeks: Sequence[Week]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([w.features for w in weeks], dtype=float).reshape(-1, len(FEATURES))
    y = np.array([w.targets for w in weeks], dtype=float).reshape(-1, len(TARGETS))
    return x, y


def _mae(truth: np.ndarray, guess: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(truth - guess), axis=0)


def cross_validate(
    x: np.ndarray, y: np.ndarray, ks: Sequence[int], n_splits: int = N_SPLITS
) -> tuple[dict[int, np.ndarray], dict[str, np.ndarray]]:
    """Held-out absolute errors, pooled over time-ordered folds (each fold trains on the past
    only): MAE per target for each k, and for the two naive baselines on the same folds."""
    splits = list(TimeSeriesSplit(n_splits=n_splits).split(x))
    truth = np.concatenate([y[test] for _, test in splits])
    # One fit per fold: the k nearest are the first k of the largest k's sorted neighbours, so
    # every k's uniform KNN forecast is a prefix mean (fifteen times fewer fits than a grid).
    guesses: dict[int, list[np.ndarray]] = {k: [] for k in ks}
    for train, test in splits:
        fitted = pipeline(max(ks)).fit(x[train], y[train])
        nearest = fitted[-1].kneighbors(fitted[:-1].transform(x[test]), return_distance=False)
        cumulative = np.cumsum(y[train][nearest], axis=1)
        for k in ks:
            guesses[k].append(cumulative[:, k - 1, :] / k)
    by_k = {k: _mae(truth, np.concatenate(parts)) for k, parts in guesses.items()}
    no_change = np.zeros_like(truth)
    mean_change = np.concatenate(
        [np.tile(y[train].mean(axis=0), (len(test), 1)) for train, test in splits]
    )
    return by_k, {"no_change": _mae(truth, no_change), "mean_change": _mae(truth, mean_change)}


def _ks(n_rows: int, n_splits: int = N_SPLITS) -> list[int]:
    smallest_train = n_rows - n_splits * (n_rows // (n_splits + 1))
    return list(range(1, max(1, min(MAX_K, smallest_train)) + 1))


def pick_k(x: np.ndarray, y: np.ndarray) -> tuple[int, dict[int, float], dict[str, np.ndarray],
                                                 dict[int, np.ndarray]]:
    """k by time-ordered cross-validation on (x, y), with the scores and errors it was picked by."""
    by_k, baselines = cross_validate(x, y, _ks(len(x)), N_SPLITS)
    # Targets have different units: compare k by error relative to the no-change baseline.
    floor = np.maximum(baselines["no_change"], 1e-12)
    scores = {k: float(np.mean(mae / floor)) for k, mae in by_k.items()}
    best = min(scores, key=lambda k: (round(scores[k], 12), k))
    return best, scores, baselines, by_k


def _k_only(x: np.ndarray, y: np.ndarray) -> int:
    if len(x) < N_SPLITS + 1:
        return 1
    return pick_k(x, y)[0]


def _finite_or_none(values: dict[str, float]) -> dict[str, float | None]:
    # JSON has no NaN: a horizon never backtested has no error to show.
    return {name: (v if math.isfinite(v) else None) for name, v in values.items()}


def horizons(report: backtest.Report, y: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per backtested horizon: what is served and why, its held-out errors, and the 80 % interval
    of the total change (residual quantiles of the method served, added to its forecast)."""
    out: dict[str, dict[str, Any]] = {}
    for h in backtest.HORIZONS_WEEKS:
        decision = backtest.decide(report, h)
        interval = {}
        for j, target in enumerate(TARGETS):
            cell = report.cells[h][decision.method][target]
            residuals = cell.residuals[-backtest.CALIBRATION_ORIGINS:]
            level = cell.level_at(report.last_origin + h, h, backtest.LEVEL)
            if not residuals:
                # Nothing held out this far ahead: h weeks of the changes seen, as independent.
                residuals, level = list(y[:, j] * math.sqrt(h)), backtest.LEVEL
            low, high = backtest.conformal_bounds(residuals, level)
            interval[target] = [round(low, 4), round(high, 4)]
        out[str(h)] = {
            "method": decision.method,
            "reason": decision.reason,
            "mae": {m: _finite_or_none(report.mae(h, m)) for m in backtest.METHODS},
            "coverage": _finite_or_none(report.coverage(h, decision.method)),
            "interval": {"level": backtest.LEVEL, **interval},
        }
    return out


def rates(weeks: Sequence[Week], y: np.ndarray) -> dict[str, dict[str, float]]:
    """The baselines' weekly changes at the end of training, as the API serves them."""
    levels = backtest._levels(weeks[-backtest.TREND_WEEKS:])
    return {
        "no_change": _named(np.zeros(len(TARGETS))),
        "mean_change": _named(y.mean(axis=0)),
        "trend": _named(backtest.trend_rate(levels)),
    }


def fit(weeks: Sequence[Week], min_weeks: int = DEFAULT_MIN_WEEKS) -> Result:
    """Picks k by time-ordered cross-validation, backtests model and baselines at each horizon,
    then fits on every usable week."""
    used = [w for w in weeks if w.used]
    left = [w for w in weeks if not w.used]
    if len(used) < max(min_weeks, SMALLEST_MIN_WEEKS):
        raise NotEnoughData(len(used), min_weeks, len(left), features.summarise_left_out(left))
    # The model learns from runs of weeks (backtest.rows); cross-validation scores it on them.
    x, y, _ = backtest.rows(weeks)
    if len(x) < N_SPLITS + 1:
        raise NotEnoughData(len(used), min_weeks, len(left), features.summarise_left_out(left))
    best, scores, baselines, by_k = pick_k(x, y)
    report = backtest.run(weeks, _k_only, min_train_weeks=min(backtest.MIN_TRAIN_WEEKS,
                                                              len(used) // 2))
    final = pipeline(best).fit(x, y)
    return Result(
        pipeline=final,
        predictor=Predictor.from_pipeline(final, x, y, FEATURES, TARGETS),
        k=best,
        weeks_used=len(used),
        weeks_left_out=len(left),
        left_out=features.summarise_left_out(left),
        first_week=used[0].start.isoformat(),
        last_week=used[-1].start.isoformat(),
        cv_mae=_named(by_k[best]),
        baselines={name: _named(mae) for name, mae in baselines.items()},
        cv_by_k=scores,
        x=x,
        y=y,
        backtest=report,
        horizons=horizons(report, y),
        rates=rates(weeks, arrays(used)[1]),
        sources={
            "file_activities": sum(w.file_activities for w in weeks),
            "strava_api_activities": sum(w.strava_api_activities for w in weeks),
            "strava_api_used": any(w.strava_api_used for w in weeks),
        },
    )


def _named(values: np.ndarray) -> dict[str, float]:
    return {name: round(float(v), 6) for name, v in zip(TARGETS, values, strict=True)}


def manifest(result: Result, trained_at: datetime, min_weeks: int) -> dict[str, Any]:
    """What the API and people need to know about a model, except where and what its bytes are
    (artifact.publish adds those)."""
    stamp = trained_at.astimezone(UTC)
    lows, highs = result.x.min(axis=0), result.x.max(axis=0)
    return {
        "version": stamp.strftime("%Y%m%dT%H%M%SZ"),
        "trained_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "weeks_used": result.weeks_used,
        "weeks_left_out": result.weeks_left_out,
        "left_out_reasons": result.left_out,
        "first_week": result.first_week,
        "last_week": result.last_week,
        "min_weeks": min_weeks,
        "features": [
            {"name": name, "min": round(float(lo), 4), "max": round(float(hi), 4)}
            for name, lo, hi in zip(FEATURES, lows, highs, strict=True)
        ],
        "targets": list(TARGETS),
        "target_units": {"weight_kg": "kg per week", "fat_ratio_pct": "percentage points per week"},
        "k": result.k,
        "cv": {"method": "TimeSeriesSplit", "n_splits": N_SPLITS, "metric": "MAE"},
        "cv_mae": result.cv_mae,
        "baseline_mae": result.baselines["no_change"],
        "baselines": result.baselines,
        "libraries": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "model_format": model_file.FORMAT,
        "horizons": result.horizons,
        "rates": result.rates,
        "activity_sources": result.sources,
    }


def run(
    store: Any,
    blobs: Any,
    min_weeks: int = DEFAULT_MIN_WEEKS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    signing_key: str = "",
    config: ForecastConfig = features.DEFAULT_CONFIG,
) -> tuple[Result, dict[str, Any]]:
    """Store → weeks → model → blobs, the manifest signed when `signing_key` is given. Raises
    NotEnoughData without publishing anything."""
    now = clock()
    weeks = features.fetch(store, today=now.date(), config=config)
    result = fit(weeks, min_weeks)
    written = artifact.publish(blobs, result.predictor, manifest(result, now, min_weeks),
                               signing_key)
    return result, written
