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
    idle,
    pick,
    refused_by_policy,
    wait,
)
from storage import Measurement
from testkit.athlete import dashboard_records, load

pytestmark = pytest.mark.browser

LOCALES = [("America/Los_Angeles", "imperial"), ("Asia/Kolkata", "metric")]
# The weigh-in, newer than the athlete's: 22:30 on 29 Nov in Los Angeles.
WEIGH_IN = Measurement(datetime(2026, 11, 30, 6, 30, tzinfo=UTC), "weight_kg", 81.0, "withings",
                       "issue-15", timezone="America/Los_Angeles")
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
    store.put([WEIGH_IN])
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
    for graph in css(browser, ".dash-graph"):
        drawn(browser, graph.get_attribute("id"), has_data=False)
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
    if chosen != "imperial":
        pytest.skip("one switch is enough: from imperial to metric")
    _open(browser, base_url, "/")
    pick(browser, "app-units", "kg")

    def reads_kg(d: Any) -> bool:
        # The page reloads under the check: an element may vanish between two looks.
        try:
            return css(d, "#overview-weight_kg")[0].text == "81.0 kg"
        except (IndexError, StaleElementReferenceException):
            return False

    wait(browser, reads_kg)
    idle(browser)
    _shot(browser, locale, "overview-after-choosing-kg")
    store = data.store_for(config)
    assert users.prefs_of(users.get(store, "owner")) == ("metric", zone)
    users.set_prefs(store, "owner", units="", timezone="")  # back to the defaults
    with sessions._records_lock:
        sessions._records.clear()
