"""dashboard.prefs: the viewer's own units and zone, else the configured defaults."""

from __future__ import annotations

from typing import Any

import pytest

from core import localtime
from dashboard import prefs
from dashboard.auth import users
from dashboard.auth.users import UserError
from dashboard.prefs import Prefs
from serverless_tests.dashboard.conftest import reconfigure


def test_outside_a_request_metric_and_utc() -> None:
    assert prefs.current_prefs() == Prefs("metric", localtime.UTC_ZONE)


def test_a_user_s_choice_wins_over_the_defaults() -> None:
    chosen = prefs.resolve({"units": "imperial", "timezone": "Asia/Kolkata"}, "metric", "UTC")
    assert chosen == Prefs("imperial", localtime.zone("Asia/Kolkata"))
    kept = prefs.resolve({"units": "", "timezone": ""}, "imperial", "America/Los_Angeles")
    assert kept == Prefs("imperial", localtime.zone("America/Los_Angeles"))


def test_a_stored_choice_the_code_no_longer_knows_falls_back() -> None:
    odd = prefs.resolve({"units": "cubits", "timezone": "Gone/Zone"}, "imperial", "Europe/Paris")
    assert odd == Prefs("imperial", localtime.zone("Europe/Paris"))


def test_set_prefs_is_kept_with_the_user_and_checked(store: Any) -> None:
    users.set_prefs(store, "viewer", units="imperial", timezone="America/St_Johns")
    assert users.prefs_of(users.get(store, "viewer")) == ("imperial", "America/St_Johns")
    users.set_prefs(store, "viewer", timezone="")
    assert users.prefs_of(users.get(store, "viewer")) == ("imperial", "")
    with pytest.raises(Exception, match="metric, imperial"):
        users.set_prefs(store, "viewer", units="stone-age")
    with pytest.raises(Exception, match="IANA"):
        users.set_prefs(store, "viewer", timezone="Nowhere/Land")
    with pytest.raises(UserError, match="no user"):
        users.set_prefs(store, "ghost", units="metric")
    # The password and sessions are untouched by a change of units.
    assert users.verify(store, "viewer", "correct horse battery") is not None


def test_in_a_request_the_signed_in_user_s_choice(server: Any, client: Any,
                                                  store: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    reconfigure(server, monkeypatch, units="metric", timezone="Europe/Paris")
    with client:  # the request's context stays open after it, as inside a callback
        client.get("/reports.json")
        assert prefs.current_prefs() == Prefs("metric", localtime.zone("Europe/Paris"))
    with client:
        client.get("/reports.json")
        prefs.choose("imperial", "America/Los_Angeles")
        assert users.prefs_of(users.get(store, "owner")) == ("imperial", "America/Los_Angeles")
    with client:
        client.get("/reports.json")
        assert prefs.current_prefs() == Prefs("imperial", localtime.zone("America/Los_Angeles"))
