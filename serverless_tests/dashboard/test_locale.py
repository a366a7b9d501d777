"""The owner's zone and units on the overview: the issue's weigh-in, its day and week, in lb."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dashboard import data
from dashboard.auth import users
from dashboard.config import DashboardConfig
from serverless_tests.dashboard.conftest import PASSWORD, login
from storage import Activity, LiftSet, Measurement
from testkit.dashcalls import call

WEIGH_IN = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)  # 22:30 on the 29th in Los Angeles


def _records() -> list[Any]:
    def weight(moment: datetime, kg: float, ident: str) -> Measurement:
        return Measurement(moment, "weight_kg", kg, "withings", ident,
                           timezone="America/Los_Angeles")

    return [
        # Monday 23 Nov (local) and the Sunday evening that closes the same local week.
        weight(datetime(2026, 11, 23, 16, 0, tzinfo=UTC), 82.0, "g1"),
        # 29 Nov 08:00 local: the same local day as the evening weigh-in.
        weight(datetime(2026, 11, 29, 16, 0, tzinfo=UTC), 81.4, "g2"),
        weight(WEIGH_IN, 81.0, "g3"),
        Activity("r1", "strava", datetime(2026, 11, 28, 17, 0, tzinfo=UTC), "Run",
                 distance_m=10_000, moving_time_s=3120, elevation_gain_m=100,
                 timezone="America/Los_Angeles"),
        Activity("r2", "strava", datetime(2026, 11, 29, 17, 0, tzinfo=UTC), "Run",
                 distance_m=5_000, moving_time_s=1560, elevation_gain_m=30),
        LiftSet(date(2026, 11, 29), "Back squat", 1, 5, 102.058, 2),
    ]


@pytest.fixture
def make_client(dash_env: None, config: DashboardConfig) -> Any:
    s = data.store_for(config)
    s.put(_records())
    users.add(s, "owner", PASSWORD, "owner")
    data.clear_cache()

    def make(**changes: Any) -> Any:
        from dashboard.app import create_app

        client = create_app(replace(config, **changes)).test_client()
        assert login(client).status_code == 302
        return client

    return make


def _overview(client: Any) -> str:
    deps = client.get("/_dash-dependencies").get_json()
    status, out = call(client, deps, "overview-content.children", {})
    assert status == 200
    return json.dumps(out, ensure_ascii=False)


def test_los_angeles_and_imperial(make_client: Any) -> None:
    text = _overview(make_client(timezone="America/Los_Angeles", units="imperial"))
    assert "on 29 Nov 2026, 22:30 PST" in text
    assert "178.6 lb" in text
    # The evening weigh-in shares its local day with the morning one and its local week
    # (Mon 23 - Sun 29 Nov) with Monday's: (81.4 + 81.0) / 2 and (82.0 + 81.4 + 81.0) / 3.
    assert "day mean 179.0 lb" in text
    assert "week of 23 Nov 2026: mean 179.6 lb (3)" in text
    assert "Distance (mi)" in text and "Elevation gain (ft)" in text
    assert "weight (lb)" in text and "225" in text
    assert "UTC" not in text.replace("UTC+", "")  # no bare UTC when the zone is not UTC


def test_kolkata_and_metric(make_client: Any) -> None:
    text = _overview(make_client(timezone="Asia/Kolkata", units="metric"))
    assert "on 30 Nov 2026, 12:00 IST" in text
    assert "81.0 kg" in text
    # In Kolkata the last weigh-in is alone on 30 Nov, a Monday: a new week.
    assert "day mean 81.0 kg" in text and "week of 30 Nov 2026: mean 81.0 kg (1)" in text
    assert "Distance (km)" in text


def test_a_user_s_own_choice_wins(make_client: Any, config: DashboardConfig) -> None:
    users.set_prefs(data.store_for(config), "owner", units="imperial", timezone="Asia/Kolkata")
    text = _overview(make_client(timezone="America/Los_Angeles", units="metric"))
    assert "30 Nov 2026, 12:00 IST" in text and "178.6 lb" in text


def test_the_cloud_s_utc_stand_in_is_said(make_client: Any) -> None:
    text = _overview(make_client(timezone="UTC", timezone_defaulted=True))
    assert "overview-zone-note" in text and "PULSEBOARD_TIMEZONE" in text
    chosen = _overview(make_client(timezone="UTC", timezone_defaulted=False))
    assert "overview-zone-note" not in chosen


def test_the_navbar_chooser_keeps_the_choice_with_the_user(make_client: Any,
                                                          config: DashboardConfig) -> None:
    client = make_client(timezone="UTC", units="metric")
    page = client.get("/").get_data(as_text=True)
    assert client.get("/").status_code == 200 and page
    deps = client.get("/_dash-dependencies").get_json()
    status, out = call(client, deps, "app-prefs-saved.data",
                       {"app-units.value": "imperial", "app-zone.value": "America/St_Johns"})
    assert status == 200
    assert out["app-prefs-saved.data"] == {"units": "imperial", "zone": "America/St_Johns"}
    store = data.store_for(config)
    assert users.prefs_of(users.get(store, "owner")) == ("imperial", "America/St_Johns")
    assert "on 30 Nov 2026, 03:00 NST" in _overview(client) and "178.6 lb" in _overview(client)
    # A zone the chooser never offers changes nothing.
    status, out = call(client, deps, "app-prefs-saved.data",
                       {"app-units.value": "metric", "app-zone.value": "Mars/Base"})
    assert status == 204 or out == {}
    assert users.prefs_of(users.get(store, "owner")) == ("imperial", "America/St_Johns")


def test_explore_days_are_local_and_columns_carry_the_viewer_s_units() -> None:
    import pandas as pd

    from core import localtime
    from dashboard.logic import explore

    weights = pd.DataFrame({"time": pd.to_datetime([m.time for m in _records()[:3]], utc=True),
                            "value": [82.0, 81.4, 81.0]})
    la = explore.measurements_table({"weight_kg": weights}, "imperial",
                                    localtime.zone("America/Los_Angeles"))
    assert la["name"].tolist() == ["2026-11-23", "2026-11-29"]
    assert la["weekday"].tolist() == ["Monday", "Sunday"]
    assert la["weight_lb"].round(1).tolist() == [180.8, 179.0]
    kolkata = explore.measurements_table({"weight_kg": weights}, "metric",
                                         localtime.zone("Asia/Kolkata"))
    assert kolkata["name"].tolist() == ["2026-11-23", "2026-11-29", "2026-11-30"]
    runs = data.runs_frame([r for r in _records() if isinstance(r, Activity)])
    table = explore.activities_table(runs, "imperial", localtime.zone("America/Los_Angeles"))
    assert table["distance_mi"].round(2).tolist() == [6.21, 3.11]
    assert {"elevation_gain_ft", "average_speed_mph"} <= set(table.columns)
    assert table["start_time"].iloc[0].strftime("%H:%M %Z") == "09:00 PST"
    assert explore.label("average_speed_mph") == "average speed (mph)"


def test_quality_says_which_unit_the_sheet_was_read_in(make_client: Any,
                                                       config: DashboardConfig) -> None:
    from collectors.common import dumps

    store = data.store_for(config)
    store.set_cursor("sheets", dumps({"rows": 1, "weight_unit": "lb",
                                      "weight_unit_reason": "the weight_lb column"}))
    from storage import Rejected

    store.put([Rejected("sheets", "row 3", "reps 'x' is not a whole number", "[]",
                        datetime(2026, 11, 30, 6, 30, tzinfo=UTC))])
    data.clear_cache()
    client = make_client(timezone="America/Los_Angeles")
    deps = client.get("/_dash-dependencies").get_json()
    status, out = call(client, deps, "quality-content.children", {})
    text = json.dumps(out)
    assert status == 200
    assert "read in lb (the weight_lb column)" in text
    assert "29 Nov 2026, 22:30 PST" in text


def test_a_picked_range_of_days_is_the_viewer_s_local_days() -> None:
    from core import localtime

    la = localtime.zone("America/Los_Angeles")
    low, high = data.local_day_bounds("2026-11-29", "2026-11-29", la)
    assert (low, high) == (datetime(2026, 11, 29, 8, tzinfo=UTC),
                           datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert low is not None and high is not None and low <= WEIGH_IN < high
    # Fall back: 1 Nov 2026 in Los Angeles is 25 hours long.
    low, high = data.local_day_bounds("2026-11-01", "2026-11-01", la)
    assert low is not None and high is not None
    assert (high - low).total_seconds() == 25 * 3600
    assert data.date_bounds("2026-11-29", "2026-11-29") == (date(2026, 11, 29), date(2026, 11, 30))


def test_local_day_and_week_columns() -> None:
    import pandas as pd

    from core import localtime

    frame = pd.DataFrame({"time": pd.to_datetime([WEIGH_IN, datetime(2026, 11, 30, 8, 0,
                                                                     tzinfo=UTC)], utc=True)})
    out = data.with_local_day(frame, tz=localtime.zone("America/Los_Angeles"))
    assert [d.date() for d in out["day"]] == [date(2026, 11, 29), date(2026, 11, 30)]
    assert [w.date() for w in out["week"]] == [date(2026, 11, 23), date(2026, 11, 30)]
    assert data.with_local_day(frame.iloc[:0], tz=localtime.UTC_ZONE).columns.tolist() == \
        ["time", "day", "week"]


def test_the_run_comparison_rounds_as_a_person_expects() -> None:
    from dashboard.logic import overview

    runs = data.runs_frame([r for r in _records() if isinstance(r, Activity)])
    rows = {r["metric"]: r for r in overview.run_comparison(runs, "imperial") or []}
    assert rows["Elevation gain (ft)"]["last"] == 98.0  # 30 m, whole feet
    assert rows["Distance (mi)"]["last"] == 3.11
    assert rows["Average speed (mph)"]["last"] == 7.2


def test_stone_for_those_who_weigh_themselves_so(make_client: Any,
                                                 config: DashboardConfig) -> None:
    client = make_client(timezone="Europe/London", units="metric")
    deps = client.get("/_dash-dependencies").get_json()
    status, _ = call(client, deps, "app-prefs-saved.data",
                     {"app-units.value": "stone", "app-zone.value": "Europe/London"})
    assert status == 200
    text = _overview(client)
    assert "12 st 10.6 lb" in text  # 81.0 kg
    assert users.get(data.store_for(config), "owner")["weight_in_stone"] is True
    assert "Distance (mi)" in text
