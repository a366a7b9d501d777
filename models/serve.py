"""A forecast as served: the method the backtest chose for the horizon, its total and interval."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from models.features import TARGETS
from models.predict import Predictor

# Stdlib only, like the predictor: serving must not pay for training's imports.
HORIZONS_WEEKS = (1, 4, 12)
BASELINES = ("no_change", "mean_change", "trend")


def horizon_for(weeks: int) -> int:
    """The backtested horizon a forecast of `weeks` is judged by: the nearest on a log scale
    (1-2 weeks → 1, 3-6 → 4, 7 and more → 12), since errors grow with the horizon's root."""
    return min(HORIZONS_WEEKS, key=lambda h: (abs(math.log(weeks / h)), h))


def forecast(predictor: Predictor, manifest: Mapping[str, Any], plan: Sequence[float],
             weeks: int) -> dict[str, Any]:
    """The weekly change, the total over `weeks` and its interval, from the method the manifest
    serves at the nearest backtested horizon (the model, or a baseline that beat it there).

    The interval is that horizon's conformal residual band, scaled by √(weeks / horizon) when
    the horizon asked is not one backtested."""
    horizon = horizon_for(weeks)
    chosen = manifest["horizons"][str(horizon)]
    method = chosen["method"]
    if method == "model":
        changes = predictor.predict_one(plan)
    else:
        rate = manifest["rates"][method]
        changes = tuple(float(rate[name]) for name in TARGETS)
    per_week = {name: round(change, 4) for name, change in zip(TARGETS, changes, strict=True)}
    total = {name: change * weeks for name, change in zip(TARGETS, changes, strict=True)}
    stretch = math.sqrt(weeks / horizon)
    band = chosen["interval"]
    interval: dict[str, Any] = {"level": band["level"]}
    for name in TARGETS:
        low, high = band[name]
        interval[name] = [round(total[name] + low * stretch, 3),
                          round(total[name] + high * stretch, 3)]
    return {
        "per_week": per_week,
        "total": {name: round(value, 3) for name, value in total.items()},
        "interval": interval,
        "method": method,
        "reason": chosen["reason"],
        "horizon_weeks": horizon,
    }
