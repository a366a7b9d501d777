"""Every page in headless Chromium in Los Angeles + imperial and in Kolkata + metric."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from core import localtime, units
from dashboard.config import DashboardConfig
from serverless_tests.browser import chromium
from serverless_tests.dashboard.conftest import PASSWORD
from serverless_tests.dashboard.test_browser import (
    CSP_LISTENER,
    PAGES,
    SHOTS,
    css,
    drawn,
    figure,
    idle,
    pick,
    refused_by_policy,
    wait,
)
from storage import Activity, Measurement
from testkit.athlete import dashboard_records, load

pytestmark = pytest.mark.browser

LOCALES = [("America/Los_Angeles", "imperial"), ("Asia/Kolkata", "metric")]
# The weigh-in, newer than the athlete's: 22:30 on 29 Nov in Los Angeles.
WEIGH_IN = Measurement(datetime(2026, 11, 30, 6, 30, tzinfo=UTC), "weight_kg", 81.0, "withings",
                       "issue-15", timezone="America/Los_Angeles")
# Two runs, each on its own zone's clock: 22:00 PST on 29 Nov (06:00 UTC on 30 Nov, so 11:30 IST
# on the 30th for a viewer in Kolkata) and 06:30 IST on 27 Nov.
RUN_LA = Activity(id="issue-la", source="strava",
                  start_time=datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
                  sport_type="Run", name="Pacific Evening", distance_m=10000.0, moving_time_s=3000,
                  elevation_gain_m=50.0, average_speed_mps=10000 / 3000,
                  timezone="America/Los_Angeles", utc_offset_s=-8 * 3600)
RUN_IN = Activity(id="issue-in", source="strava",
                  start_time=datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
                  sport_type="Run", name="Kolkata Dawn", distance_m=5000.0, moving_time_s=1500,
                  elevation_gain_m=10.0, average_speed_mps=5000 / 1500,
                  timezone="Asia/Kolkata", utc_offset_s=19800)
SHOWN = {
    "America/Los_Angeles": ("29 Nov 2026, 22:30 PST", "178.6 lb"),
    "Asia/Kolkata": ("30 Nov 2026, 12:00 IST", "81.0 kg"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        yield driver


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> DashboardConfig:
    from dashboard import data
    from dashboard.auth import users

    url = f"sqlite:///{tmp_path_factory.mktemp('browser-locale') / 'store.db'}"
    made = DashboardConfig(store_url=url, secret_key="test-secret-key-0123456789abcdef")
    store = data.store_for(made)
    # The athlete's 200 days end a week before the weigh-in, so it is the newest.
    load(store, dashboard_records(days=200, seed=3, end=datetime(2026, 11, 23).date()))
    store.put([WEIGH_IN, RUN_LA, RUN_IN])
    users.add(store, "owner", PASSWORD, "owner")
    data.clear_cache()
    return made


@pytest.fixture(scope="module")
def base_url(config: DashboardConfig) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    http = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


@pytest.fixture(params=LOCALES, ids=["los_angeles-imperial", "kolkata-metric"])
def locale(request: pytest.FixtureRequest, config: DashboardConfig, base_url: str,
           browser: Any) -> tuple[str, str]:
    """The dashboard's defaults set to this zone and units (one Dash app per process: its
    config is swapped), and an owner signed in."""
    from dashboard.app import create_app

    zone, chosen = request.param
    create_app(replace(config, timezone=zone, units=chosen))
    if not browser.get_cookie("pulseboard_session"):
        browser.get(base_url + "/")
        wait(browser, lambda d: css(d, "#username"))
        css(browser, "#username")[0].send_keys("owner")
        css(browser, "#password")[0].send_keys(PASSWORD)
        css(browser, "#login-submit")[0].click()
        wait(browser, lambda d: css(d, "#app-navbar"))
    return zone, chosen


def _open(browser: Any, base_url: str, path: str) -> None:
    browser.get(base_url + path)
    wait(browser, lambda d: css(d, "#app-navbar") and css(d, ".page-title"))
    idle(browser)
    # The ids, read at once by script: an element looked up and read later may have been
    # redrawn meanwhile (stale).
    ids = browser.execute_script(
        "return [...document.querySelectorAll('.dash-graph')].map(g => g.id);")
    for graph_id in ids:
        drawn(browser, graph_id, has_data=False)
    assert not css(browser, ".dash-fe-error__title"), "Dash reported a callback error"
    assert not css(browser, "#app-error .alert"), "a callback failed"
    assert refused_by_policy(browser) == []


def _shot(browser: Any, locale: tuple[str, str], path: str) -> None:
    name = locale[0].split("/")[-1].lower()
    browser.save_screenshot(str(SHOTS / f"locale-{name}-{locale[1]}-"
                                        f"{path.strip('/') or 'overview'}.png"))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(browser: Any, base_url: str, locale: tuple[str, str],
                            path: str) -> None:
    _open(browser, base_url, path)
    _shot(browser, locale, path)


def test_overview_shows_the_weigh_in_on_the_local_clock_in_the_viewer_s_units(
    browser: Any, base_url: str, locale: tuple[str, str],
) -> None:
    zone, chosen = locale
    _open(browser, base_url, "/")
    when, weight = SHOWN[zone]
    assert css(browser, "#overview-weight_kg")[0].text == weight
    assert css(browser, "#overview-weight_kg-time")[0].text == f"on {when}"
    runs = css(browser, "#overview-runs")[0].text
    assert f"Distance ({units.label('distance', chosen)})" in runs
    lifts = css(browser, "#overview-lifts")[0].text
    assert f"weight ({units.label('lifted', chosen)})" in lifts
    # The navbar offers the choice, showing what is in force now.
    assert zone in css(browser, "#app-zone")[0].text
    assert ("lb" if chosen == "imperial" else "kg") in css(browser, "#app-units")[0].text


def test_explore_and_quality_in_the_viewer_s_units_and_zone(
    browser: Any, base_url: str, locale: tuple[str, str],
) -> None:
    zone, chosen = locale
    _open(browser, base_url, "/explore")
    pick(browser, "explore-dataset", "Body measurements")
    wait(browser, lambda d: "weight" in css(d, "#explore-field")[0].text)
    field = css(browser, "#explore-field")[0].text
    assert f"({units.label('weight', chosen)})" in field or "fat ratio" in field
    idle(browser)
    _shot(browser, locale, "explore-measurements")
    _open(browser, base_url, "/quality")
    table = css(browser, "#quality-table")[0].text
    abbreviation = localtime.abbreviation(WEIGH_IN.time, localtime.zone(zone))
    assert abbreviation in table and " UTC" not in table


def test_the_navbar_choice_redraws_the_page_in_the_other_units(
    browser: Any, base_url: str, locale: tuple[str, str], config: DashboardConfig,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException

    from dashboard import data
    from dashboard.auth import sessions, users

    zone, chosen = locale
    # Each locale switches to the other units: imperial → kg, metric → lb.
    other, label, shown = (("metric", "kg", "81.0 kg") if chosen == "imperial"
                           else ("imperial", "lb", "178.6 lb"))
    _open(browser, base_url, "/")
    pick(browser, "app-units", label)

    def reads_other(d: Any) -> bool:
        # The page reloads under the check: an element may vanish between two looks.
        try:
            return css(d, "#overview-weight_kg")[0].text == shown
        except (IndexError, StaleElementReferenceException):
            return False

    wait(browser, reads_other)
    idle(browser)
    _shot(browser, locale, f"overview-after-choosing-{label}")
    store = data.store_for(config)
    assert users.prefs_of(users.get(store, "owner")) == (other, zone)
    users.set_prefs(store, "owner", units="", timezone="")  # back to the defaults
    with sessions._records_lock:
        sessions._records.clear()


def _set_props(browser: Any, element_id: str, props: dict[str, Any]) -> None:
    """Sets a component's props through Dash's renderer, as a person picking dates would
    (its callbacks fire)."""
    browser.execute_script("window.dash_clientside.set_props(arguments[0], arguments[1]);",
                           element_id, props)


def _scroll_shot(browser: Any, locale: tuple[str, str], element_id: str) -> None:
    browser.execute_script("document.getElementById(arguments[0]).scrollIntoView();", element_id)
    idle(browser)
    _shot(browser, locale, element_id)


def test_weight_page_counts_the_weigh_in_on_the_viewer_s_day_in_their_units(
    browser: Any, base_url: str, locale: tuple[str, str],
) -> None:
    zone, chosen = locale
    unit = units.label("weight", chosen)
    _open(browser, base_url, "/weight")
    wait(browser, lambda d: f"Weight ({unit})" in css(d, "#weight-metric")[0].text)
    # The picked days end on 29 Nov: the weigh-in is on it in Los Angeles (22:30 PST), on the
    # 30th in Kolkata (12:00 IST).
    _set_props(browser, "weight-range", {"start_date": "2026-11-01", "end_date": "2026-11-29"})

    def last_x(d: Any) -> Any:
        fig = figure(d, "weight-graph")
        return fig and fig["data"] and fig["data"][0]["x"][-1]

    wait(browser, lambda d: (last_x(d) or "") < "2026-11-30" if zone == "Asia/Kolkata"
         else (last_x(d) or "").startswith("2026-11-29T22:30"))
    idle(browser)
    fig = figure(browser, "weight-graph")
    assert fig["layout"]["yaxis"]["title"]["text"] == f"Weight ({unit})"
    summary = css(browser, "#weight-summary")[0].text
    if zone == "America/Los_Angeles":
        assert fig["data"][0]["y"][-1] == pytest.approx(178.57, abs=0.01)
        assert summary.startswith("Latest 178.6 lb")
    else:
        assert all(x < "2026-11-30" for x in fig["data"][0]["x"])
        assert " kg" in summary and "lb" not in summary
    bars = figure(browser, "weight-weekly")
    assert bars["layout"]["yaxis"]["title"]["text"] == f"change per week ({unit})"
    other = "kg" if chosen == "imperial" else "lb"
    assert f"({other})" not in css(browser, "#weight-metric")[0].text
    _scroll_shot(browser, locale, "weight-graph")


def test_running_page_in_the_viewer_s_days_and_units_each_run_on_its_own_clock(
    browser: Any, base_url: str, locale: tuple[str, str],
) -> None:
    zone, chosen = locale
    _open(browser, base_url, "/running")
    _set_props(browser, "running-range", {"start_date": "2026-11-24", "end_date": "2026-11-29"})
    # The athlete's runs end on 23 Nov: only the two above can be in 24-29 Nov.
    mine = ("Pacific Evening", "Kolkata Dawn")
    every = wait(browser, lambda d: (got := _run_labels(d)) and all(
        any(n in t for n in mine) for t in got) and got)
    if chosen == "imperial":
        # 06:00 UTC on the 30th is still 29 Nov in Los Angeles: in the range.
        assert every == ["29 Nov 2026, 22:00 PST · Pacific Evening · 6.21 mi",
                         "27 Nov 2026, 06:30 IST · Kolkata Dawn · 3.11 mi"]
    else:
        # ... and 30 Nov in Kolkata: out of it.
        assert every == ["27 Nov 2026, 06:30 IST · Kolkata Dawn · 5.00 km"]
    fig = wait(browser, lambda d: (f := figure(d, "running-overtime")) and f["data"] and f)
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == [f"distance ({units.label('distance', chosen)})",
                      f"average speed ({units.label('speed', chosen)})",
                      f"elevation gain ({units.label('elevation', chosen)})"]
    assert fig["data"][0]["text"] == [t.rsplit(" · ", 1)[0] for t in reversed(every)]
    dawn = 0  # the runs are drawn oldest first
    assert fig["data"][0]["x"][dawn] == "2026-11-27T06:30"
    assert fig["data"][0]["y"][dawn] == pytest.approx(
        5000 * units.factor("distance", chosen), abs=0.01)
    scatter = figure(browser, "running-speed-elevation")
    assert scatter["layout"]["xaxis"]["title"]["text"] == \
        f"elevation gain ({units.label('elevation', chosen)})"
    _scroll_shot(browser, locale, "running-overtime")


def _run_labels(browser: Any) -> list[str]:
    """The Run dropdown's options as a person sees them: opened, read, closed."""
    from selenium.webdriver.common.keys import Keys

    css(browser, "#running-run .dash-dropdown-trigger, #running-run")[0].click()
    try:
        options = wait(browser, lambda d: css(d, ".dash-dropdown-option"), 5)
        return [o.text.strip() for o in options]
    finally:
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)


def test_crossfit_and_forecast_in_the_viewer_s_units(
    browser: Any, base_url: str, locale: tuple[str, str],
) -> None:
    _zone, chosen = locale
    lifted, other = units.label("lifted", chosen), "kg" if chosen == "imperial" else "lb"
    _open(browser, base_url, "/crossfit")
    progress = drawn(browser, "crossfit-progress")
    assert progress["layout"]["yaxis"]["title"]["text"] == f"max ({lifted})"
    assert all(f" {lifted}" in t["hovertemplate"] for t in progress["data"][::2])
    # Sheet dates are calendar dates: no clock, no zone, never shifted.
    assert all(len(x) == 10 for x in progress["data"][0]["x"])
    assert figure(browser, "crossfit-scatter")["layout"]["yaxis"]["title"]["text"] == \
        f"weight ({lifted})"
    e1rm = drawn(browser, "crossfit-e1rm")
    assert e1rm["layout"]["yaxis"]["title"]["text"] == f"estimated 1RM ({lifted})"
    table = css(browser, "#crossfit-pr-table")[0].text
    assert f" {lifted}" in table and f" {other}" not in table
    _scroll_shot(browser, locale, "crossfit-progress")
    _open(browser, base_url, "/forecast")
    wait(browser, lambda d: f"({lifted})" in css(d, "#forecast-avg_weight_kg-label")[0].text)
    distance = css(browser, "#forecast-distance_km-label")[0].text
    assert f"({units.label('distance', chosen)})" in distance
