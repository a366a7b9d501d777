"""dashboard/logic/overview.py: what the overview asks the owner to look at first."""

from __future__ import annotations

from dashboard.logic.overview import attention


def test_a_revoked_provider_and_a_crashing_process_are_named() -> None:
    notes = attention(
        {"strava": {"state": "deauthorized", "message": "Strava access was revoked: run "
                    "`python -m collectors connect strava` to reconnect"},
         "withings": {"state": "connected"}},
        {"api": {"state": "restarting", "last_exit_code": 1, "restarts": 3},
         "dashboard": {"state": "running"}})
    assert notes == [
        "Strava access was revoked: run `python -m collectors connect strava` to reconnect",
        "The api process ended with exit code 1 and is being restarted (3 restarts so far; "
        "see logs/api.log).",
    ]


def test_nothing_to_say_when_all_is_well() -> None:
    assert attention({}, {"api": {"state": "running"}}) == []
    assert "connect withings" in attention({"withings": {"state": "deauthorized"}}, {})[0]
