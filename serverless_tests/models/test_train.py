"""Training: k by time-ordered cross-validation, honest errors beside the naive baselines."""

from __future__ import annotations

import numpy as np
import pytest

from models import backtest, features, train
from models.features import TARGETS
from testkit.athlete import training_records, weeks_of


def test_cross_validated_error_beats_the_no_change_baseline(trained):
    # Reported, not tuned: pytest -s shows the figures.
    print(f"\nk={trained.k} cv_mae={trained.cv_mae} baselines={trained.baselines}")
    for target in TARGETS:
        assert trained.cv_mae[target] < trained.baselines["no_change"][target]
        assert trained.baselines["mean_change"][target] > 0


def test_held_out_final_quarter_beats_no_change(weeks):
    """Train on the first three quarters of the weeks, forecast the last quarter never seen."""
    used = [w for w in weeks if w.used]
    cut = len(used) * 3 // 4
    result = train.fit(used[:cut])
    x_test, y_test = train.arrays(used[cut:])
    model_mae = np.mean(np.abs(result.pipeline.predict(x_test) - y_test), axis=0)
    no_change_mae = np.mean(np.abs(y_test), axis=0)
    print(f"\nheld-out {len(used) - cut} weeks: model {model_mae} vs no change {no_change_mae}")
    assert all(model_mae < no_change_mae)


def test_without_any_relation_the_model_does_not_claim_to_beat_the_mean_by_much():
    """Shuffle the targets across weeks: training no longer explains anything, and the report
    must show it (the model is no better than predicting the mean change)."""
    data = training_records(weeks=130, seed=11)
    weeks = weeks_of(data)
    used = [w for w in weeks if w.used]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(used))
    shuffled = [
        features.Week(w.start, w.distance_km, w.duration_h, w.crossfit_sessions, w.avg_weight_kg,
                      used[j].weight_kg, used[j].fat_ratio_pct)
        for w, j in zip(used, order, strict=True)
    ]
    result = train.fit(shuffled)
    assert result.cv_mae["weight_kg"] > 0.9 * result.baselines["mean_change"]["weight_kg"]


def test_k_is_the_best_cross_validated_k(trained):
    assert trained.cv_by_k[trained.k] == min(trained.cv_by_k.values())
    assert 1 <= trained.k <= train.MAX_K


def test_the_final_model_is_fit_on_every_run_of_used_weeks(trained, weeks):
    used = [w for w in weeks if w.used]
    x, y, _ = backtest.rows(weeks)
    assert trained.weeks_used == len(used)
    np.testing.assert_array_equal(trained.x, x)
    np.testing.assert_array_equal(trained.y, y)
    # a left-out week ends every run it falls in
    left = sum(not w.used for w in weeks[backtest.WINDOW_WEEKS - 1:])
    assert len(used) - backtest.WINDOW_WEEKS * (left + 1) < len(x) < len(used)
    assert trained.weeks_left_out == len(weeks) - len(used)
    assert trained.first_week == used[0].start.isoformat()
    assert trained.pipeline[-1].n_neighbors == trained.k


def test_fewer_weeks_than_the_minimum_is_refused(weeks):
    used = [w for w in weeks if w.used]
    with pytest.raises(train.NotEnoughData) as caught:
        train.fit(used[:20], min_weeks=21)
    assert caught.value.weeks_used == 20
    assert "minimum is 21" in str(caught.value)
    # The absolute floor holds even when a smaller minimum is asked for.
    with pytest.raises(train.NotEnoughData):
        train.fit(used[: train.SMALLEST_MIN_WEEKS - 1], min_weeks=1)


def test_small_histories_limit_k_to_the_smallest_training_fold(weeks):
    used = [w for w in weeks if w.used][:16]
    result = train.fit(used, min_weeks=16)
    # 16 weeks in 5+1 parts: the first fold trains on 16 - 5 * 2 = 6 weeks.
    assert max(result.cv_by_k) == 6


def test_manifest_describes_the_model(trained):
    from datetime import UTC, datetime

    m = train.manifest(trained, datetime(2025, 1, 6, 4, 0, 1, tzinfo=UTC), 16)
    assert m["version"] == "20250106T040001Z"
    assert m["trained_at"] == "2025-01-06T04:00:01Z"
    assert [f["name"] for f in m["features"]] == list(features.FEATURES)
    for f, lo, hi in zip(m["features"], trained.x.min(axis=0), trained.x.max(axis=0), strict=True):
        assert f["min"] == pytest.approx(lo, abs=1e-4) and f["max"] == pytest.approx(hi, abs=1e-4)
    assert m["cv_mae"] == trained.cv_mae
    assert m["baseline_mae"] == trained.baselines["no_change"]
    assert set(m["baselines"]) == {"no_change", "mean_change"}
    assert {"python", "numpy", "scikit-learn"} <= set(m["libraries"])
    assert m["weeks_used"] == trained.weeks_used and m["k"] == trained.k
