"""The dashboard in headless Chromium: login, every page, controls, map click, forecast, embed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.config import DashboardConfig
from serverless_tests.browser import chromium
from serverless_tests.dashboard.conftest import PASSWORD, reconfigure
from testkit.athlete import dashboard_records, load

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = ["/", "/weight", "/running", "/crossfit", "/forecast", "/explore", "/quality"]


# Every Content-Security-Policy refusal the page meets, kept where the tests can read it.
CSP_LISTENER = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
    e.effectiveDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || "")));"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        yield driver


def refused_by_policy(driver: Any) -> list[str]:
    return list(driver.execute_script("return window.__csp || []"))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> DashboardConfig:
    """One store for the module: the athlete and an owner."""
    from dashboard import data
    from dashboard.auth import users

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'store.db'}"
    made = DashboardConfig(store_url=url, secret_key="test-secret-key-0123456789abcdef")
    store = data.store_for(made)
    load(store, dashboard_records(days=200, seed=3))
    users.add(store, "owner", PASSWORD, "owner")
    return made


@pytest.fixture(scope="module")
def app_server(config: DashboardConfig) -> Any:
    from dashboard.app import create_app

    return create_app(config)


@pytest.fixture(scope="module")
def base_url(app_server: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app_server, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


def wait(driver: Any, condition: Any, timeout_s: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(condition)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def figure(driver: Any, graph_id: str) -> dict[str, Any]:
    """The figure Plotly drew in a dcc.Graph (data and layout as the browser has them)."""
    return driver.execute_script(
        "const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "if (!gd || !gd.data) return null;"
        "return JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout}));", graph_id)


def drawn(driver: Any, graph_id: str, has_data: bool = True) -> dict[str, Any]:
    def ready(d: Any) -> Any:
        fig = figure(d, graph_id)
        if fig is None:
            return False
        return fig if (fig["data"] or not has_data) else False

    return wait(driver, ready)


def idle(driver: Any) -> None:
    """Dash is done when no callback is pending (its loading markers are gone)."""
    time.sleep(0.3)
    wait(driver, lambda d: not css(d, "[data-dash-is-loading='true']"))


def pick(driver: Any, dropdown_id: str, label: str) -> None:
    """Opens a dcc.Dropdown and clicks the option whose text starts with label."""
    trigger = css(driver, f"#{dropdown_id} .dash-dropdown-trigger, #{dropdown_id}")[0]
    trigger.click()
    option = wait(driver, lambda d: next(
        (o for o in css(d, ".dash-dropdown-option") if o.text.strip().startswith(label)), None))
    option.click()


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_unauthenticated_access_is_refused(browser: Any, base_url: str) -> None:
    browser.delete_all_cookies()
    browser.get(base_url + "/running")
    wait(browser, lambda d: "/login" in d.current_url)
    assert "next=/running" in browser.current_url
    browser.get(base_url + "/_dash-layout")
    assert json.loads(browser.find_element("tag name", "body").text)["error"] == "unauthorized"
    browser.get(base_url + "/login")
    shot(browser, "login")


def sign_in(browser: Any, base_url: str, landing: str) -> None:
    browser.get(base_url + landing)
    wait(browser, lambda d: css(d, "#username"))
    css(browser, "#username")[0].send_keys("owner")
    css(browser, "#password")[0].send_keys(PASSWORD)
    css(browser, "#login-submit")[0].click()
    wait(browser, lambda d: d.current_url.rstrip("/").endswith(landing.rstrip("/")))


@pytest.fixture
def signed_in(browser: Any, base_url: str) -> None:
    """An owner's session, whichever tests ran before (each test also runs alone)."""
    if not browser.get_cookie("pulseboard_session"):
        sign_in(browser, base_url, "/")


def test_login_lands_on_next(browser: Any, base_url: str) -> None:
    browser.delete_all_cookies()
    sign_in(browser, base_url, "/weight")
    drawn(browser, "weight-graph")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(browser: Any, base_url: str, signed_in: None, path: str) -> None:
    browser.get(base_url + path)
    wait(browser, lambda d: css(d, "#app-navbar") and css(d, ".page-title"))
    idle(browser)
    graphs = [g.get_attribute("id") for g in css(browser, ".dash-graph")]
    for graph_id in graphs:
        drawn(browser, graph_id, has_data=False)
    assert not css(browser, ".dash-fe-error__title"), "Dash reported a callback error"
    assert refused_by_policy(browser) == []
    shot(browser, "page-" + (path.strip("/") or "overview"))


def switch_weight_metric(browser: Any) -> None:
    """On the weight page: picking fat ratio redraws the graph with other values and axis."""
    before = drawn(browser, "weight-graph")
    assert before["layout"]["yaxis"]["title"]["text"] == "Weight (kg)"
    pick(browser, "weight-metric", "Fat ratio")
    after = wait(browser, lambda d: (f := figure(d, "weight-graph"))
                 and f["layout"]["yaxis"]["title"]["text"] == "Fat ratio (%)" and f)
    assert after["data"][0]["y"] != before["data"][0]["y"]


def test_changing_the_metric_changes_the_figure(
    browser: Any, base_url: str, signed_in: None,
) -> None:
    browser.get(base_url + "/weight")
    switch_weight_metric(browser)


def test_clicking_a_route_on_the_map_shows_its_session(
    browser: Any, base_url: str, signed_in: None,
) -> None:
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    browser.get(base_url + "/running")
    fig = drawn(browser, "running-map")
    assert fig["data"][0]["type"] == "scattermap"
    idle(browser)
    browser.execute_script(
        "document.getElementById('running-map').scrollIntoView({block: 'center'})")
    time.sleep(0.3)
    # Where a route's vertex is in the viewport, as the map itself projects it.
    target = wait(browser, lambda d: d.execute_script("""
        const gd = document.querySelector('#running-map .js-plotly-plot');
        const sub = gd._fullLayout.map && gd._fullLayout.map._subplot;
        if (!sub || !sub.map || !sub.map.loaded()) return null;
        const t = gd.data[0];
        const r = sub.map.getContainer().getBoundingClientRect();
        for (let i = 0; i < t.lat.length; i++) {
            if (t.lat[i] === null) continue;
            const p = sub.map.project([t.lon[i], t.lat[i]]);
            if (p.x > 40 && p.y > 40 && p.x < r.width - 40 && p.y < r.height - 40)
                return {x: Math.round(r.left + p.x), y: Math.round(r.top + p.y),
                        id: t.customdata[i]};
        }
        return null;"""))
    actions = ActionBuilder(browser)
    actions.pointer_action.move_to_location(target["x"], target["y"])
    actions.pointer_action.pause(0.3)
    actions.pointer_action.click()
    actions.perform()
    session = wait(browser, lambda d: (f := figure(d, "running-session")) and f["data"] and f)
    assert any(t.get("name") == "pace" for t in session["data"])
    chosen = wait(browser, lambda d: d.execute_script(
        "return document.querySelector('#running-run .Select-value-label, "
        "#running-run [class*=singleValue], #running-run .dash-dropdown-value') ?.textContent"))
    assert chosen
    idle(browser)
    shot(browser, "running-selected")


def _forecast(browser: Any, base_url: str, expected: str) -> str:
    browser.get(base_url + "/forecast")
    wait(browser, lambda d: css(d, "#forecast-run"))
    idle(browser)
    css(browser, "#forecast-run")[0].click()
    idle(browser)
    return wait(browser, lambda d: (text := d.execute_script(
        "const a = document.querySelector('#forecast-alert, #forecast-result');"
        "return a ? a.textContent : '';")) and expected in text and text)


def test_forecast_with_the_api_up(
    browser: Any, base_url: str, signed_in: None, fake_api: dict[str, Any],
    app_server: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reconfigure(app_server, monkeypatch, api_url=fake_api["url"])
    text = _forecast(browser, base_url, "Expected change")
    assert "weight -0.20 kg/week" in text
    fig = drawn(browser, "forecast-graph")
    assert len(fig["data"][0]["y"]) == 13
    assert "v-test-1" in css(browser, "#forecast-model")[0].text
    shot(browser, "forecast-up")


def test_forecast_with_the_api_down(
    browser: Any, base_url: str, signed_in: None, app_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reconfigure(app_server, monkeypatch, api_url="http://127.0.0.1:9")
    text = _forecast(browser, base_url, "not answering")
    assert "python -m api serve" in text
    shot(browser, "forecast-down")


def test_embed_mode_hides_the_navigation(browser: Any, base_url: str, signed_in: None) -> None:
    browser.get(base_url + "/weight?embed=1")
    drawn(browser, "weight-graph")
    wait(browser, lambda d: not css(d, "#app-navbar")[0].is_displayed())
    shot(browser, "embed-weight")


def test_phone_width_is_readable(browser: Any, base_url: str, signed_in: None) -> None:
    browser.set_window_size(390, 844)
    try:
        browser.get(base_url + "/")
        wait(browser, lambda d: css(d, "#overview-weight_kg"))
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, "the overview scrolls sideways on a phone"
        shot(browser, "phone-overview")
    finally:
        browser.set_window_size(1280, 900)


def test_the_policy_refuses_a_script_the_page_did_not_bring(
    browser: Any, base_url: str, signed_in: None,
) -> None:
    browser.get(base_url + "/weight")
    drawn(browser, "weight-graph")
    ran = browser.execute_script("""
        const s = document.createElement("script");
        s.textContent = "window.__injected = true;";
        document.body.appendChild(s);
        return window.__injected === true;""")
    assert not ran
    assert any(v.startswith("script-src") for v in refused_by_policy(browser))


def test_the_sign_out_button_ends_the_session(browser: Any, base_url: str) -> None:
    browser.delete_all_cookies()
    sign_in(browser, base_url, "/weight")
    drawn(browser, "weight-graph")
    css(browser, "#app-logout")[0].click()
    wait(browser, lambda d: "/login" in d.current_url)
    browser.get(base_url + "/_dash-layout")
    assert json.loads(browser.find_element("tag name", "body").text)["error"] == "unauthorized"
    assert refused_by_policy(browser) == []
    browser.delete_all_cookies()  # the next test signs in again
