"""The reliability trials, reduced, inside `make test`: every run must end without a failure."""

from __future__ import annotations

import pytest

from testkit.reliability.trials import load_all

TRIALS = load_all()


@pytest.mark.parametrize("name", list(TRIALS))
def test_trial_has_no_failures(name: str) -> None:
    t = TRIALS[name]
    outcome = t.run(t.quick_runs)
    assert outcome.runs >= 1
    assert outcome.failures == 0, f"{name}: {outcome.figure}\n" + "\n".join(outcome.problems)
