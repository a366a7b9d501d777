"""The backtest: held-out forecasts 1, 4 and 12 weeks ahead, time-ordered, against the baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from models import backtest, train
from models.backtest import Cell, Report
from models.features import TARGETS
from testkit.athlete import demo_training_records, weeks_of


def test_conformal_bounds_take_the_outward_ranks():
    # 99 residuals, 80 %: the 10th and 90th of 100 places, rounded outwards.
    low, high = backtest.conformal_bounds([float(v) for v in range(1, 100)], 0.8)
    assert (low, high) == (10.0, 90.0)
    assert backtest.conformal_bounds([3.0, 1.0, 2.0], 0.8) == (1.0, 3.0)


def test_conformal_bounds_hold_the_level_on_new_draws():
    rng = np.random.default_rng(3)
    low, high = backtest.conformal_bounds(list(rng.normal(0, 1, 400)), 0.8)
    fresh = rng.normal(0, 1, 20_000)
    assert 0.77 < np.mean((fresh >= low) & (fresh <= high)) < 0.85


def test_rows_are_run_means_and_a_left_out_week_breaks_them(weeks):
    x, y, ends = backtest.rows(weeks, 3)
    first = int(ends[0])
    run = weeks[first - 2: first + 1]
    assert all(w.used for w in run)
    np.testing.assert_allclose(x[0], np.mean([w.features for w in run], axis=0))
    np.testing.assert_allclose(y[0], np.mean([w.targets for w in run], axis=0))
    gap = replace(weeks[first + 1], weight_kg=None, left_out="fewer than 3 days")
    broken = [*weeks[: first + 1], gap, *weeks[first + 2:]]
    _, _, broken_ends = backtest.rows(broken, 3)
    assert not {first + 1, first + 2, first + 3} & set(broken_ends.tolist())
    assert first in broken_ends and first + 4 in broken_ends


def test_trend_rate_is_the_slope_of_the_known_levels():
    levels = np.array([[80.0, 20.0], [np.nan, 19.9], [79.0, 19.8], [78.5, np.nan]])
    slopes = backtest.trend_rate(levels)
    assert slopes[0] == pytest.approx(np.polyfit([0, 2, 3], [80.0, 79.0, 78.5], 1)[0])
    assert slopes[1] == pytest.approx(-0.1)
    assert list(backtest.trend_rate(levels[:2])) == [0.0, 0.0]  # too few points: no trend


def _run(weeks):
    return backtest.run(weeks, train._k_only, min_train_weeks=16)


def test_no_forecast_sees_the_weeks_after_its_origin(weeks):
    """Change the last year beyond recognition: every forecast whose truth was known before it
    keeps the same residual, whatever the method (nothing later leaked into it)."""
    cut = len(weeks) - 52
    later = [replace(w, distance_km=w.distance_km * 3 + 40, crossfit_sessions=0,
                     weight_kg=None if w.weight_kg is None else w.weight_kg + 1.0,
                     weight_mean_kg=None if w.weight_mean_kg is None else w.weight_mean_kg + 9)
             for w in weeks[cut:]]
    before, after = _run(weeks), _run([*weeks[:cut], *later])
    compared = 0
    for h in backtest.HORIZONS_WEEKS:
        for method in backtest.METHODS:
            for target in TARGETS:
                old, new = before.cells[h][method][target], after.cells[h][method][target]
                kept = [r for r, o in zip(old.residuals, old.origins, strict=True) if o + h < cut]
                same = [r for r, o in zip(new.residuals, new.origins, strict=True) if o + h < cut]
                assert kept == same
                compared += len(kept)
    assert compared > 1000
    # and the changed year does change what was forecast into it
    assert before.cells[4]["model"]["weight_kg"].residuals != \
        after.cells[4]["model"]["weight_kg"].residuals


def test_every_horizon_is_scored_for_every_method_with_a_measured_coverage(weeks):
    report = _run(weeks)
    assert report.origins > 80
    for h in backtest.HORIZONS_WEEKS:
        for method in backtest.METHODS:
            for target in TARGETS:
                cell = report.cells[h][method][target]
                assert len(cell.errors) == len(cell.residuals) > 40
                assert 0 < cell.judged < len(cell.errors)
    for h in backtest.HORIZONS_WEEKS:
        for target in TARGETS:
            assert 0.7 < report.coverage(h, "model")[target] < 0.9, (h, target)
    # errors grow with the horizon for the baseline that assumes nothing
    no_change = [report.mae(h, "no_change")["weight_kg"] for h in backtest.HORIZONS_WEEKS]
    assert no_change == sorted(no_change)


def _report(maes: dict[str, dict[str, float]], n: int = 30) -> Report:
    cells = {h: {m: {t: Cell(errors=[maes[m][t]] * n) for t in TARGETS}
                 for m in backtest.METHODS} for h in backtest.HORIZONS_WEEKS}
    return Report(cells, n)


def test_the_model_is_served_only_where_it_beats_every_baseline_on_every_target():
    wins = {"model": {"weight_kg": 0.3, "fat_ratio_pct": 0.2},
            "no_change": {"weight_kg": 0.5, "fat_ratio_pct": 0.4},
            "mean_change": {"weight_kg": 0.4, "fat_ratio_pct": 0.3},
            "trend": {"weight_kg": 0.9, "fat_ratio_pct": 0.6}}
    assert backtest.decide(_report(wins), 4).method == "model"
    loses = {**wins, "mean_change": {"weight_kg": 0.4, "fat_ratio_pct": 0.15}}
    decision = backtest.decide(_report(loses), 4)
    assert decision.method == "mean_change"
    assert "did not beat mean_change on fat_ratio_pct" in decision.reason
    assert "0.200 vs 0.150" in decision.reason and "mean_change is served" in decision.reason


def test_too_few_held_out_forecasts_serve_no_change_and_say_so():
    maes = {m: {t: 0.1 for t in TARGETS} for m in backtest.METHODS}
    decision = backtest.decide(_report(maes, n=5), 12)
    assert decision.method == "no_change" and "only 5 held-out forecasts 12 weeks" in \
        decision.reason


def test_adaptive_level_moves_against_the_misses():
    cell = Cell(hits=[(o, False) for o in range(5)])
    assert cell.level_at(20, 4, 0.8) == pytest.approx(0.8 + backtest.ADAPT_RATE * 5 * 0.8)
    held = Cell(hits=[(o, True) for o in range(5)])
    assert held.level_at(20, 4, 0.8) == pytest.approx(0.8 - backtest.ADAPT_RATE * 5 * 0.2)
    # outcomes not yet known at the origin move nothing
    assert cell.level_at(5, 4, 0.8) == pytest.approx(0.8 + backtest.ADAPT_RATE * 2 * 0.8)
    # and the level stays a level
    assert Cell(hits=[(o, False) for o in range(500)]).level_at(600, 4, 0.8) == 0.99


@pytest.fixture(scope="module")
def demo() -> train.Result:
    return train.fit(weeks_of(demo_training_records(end=date(2025, 7, 2))))


def test_on_the_demo_athlete_the_model_beats_every_baseline_at_4_and_12_weeks(demo):
    print("\n" + "\n".join(backtest.table(demo.backtest)))
    for h in (4, 12):
        model = demo.backtest.mae(h, "model")
        for baseline in backtest.BASELINES:
            for target in TARGETS:
                assert model[target] < demo.backtest.mae(h, baseline)[target], (h, baseline)
        assert demo.horizons[str(h)]["method"] == "model"


def test_on_the_demo_athlete_the_80_percent_intervals_hold_80_percent(demo):
    for h in backtest.HORIZONS_WEEKS:
        for target in TARGETS:
            assert 0.75 <= demo.backtest.coverage(h, "model")[target] <= 0.85, (h, target)
