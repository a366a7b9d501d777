"""A forecast as served: the method chosen per horizon, its total, its interval; and the plans."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from demo.athlete import RESPONSIVE
from models import serve, train
from models.features import FEATURES, TARGETS
from models.predict import Predictor


@pytest.mark.parametrize(("weeks", "horizon"), [(1, 1), (2, 1), (3, 4), (6, 4), (7, 12),
                                                 (8, 12), (52, 12)])
def test_a_horizon_is_judged_by_the_nearest_backtested_one(weeks, horizon):
    assert serve.horizon_for(weeks) == horizon


def _manifest(method: str) -> dict[str, Any]:
    band = {"level": 0.8, "weight_kg": [-0.5, 0.7], "fat_ratio_pct": [-0.2, 0.3]}
    return {
        "horizons": {str(h): {"method": method, "reason": f"why {h}", "interval": band}
                     for h in serve.HORIZONS_WEEKS},
        "rates": {"no_change": {"weight_kg": 0.0, "fat_ratio_pct": 0.0},
                  "mean_change": {"weight_kg": -0.1, "fat_ratio_pct": 0.02},
                  "trend": {"weight_kg": 0.2, "fat_ratio_pct": -0.05}},
    }


PREDICTOR = Predictor(FEATURES, TARGETS, [0.0] * 4, [1.0] * 4,
                      [[0.0] * 4, [10.0] * 4], [[-0.3, -0.1], [0.4, 0.2]], 1)


def test_the_model_answers_with_its_total_and_the_band_around_it():
    answer = serve.forecast(PREDICTOR, _manifest("model"), [9.0] * 4, 4)
    assert answer["method"] == "model" and answer["reason"] == "why 4"
    assert answer["per_week"] == {"weight_kg": 0.4, "fat_ratio_pct": 0.2}
    assert answer["total"] == {"weight_kg": 1.6, "fat_ratio_pct": 0.8}
    assert answer["interval"] == {"level": 0.8, "weight_kg": [1.1, 2.3],
                                  "fat_ratio_pct": [0.6, 1.1]}


def test_a_baseline_served_ignores_the_plan_and_says_why():
    hard = serve.forecast(PREDICTOR, _manifest("trend"), [9.0] * 4, 12)
    rest = serve.forecast(PREDICTOR, _manifest("trend"), [0.0] * 4, 12)
    assert hard == rest
    assert hard["method"] == "trend" and hard["reason"] == "why 12"
    assert hard["total"]["weight_kg"] == pytest.approx(2.4)


def test_a_horizon_between_backtested_ones_stretches_the_band_by_its_root():
    answer = serve.forecast(PREDICTOR, _manifest("no_change"), [0.0] * 4, 8)
    stretch = math.sqrt(8 / 12)
    assert answer["horizon_weeks"] == 12
    assert answer["interval"]["weight_kg"] == [round(-0.5 * stretch, 3), round(0.7 * stretch, 3)]


# --- the done-when: an athlete whose weight truly answers the plan -----------------------------

# RESPONSIVE gains 0.30 kg a week at rest and loses 0.012 kg per km and 0.05 kg per session:
# 37.5 km and 3 sessions a week is a loss of 0.30 kg a week.
HARD_KM, HARD_SESSIONS = 37.5, 3
TRUE_RATE_KG = {"hard": 0.30 - RESPONSIVE.kg_per_run_km * HARD_KM
                - RESPONSIVE.kg_per_session * HARD_SESSIONS, "rest": 0.30}
TRUE_FAT_RATE_PCT = {"hard": 0.2 + RESPONSIVE.fat_pct_per_run_km * HARD_KM
                     + RESPONSIVE.fat_pct_per_session * HARD_SESSIONS, "rest": 0.2}
WEEKS = 8


@pytest.fixture(scope="module")
def responsive(trained: train.Result, weeks) -> tuple[train.Result, dict[str, Any]]:
    from datetime import UTC, datetime

    return trained, train.manifest(trained, datetime(2025, 7, 2, tzinfo=UTC), 16)


def _plans(weeks) -> dict[str, list[float]]:
    # The hard plan at the pace and the lifting load this athlete trains at.
    used = [w for w in weeks if w.used and w.distance_km > 0]
    hours_per_km = float(np.median([w.duration_h / w.distance_km for w in used]))
    load_kg = float(np.median([w.avg_weight_kg for w in weeks if w.crossfit_sessions]))
    return {"hard": [HARD_KM, HARD_KM * hours_per_km, HARD_SESSIONS, load_kg],
            "rest": [0.0, 0.0, 0, 0.0]}


def test_the_rates_are_the_ones_the_issue_names():
    assert TRUE_RATE_KG["hard"] == pytest.approx(-0.30)
    assert TRUE_RATE_KG["rest"] == pytest.approx(0.30)


def test_eight_weeks_of_two_plans_recover_half_the_true_difference_inside_the_band(
        responsive, weeks):
    result, manifest = responsive
    answers = {name: serve.forecast(result.predictor, manifest, plan, WEEKS)
               for name, plan in _plans(weeks).items()}
    print({name: (a["method"], a["total"], a["interval"]) for name, a in answers.items()})
    for name, answer in answers.items():
        assert answer["method"] == "model", answer["reason"]
        truth = {"weight_kg": TRUE_RATE_KG[name] * WEEKS,
                 "fat_ratio_pct": TRUE_FAT_RATE_PCT[name] * WEEKS}
        for target in TARGETS:
            low, high = answer["interval"][target]
            assert low <= truth[target] <= high, (name, target, truth[target], low, high)
    true_gap = (TRUE_RATE_KG["rest"] - TRUE_RATE_KG["hard"]) * WEEKS
    found_gap = answers["rest"]["total"]["weight_kg"] - answers["hard"]["total"]["weight_kg"]
    assert found_gap >= true_gap / 2, (found_gap, true_gap)
