"""The forecast's model line in the viewer's units and zone."""

from __future__ import annotations

from core import localtime
from dashboard.logic import forecast

ANSWER = {"model": {"version": "v1", "trained_at": "2026-11-30T06:30:00Z", "k": 15,
                    "cv_mae": {"weight_kg": 0.5, "fat_ratio_pct": 0.25},
                    "baseline_mae": {"weight_kg": 1.0, "fat_ratio_pct": 0.5}}}


def test_model_errors_in_pounds_and_training_time_in_the_viewers_zone():
    text = forecast.model_summary(ANSWER, "imperial", localtime.zone("America/Los_Angeles"))
    assert "trained 29 Nov 2026, 22:30 PST" in text
    assert "weight ±1.10 lb (no-change guess ±2.20 lb)" in text
    assert "fat ratio ±0.25 % (no-change guess ±0.50 %)" in text
    metric = forecast.model_summary(ANSWER, "metric", localtime.zone("Asia/Kolkata"))
    assert "trained 30 Nov 2026, 12:00 IST" in metric
    assert "weight ±0.50 kg (no-change guess ±1.00 kg)" in metric
