"""Weight, crossfit, forecast and add-data pages in headless Chromium: the trend, the goal, PRs,
two plans with their bands, a manual weigh-in; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request

from serverless_tests.dashboard.conftest import reconfigure
from serverless_tests.dashboard.test_browser import (  # noqa: F401  (fixtures)
    app_server,
    base_url,
    browser,
    config,
    css,
    drawn,
    figure,
    idle,
    shot,
    sign_in,
    wait,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def owner(browser: Any, base_url: str) -> None:  # noqa: F811
    if not browser.get_cookie("pulseboard_session"):
        sign_in(browser, base_url, "/")


@pytest.fixture(scope="module")
def api_with_bands() -> Iterator[str]:
    """The forecast API's answer shape, with an interval: a loss on running, a gain without."""
    from werkzeug.serving import make_server

    app = Flask("api_with_bands")

    @app.get("/forecast")
    def forecast() -> Any:
        weeks = int(request.args["weeks"])
        rate = 0.25 - 0.01 * float(request.args["distance_km"])
        per_week = {"weight_kg": round(rate, 3), "fat_ratio_pct": round(rate / 2, 3)}
        total = {k: v * weeks for k, v in per_week.items()}
        return {"weeks": weeks, "per_week": per_week, "total": total, "method": "model",
                "reason": f"the model beat every baseline {12} weeks ahead",
                "interval": {"level": 0.8,
                             "weight_kg": [total["weight_kg"] - 0.9, total["weight_kg"] + 0.8],
                             "fat_ratio_pct": [total["fat_ratio_pct"] - 0.6,
                                               total["fat_ratio_pct"] + 0.5]},
                "model": {"version": "v-bands", "k": 7}}

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


def test_weight_trend_rates_composition_and_a_goal(browser: Any, base_url: str,  # noqa: F811
                                                   owner: None) -> None:
    browser.get(base_url + "/weight")
    trend = drawn(browser, "weight-trend")
    assert [t["name"] for t in trend["data"]][:2] == ["scale (daily mean)", "trend"]
    composition = drawn(browser, "weight-composition")
    assert [t["name"] for t in composition["data"]] == ["fat mass", "lean mass"]
    summary = css(browser, "#weight-body-summary")[0].text
    for words in ("Trend", "Rate, last 2 weeks", "Rate, last 4 weeks", "Rate, last 8 weeks",
                  "Fat mass", "Lean mass"):
        assert words in summary
    css(browser, "#weight-goal-value")[0].send_keys("76")
    css(browser, "#weight-goal-save")[0].click()
    wait(browser, lambda d: "Goal saved" in css(d, "#weight-goal-status")[0].text)
    text = wait(browser, lambda d: (t := css(d, "#weight-goal-text")[0].text)
                and t.startswith("Goal 76.0 kg") and t)
    assert any(s in text for s in ("on track", "behind", "moving away", "maintaining"))
    with_goal = wait(browser, lambda d: (f := figure(d, "weight-trend"))
                     and f["data"][-1]["name"] == "goal" and f)
    assert with_goal["data"][-1]["y"] == [76.0, 76.0]
    idle(browser)
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "weight-trend-goal")


def test_crossfit_prs_and_relative_strength(browser: Any, base_url: str,  # noqa: F811
                                            owner: None) -> None:
    browser.get(base_url + "/crossfit")
    e1rm = drawn(browser, "crossfit-e1rm")
    names = [t["name"] for t in e1rm["data"]]
    assert names[0] == "estimated 1RM" and "PR: best estimated 1RM" in names
    table = wait(browser, lambda d: css(d, "#crossfit-pr-table"))[0].text
    assert "Back squat" in table and "× bodyweight" in table and "best volume" in table
    assert "Brzycki" in css(browser, "#crossfit-formula")[0].text
    idle(browser)
    shot(browser, "crossfit-prs")


def test_forecast_two_plans_with_bands_and_the_trend_before(
    browser: Any, base_url: str, owner: None, app_server: Any,  # noqa: F811
    api_with_bands: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reconfigure(app_server, monkeypatch, api_url=api_with_bands)
    browser.get(base_url + "/forecast")
    wait(browser, lambda d: css(d, "#forecast-run"))
    idle(browser)
    css(browser, "#forecast-run")[0].click()
    idle(browser)
    text = wait(browser, lambda d: (a := css(d, "#forecast-result")) and a[0].text)
    assert "Expected change: weight" in text and "80% interval" in text
    assert "As in your last 4 weeks" in text
    fig = drawn(browser, "forecast-graph")
    names = {t["name"] for t in fig["data"]}
    assert {"this plan", "your last 4 weeks", "this plan: 80 % interval", "actual trend",
            "goal"} <= names
    assert "Strava's API agreement" in css(browser, "#forecast-provenance")[0].text
    shot(browser, "forecast-two-plans")


def test_a_manual_weigh_in_is_listed_as_manual_and_deleted(
        browser: Any, base_url: str, owner: None) -> None:  # noqa: F811
    browser.get(base_url + "/entry")
    wait(browser, lambda d: css(d, "#entry-w-save"))
    idle(browser)
    date_input = css(browser, "#entry-w-date")[0]
    browser.execute_script(
        "const i = arguments[0]; const set = Object.getOwnPropertyDescriptor("
        "HTMLInputElement.prototype, 'value').set; set.call(i, new Date(Date.now() - 864e5)"
        ".toISOString().slice(0, 10)); i.dispatchEvent(new Event('input', {bubbles: true}));",
        date_input)
    css(browser, "#entry-w-weight")[0].send_keys("79.4")
    css(browser, "#entry-w-fat")[0].send_keys("18.5")
    css(browser, "#entry-w-save")[0].click()
    wait(browser, lambda d: "Weigh-in saved" in css(d, "#entry-message")[0].text)
    table = wait(browser, lambda d: css(d, "#entry-table"))[0].text
    assert "weigh-in 79.4 kg, fat 18.5 %" in table and "manual" in table
    idle(browser)
    shot(browser, "entry-manual")
