"""The body trend: TrendWeight's smoothing, rates over 2/4/8 weeks, fat and lean mass."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from dashboard.logic import trend

DAY0 = date(2026, 1, 5)


def test_days_are_the_owners_local_days():
    late = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)  # 21:00 on the 5th in Los Angeles
    la = ZoneInfo("America/Los_Angeles")
    assert trend.daily_means([(late, 80.0), (late + timedelta(hours=1), 81.0)], la) == \
        {date(2026, 1, 5): 80.5}
    assert list(trend.daily_means([(late, 80.0)], ZoneInfo("UTC"))) == [date(2026, 1, 6)]


def test_each_day_moves_a_tenth_of_the_way_and_a_gap_keeps_the_trend():
    daily = {DAY0: 80.0, DAY0 + timedelta(days=1): 81.0, DAY0 + timedelta(days=3): 79.0}
    smoothed = trend.smooth(daily)
    assert smoothed[DAY0] == 80.0
    assert smoothed[DAY0 + timedelta(days=1)] == pytest.approx(80.1)
    assert smoothed[DAY0 + timedelta(days=2)] == pytest.approx(80.1)
    assert smoothed[DAY0 + timedelta(days=3)] == pytest.approx(80.1 + 0.1 * (79.0 - 80.1))


def _line(rate_per_week: float, days: int, noise: float = 0.0, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {DAY0 + timedelta(days=d): 80 + rate_per_week * d / 7 + rng.normal(0, noise)
            for d in range(days)}


def test_rates_recover_a_steady_loss_through_scale_noise():
    daily = _line(-0.5, 120, noise=0.4)
    smoothed = trend.smooth(daily)
    rates = trend.rates(smoothed, daily)
    assert set(rates) == {2, 4, 8}
    assert rates[8] == pytest.approx(-0.5, abs=0.12)
    assert rates[4] == pytest.approx(-0.5, abs=0.25)


def test_a_rate_needs_weigh_ins_on_half_its_days():
    daily = {d: v for d, v in _line(0.3, 60).items() if d.day % 3 == 0}
    smoothed = trend.smooth(daily)
    assert trend.weekly_rate(smoothed, 4, daily) is None
    assert trend.weekly_rate(smoothed, 4) is not None  # every trend day counted as weighed


def test_fat_and_lean_mass_split_the_weight():
    fat, lean = trend.composition({DAY0: 80.0, DAY0 + timedelta(days=1): 81.0}, {DAY0: 20.0})
    assert fat == {DAY0: 16.0} and lean == {DAY0: 64.0}
