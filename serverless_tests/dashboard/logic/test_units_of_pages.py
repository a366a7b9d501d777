"""The weight page's any-measurement view and the crossfit figures in the viewer's units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from dashboard.logic import crossfit, weight

LB_PER_KG = 1 / 0.45359237


def _frame(values: list[float]) -> pd.DataFrame:
    start = datetime(2026, 10, 1, 7, tzinfo=UTC)
    return pd.DataFrame({"time": pd.to_datetime([start + timedelta(days=d)
                                                 for d in range(len(values))], utc=True),
                         "value": values})


def test_masses_are_shown_in_pounds_and_ratios_stay_percent():
    frame = _frame([80.0 + 0.1 * d for d in range(30)])
    fig, bars, text = weight.figures(frame, "weight_kg", 7, "imperial")
    assert fig.layout.yaxis.title.text == "Weight (lb)"
    assert fig.data[0].y[0] == pytest.approx(80.0 * LB_PER_KG, abs=0.01)
    assert bars.layout.yaxis.title.text == "change per week (lb)"
    assert text.startswith(f"Latest {82.9 * LB_PER_KG:.1f} lb")
    metric, _, _ = weight.figures(frame, "weight_kg", 7)
    assert metric.layout.yaxis.title.text == "Weight (kg)" and metric.data[0].y[0] == 80.0
    ratio, _, _ = weight.figures(_frame([20.0] * 10), "fat_ratio_pct", 7, "imperial")
    assert ratio.layout.yaxis.title.text == "Fat ratio (%)" and ratio.data[0].y[0] == 20.0


def test_crossfit_weights_in_pounds():
    sets = pd.DataFrame({"date": pd.to_datetime(["2026-10-01", "2026-10-01", "2026-10-03"]),
                         "exercise": ["Deadlift"] * 3, "set_index": [1, 2, 1], "reps": [5, 5, 3],
                         "weight_kg": [100.0, 110.0, 120.0], "source_row": [2, 3, 4]})
    figs = crossfit.figures(sets, "Deadlift", "imperial")
    assert figs["scatter"].layout.yaxis.title.text == "weight (lb)"
    assert max(figs["scatter"].data[0].y) == pytest.approx(120.0 * LB_PER_KG)
    assert figs["progress"].data[0].y[0] == pytest.approx(110.0 * LB_PER_KG, abs=0.01)
    assert crossfit.figures(sets, "Deadlift")["scatter"].layout.yaxis.title.text == "weight (kg)"
