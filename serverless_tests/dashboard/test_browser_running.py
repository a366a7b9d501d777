"""The running page in headless Chromium: the street map with tiles unreachable, the heatmap,
best efforts, Eddington and form; privacy zones drawn by the owner cut every route shown."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from analytics import privacy, summary
from dashboard.config import CONFIG_KEY, OSM_TILE_ORIGIN, DashboardConfig
from serverless_tests.browser import chromium
from serverless_tests.dashboard.conftest import PASSWORD
from serverless_tests.dashboard.test_browser import (
    CSP_LISTENER,
    SHOTS,
    css,
    drawn,
    figure,
    idle,
    refused_by_policy,
    shot,
    wait,
)
from testkit.athlete import dashboard_records, load

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(network_log=True) as driver:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        # Tiles unreachable, as offline: every request to the tile server fails at once.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{OSM_TILE_ORIGIN}/*"]})
        yield driver


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> DashboardConfig:
    """An athlete with summaries (as the collectors write them), an owner, the OSM map."""
    from dashboard import data
    from dashboard.auth import users

    url = f"sqlite:///{tmp_path_factory.mktemp('running') / 'store.db'}"
    made = DashboardConfig(store_url=url, secret_key="test-secret-key-0123456789abcdef",
                           map_style="osm")
    store = data.store_for(made)
    load(store, dashboard_records(days=400, seed=5))
    written, _ = summary.backfill(store)
    assert written > 20
    users.add(store, "owner", PASSWORD, "owner")
    return made


@pytest.fixture(scope="module")
def app_server(config: DashboardConfig) -> Any:
    from dashboard.app import create_app

    return create_app(config)


@pytest.fixture(scope="module")
def base_url(app_server: Any, config: DashboardConfig) -> Iterator[str]:
    from werkzeug.serving import make_server

    app_server.config[CONFIG_KEY] = config  # another module's app may have run meanwhile
    http = make_server("127.0.0.1", 0, app_server, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def signed_in(browser: Any, base_url: str) -> None:
    browser.get(base_url + "/running")
    wait(browser, lambda d: css(d, "#username"))
    css(browser, "#username")[0].send_keys("owner")
    css(browser, "#password")[0].send_keys(PASSWORD)
    css(browser, "#login-submit")[0].click()
    wait(browser, lambda d: d.current_url.rstrip("/").endswith("/running"))


def requests_sent(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [u for u in urls if u.startswith(("http:", "https:"))]


def map_ready(driver: Any, graph_id: str) -> Any:
    """The map's MapLibre instance has loaded its style and drawn its layers."""
    return wait(driver, lambda d: d.execute_script("""
        const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        const sub = gd && gd._fullLayout.map && gd._fullLayout.map._subplot;
        if (!sub || !sub.map || !sub.map.isStyleLoaded()) return null;
        return sub.map.getStyle().layers.map(l => l.type + ':' + l.id);""", graph_id))


def scroll_to(driver: Any, element_id: str) -> None:
    driver.execute_script(
        f"document.getElementById('{element_id}').scrollIntoView({{block: 'center'}})")
    time.sleep(0.5)


def test_the_street_map_draws_the_routes_with_tiles_unreachable(
        browser: Any, base_url: str, signed_in: None) -> None:
    browser.get(base_url + "/running")
    requests_sent(browser)  # forget what came before
    browser.refresh()
    fig = drawn(browser, "running-map")
    route = fig["data"][0]
    assert route["type"] == "scattermap" and sum(v is not None for v in route["lat"]) > 100
    style = fig["layout"]["map"]["style"]
    assert style["sources"]["osm"]["tiles"] == [OSM_TILE_ORIGIN + "/{z}/{x}/{y}.png"]
    layers = map_ready(browser, "running-map")
    assert "raster:osm" in layers and "background:land" in layers
    assert len(layers) > 2  # the routes' own layers, over the tiles
    idle(browser)
    time.sleep(1)
    sent = requests_sent(browser)
    elsewhere = {u.split("/")[2] for u in sent if not u.startswith(base_url)}
    assert elsewhere == {"tile.openstreetmap.org"}, sent  # asked, refused, nothing else
    assert not refused_by_policy(browser)
    credit = browser.execute_script(
        "return document.querySelector('#running-map').innerText")
    assert "OpenStreetMap contributors" in credit
    scroll_to(browser, "running-map")
    shot(browser, "running-osm-offline")


def test_heatmap_best_efforts_eddington_and_form_render(
        browser: Any, base_url: str, signed_in: None) -> None:
    browser.get(base_url + "/running")
    heat = drawn(browser, "running-heatmap")
    assert heat["data"][0]["type"] == "densitymap" and len(heat["data"][0]["lat"]) > 50
    map_ready(browser, "running-heatmap")
    form = drawn(browser, "running-fitness")
    names = [t["name"] for t in form["data"]]
    assert {n.split(" (")[0] for n in names} >= {"fitness: running", "fitness: lifting"}
    assert "form (TSB = CTL − ATL)" in names
    table = wait(browser, lambda d: (t := css(d, "#running-records-table")) and t[0].text)
    assert "5 km" in table and "1 km" in table and "/km" in table
    edd = wait(browser, lambda d: (e := css(d, "#running-eddington-list")) and e[0].text)
    assert edd.startswith("Running: ") and "more day" in edd
    idle(browser)
    scroll_to(browser, "running-heatmap")
    shot(browser, "running-heatmap-fitness")
    scroll_to(browser, "running-records")
    shot(browser, "running-records")


def test_a_run_with_a_pr_shows_it_on_its_session(
        browser: Any, base_url: str, signed_in: None, config: DashboardConfig) -> None:
    from dashboard import data
    from dashboard.logic import running_data, training

    store = data.store_for(config)
    all_time, _ = training.records(running_data._build(store))
    best = all_time["5 km"]
    browser.get(base_url + "/running")
    drawn(browser, "running-map")
    idle(browser)
    # The PR may be older than the default range: widen it, then pick the run, through Dash's
    # renderer as the date picker and a map click do.
    _set_props(browser, "running-range", {"start_date": (best.day - timedelta(days=1))
                                          .isoformat()})
    idle(browser)
    _set_props(browser, "running-run", {"value": best.activity_id})
    session = wait(browser, lambda d: (f := figure(d, "running-session")) and
                   "PR" in json.dumps(f["layout"].get("title", "")) and f)
    assert f"PR 5 km {training.duration(best.time_s)}" in session["layout"]["title"]["text"]
    assert session["layout"]["shapes"]
    chosen = wait(browser, lambda d: (f := figure(d, "running-map")) and len(f["data"]) == 2 and f)
    assert chosen["data"][1]["name"] == "selected run"
    idle(browser)
    map_ready(browser, "running-map")
    scroll_to(browser, "running-session")
    shot(browser, "running-session-pr")


def _set_props(browser: Any, element_id: str, props: dict[str, Any]) -> None:
    """Sets a component's props through Dash's renderer (its React props' setProps)."""
    browser.execute_script("""
        const el = document.getElementById(arguments[0]);
        const key = Object.keys(el).find(k => k.startsWith('__reactFiber'));
        let fiber = el[key];
        while (fiber && !(fiber.memoizedProps && fiber.memoizedProps.setProps)) {
            fiber = fiber.return;
        }
        fiber.memoizedProps.setProps(arguments[1]);""", element_id, props)


def test_a_zone_the_owner_draws_cuts_every_route_shown(
        browser: Any, base_url: str, signed_in: None, config: DashboardConfig) -> None:
    from dashboard import data

    store = data.store_for(config)
    runs = data.activities(store, runs_only=True)
    import polyline

    start_lat, start_lon = polyline.decode(runs.iloc[-1]["summary_polyline"])[0]
    browser.get(base_url + "/privacy")
    wait(browser, lambda d: css(d, "#privacy-lat"))
    for field, value in (("privacy-name", "home"), ("privacy-lat", f"{start_lat:.6f}"),
                         ("privacy-lon", f"{start_lon:.6f}"), ("privacy-radius", "500")):
        element = css(browser, f"#{field}")[0]
        element.clear()
        element.send_keys(value)
    css(browser, "#privacy-add")[0].click()
    wait(browser, lambda d: "added" in css(d, "#privacy-message")[0].text)
    zones = privacy.from_doc(store.get_doc("privacy", "zones").data)  # type: ignore[union-attr]
    assert [z.name for z in zones] == ["home"]
    idle(browser)
    shot(browser, "privacy-zones")

    for page in ("/running?embed=1", "/running"):  # framed elsewhere, or here
        browser.get(base_url + page)
        fig = drawn(browser, "running-map")
        heat = drawn(browser, "running-heatmap")
        for lat, lon in ((fig["data"][0]["lat"], fig["data"][0]["lon"]),
                         (heat["data"][0]["lat"], heat["data"][0]["lon"])):
            shown = [(a, b) for a, b in zip(lat, lon, strict=True) if a is not None]
            assert shown
            arr = np.array(shown)
            assert not privacy.inside(arr[:, 0], arr[:, 1], zones).any()
    # The stored route is whole: the zone only hides it.
    assert polyline.decode(runs.iloc[-1]["summary_polyline"])[0] == (start_lat, start_lon)
    scroll_to(browser, "running-map")
    shot(browser, "running-map-with-zone")


def test_the_white_map_asks_no_tile_server(
        browser: Any, base_url: str, signed_in: None, app_server: Any,
        config: DashboardConfig) -> None:
    app_server.config[CONFIG_KEY] = replace(config, map_style="white")
    try:
        browser.get(base_url + "/running")
        requests_sent(browser)
        browser.refresh()
        fig = drawn(browser, "running-map")
        assert fig["layout"]["map"]["style"] == "white-bg"
        map_ready(browser, "running-map")
        idle(browser)
        sent = requests_sent(browser)
        assert all(u.startswith(base_url) for u in sent), sent
        assert not refused_by_policy(browser)
    finally:
        app_server.config[CONFIG_KEY] = config
