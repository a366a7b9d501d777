"""The Eddington number on known lists of days."""

from __future__ import annotations

from analytics.eddington import eddington


def test_a_known_list() -> None:
    # Days of 10, 9, 8, 7, 6, 5 and 2: 5 days of at least 5, not 6 of at least 6.
    result = eddington([10, 9, 8, 7, 6, 5, 2])
    assert result.number == 5
    # For 6: six days of 6 or more; there are five (10, 9, 8, 7, 6).
    assert result.days_needed == 1
    assert result.next_step("km") == "1 more day of 6 km or more for 6"


def test_fractions_do_not_count_up() -> None:
    assert eddington([2.99, 2.99, 2.99]).number == 2
    assert eddington([3.0, 3.0, 3.0]).number == 3


def test_empty_and_nothing_long() -> None:
    assert eddington([]).number == 0
    assert eddington([]).days_needed == 1
    assert eddington([0.4, 0, -3]).number == 0


def test_the_next_step_counts_the_days_already_long_enough() -> None:
    result = eddington([31] * 28 + [30, 30, 30, 20])
    assert result.number == 30
    assert result.days_needed == 31 - 28
    assert result.next_step("km") == "3 more days of 31 km or more for 31"
