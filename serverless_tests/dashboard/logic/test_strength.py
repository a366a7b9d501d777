"""Strength: 1RM by rep range, PRs of three kinds with their dates, relative strength."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.logic import strength
from storage.records import LiftSet

D0 = date(2026, 10, 5)


def lift(day: int, reps: int, weight_kg: float, exercise: str = "Back squat",
         index: int = 1) -> LiftSet:
    return LiftSet(D0 + timedelta(days=day), exercise, index, reps, weight_kg, 2)


@pytest.mark.parametrize(("reps", "expected"), [
    (1, 100.0), (5, 100 * (1 + 5 / 30)), (10, 100 * (1 + 10 / 30)),
    (11, 100 * 36 / 26), (12, 100 * 36 / 25), (13, None), (20, None), (0, None),
])
def test_the_formula_follows_the_rep_range(reps, expected):
    got = strength.one_rm(100.0, reps)
    assert got == (None if expected is None else pytest.approx(expected))


def test_epley_and_brzycki_agree_below_ten_reps():
    for reps in range(2, 11):
        brzycki = 100 * 36 / (37 - reps)
        # within 4 %, equal at 10 reps
        assert strength.one_rm(100.0, reps) == pytest.approx(brzycki, rel=0.04)


SETS = [
    lift(0, 5, 100), lift(0, 5, 100, index=2),            # day 0: all three PRs
    lift(3, 1, 110),                                       # heaviest and e1RM (110 < 116.7: no)
    lift(7, 15, 80), lift(7, 15, 80, index=2),             # volume PR, no 1RM from 15 reps
    lift(10, 5, 105),                                      # e1RM PR 122.5
    lift(10, 3, 60, "Bench press"),
]


def test_prs_of_each_kind_are_marked_when_set():
    current, history = strength.records(strength.sessions(SETS, "Back squat"))
    assert current["heaviest"] == strength.Record("heaviest", 110, D0 + timedelta(days=3))
    assert current["e1rm"].value_kg == pytest.approx(122.5)
    assert current["e1rm"].day == D0 + timedelta(days=10)
    assert current["volume"] == strength.Record("volume", 2400, D0 + timedelta(days=7))
    assert [(r.kind, (r.day - D0).days) for r in history] == [
        ("heaviest", 0), ("e1rm", 0), ("volume", 0), ("heaviest", 3), ("volume", 7),
        ("e1rm", 10)]


def test_a_session_of_high_rep_sets_has_no_1rm_on_the_line():
    per = strength.sessions(SETS, "Back squat")
    assert [s.e1rm_kg is None for s in per] == [False, False, True, False]
    figure = strength.e1rm_figure(per, "Back squat", "metric")
    assert len(figure["data"][0]["y"]) == 3
    names = [t["name"] for t in figure["data"]]
    assert names == ["estimated 1RM", "PR: heaviest set", "PR: best estimated 1RM",
                     "PR: best volume"]


def test_the_pr_table_with_dates_and_relative_strength_in_the_owners_units():
    bodyweight = {D0: 80.0, D0 + timedelta(days=9): 70.0}
    rows = strength.pr_table(SETS, bodyweight, "imperial")
    assert [r["exercise"] for r in rows] == ["Back squat", "Bench press"]
    squat = rows[0]
    assert squat["heaviest set"].startswith("242.5 lb (") and "8 Oct 2026" in \
        squat["heaviest set"]
    assert squat["relative strength"] == f"{122.5 / 70:.2f} × bodyweight"
    assert strength.pr_table(SETS, {}, "metric")[0]["relative strength"] == "—"
