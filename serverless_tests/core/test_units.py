"""core.units: SI to metric or imperial and back, rounded as a person expects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import units
from core.units import UnitsError


def test_the_issue_s_reading_81_kg_reads_178_6_lb() -> None:
    assert units.fmt(81.0, "weight", "imperial") == "178.6 lb"
    assert units.fmt(81.0, "weight", "metric") == "81.0 kg"


def test_labels_and_factors() -> None:
    assert units.label("distance", "imperial") == "mi"
    assert units.label("speed", "metric") == "km/h"
    assert units.label("elevation", "imperial") == "ft"
    assert units.factor("distance", "metric") == pytest.approx(0.001)
    assert units.factor("speed", "imperial") == pytest.approx(2.2369363, rel=1e-7)
    assert units.factor("weight", "imperial") == pytest.approx(2.2046226, rel=1e-7)


def test_distance_to_a_hundredth() -> None:
    assert units.fmt(10_000, "distance", "metric") == "10.00 km"
    assert units.fmt(10_000, "distance", "imperial") == "6.21 mi"
    assert units.fmt(1609.344, "distance", "imperial") == "1.00 mi"


def test_weight_steps_are_a_tenth_of_a_kg_and_a_fifth_of_a_lb() -> None:
    # 80.04 kg is 176.457 lb: the nearest 0.2 lb is 176.4, not 176.5.
    assert units.fmt(80.04, "weight", "imperial") == "176.4 lb"
    assert units.fmt(80.04, "weight", "metric") == "80.0 kg"


def test_lifted_weights_drop_a_needless_decimal() -> None:
    assert units.fmt(units.from_display(225, "lifted", "imperial"), "lifted",
                     "imperial") == "225 lb"
    assert units.fmt(102.5, "lifted", "metric") == "102.5 kg"


def test_pace_is_minutes_and_seconds_per_km_or_mile() -> None:
    assert units.fmt_pace(312, "metric") == "5:12 /km"
    # 312 s/km is 502.1 s/mi: 8:22.
    assert units.fmt_pace(312, "imperial") == "8:22 /mi"
    # 59.6 s rounds to the next minute, never "4:60".
    assert units.fmt_pace(299.6, "metric") == "5:00 /km"
    assert units.fmt_pace(None, "metric") == "—"
    assert units.fmt_pace(0, "metric") == "—"


def test_no_value_shows_a_dash_and_stays_none() -> None:
    assert units.fmt(None, "weight", "imperial") == "—"
    assert units.to_display(None, "distance", "imperial") is None
    assert units.to_display(float("nan"), "distance", "imperial") is None


def test_stone() -> None:
    assert units.fmt_stone(81.0) == "12 st 10.6 lb"


def test_unknown_units_and_quantities_say_what_is_known() -> None:
    with pytest.raises(UnitsError, match="metric, imperial"):
        units.fmt(1.0, "weight", "furlongs")
    with pytest.raises(UnitsError, match="quantity 'mass'.*weight"):
        units.factor("mass", "metric")
    with pytest.raises(UnitsError, match="not a number"):
        units.from_display(float("inf"), "weight", "imperial")


def _on_grid(quantity: str, u: str, n: int) -> float:
    return round(n * units.step(quantity, u), 2)


@given(st.sampled_from(units.QUANTITIES), st.sampled_from(units.UNITS),
       st.integers(min_value=0, max_value=2_000_000))
def test_a_value_typed_and_shown_again_is_the_same_value(quantity: str, u: str, n: int) -> None:
    typed = _on_grid(quantity, u, n)
    stored_si = units.from_display(typed, quantity, u)
    assert units.rounded(stored_si, quantity, u) == pytest.approx(typed, abs=1e-9)
    shown = units.fmt(stored_si, quantity, u)
    number, label = shown.rsplit(" ", 1)
    assert label == units.label(quantity, u)
    assert float(number) == pytest.approx(typed, abs=1e-9)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False),
       st.sampled_from(units.QUANTITIES), st.sampled_from(units.UNITS))
def test_the_shown_value_is_within_half_a_step_of_the_truth(value_si: float, quantity: str,
                                                            u: str) -> None:
    shown = units.rounded(value_si, quantity, u)
    exact = units.to_display(value_si, quantity, u)
    assert exact is not None
    assert abs(shown - exact) <= units.step(quantity, u) / 2 + 1e-6 * max(1.0, exact)


@given(st.floats(min_value=60, max_value=3600, allow_nan=False), st.sampled_from(units.UNITS))
def test_pace_seconds_are_always_under_sixty(seconds_per_km: float, u: str) -> None:
    text = units.fmt_pace(seconds_per_km, u)
    minutes, rest = text.split(" ")[0].split(":")
    assert 0 <= int(rest) < 60
    assert abs(int(minutes) * 60 + int(rest) - units.pace_s(seconds_per_km, u)) <= 0.5
