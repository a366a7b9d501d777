"""The page shell in headless Chromium, served as the published copy is (the same file for
everyone, no session asked): the session request fills in the visitor, sends a visitor without
one to the login page, and a page view costs the function the session and the data callbacks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from serverless_tests.browser import chromium
from serverless_tests.dashboard.conftest import PASSWORD
from serverless_tests.dashboard.test_browser import (  # noqa: F401  (fixtures)
    app_server,
    config,
    css,
    drawn,
    idle,
    pick,
    wait,
)

pytestmark = pytest.mark.browser
# What is the same for every visitor: in the cloud it comes from the published copy, not the
# function (here the function serves the bundles itself: no assets URL).
SAME_FOR_ALL = ("/_dash-component-suites/", "/assets/", "/_dash-dependencies", "/_favicon.ico",
                "/favicon.ico")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(network_log=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def shell_url(app_server: Any) -> Iterator[str]:  # noqa: F811
    """The dashboard behind a stand-in of the published copy: a page path is answered with its
    shell and its shell headers whoever asks, as the bucket behind the CDN answers it."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from dashboard.app import build
    from dashboard.headers import shell_headers

    dash_app = build(app_server.config["PULSEBOARD_DASHBOARD"])[1]
    paths = set(dash_app.shell_paths())
    served: list[str] = []

    def published(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "/")
        if environ["REQUEST_METHOD"] == "GET" and path in paths:
            html = dash_app.shell_html(path)
            served.append(path)
            with app_server.app_context():
                from dashboard.config import current

                wanted = shell_headers(current(), html)
            return Response(html, mimetype="text/html", headers=wanted)(environ, start_response)
        return app_server(environ, start_response)

    http = make_server("127.0.0.1", 0, published, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


def network(driver: Any) -> list[dict[str, Any]]:
    """What the browser asked and when, since the last call: [{method, path, body, sent_s,
    answered_s}] in order."""
    from urllib.parse import urlsplit

    asked: dict[str, dict[str, Any]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            request = params["request"]
            if not request["url"].startswith("http"):
                continue
            parts = urlsplit(request["url"])
            asked[params["requestId"]] = {
                "method": request["method"], "path": parts.path, "query": parts.query,
                "body": request.get("postData", ""), "sent_s": params["timestamp"],
                "answered_s": None}
        elif message["method"] == "Network.loadingFinished" and params["requestId"] in asked:
            asked[params["requestId"]]["answered_s"] = params["timestamp"]
    return list(asked.values())


def to_the_function(requests: list[dict[str, Any]], shell: str) -> list[dict[str, Any]]:
    return [r for r in requests
            if not r["path"].startswith(SAME_FOR_ALL) and r["path"] != shell]


def sign_in(driver: Any, base: str, landing: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + landing)
    wait(driver, lambda d: css(d, "#username"))
    assert "next=" + landing in driver.current_url
    css(driver, "#username")[0].send_keys("owner")
    css(driver, "#password")[0].send_keys(PASSWORD)
    css(driver, "#login-submit")[0].click()
    wait(driver, lambda d: d.current_url.rstrip("/").endswith(landing.rstrip("/")))


def test_a_visit_without_a_session_lands_on_the_login_page(browser: Any, shell_url: str) -> None:
    browser.delete_all_cookies()
    browser.get(shell_url + "/running?embed=1")
    wait(browser, lambda d: "/login" in d.current_url)
    assert browser.current_url.endswith("/login?next=/running%3Fembed%3D1") \
        or "next=/running" in browser.current_url
    asked = [r["path"] for r in network(browser)]
    assert "/running" in asked and "/_pulseboard/session" in asked
    assert "/_dash-layout" not in asked and "/_dash-update-component" not in asked


def test_the_signed_in_visitor_sees_themselves_and_their_units(
    browser: Any, shell_url: str, config: Any,  # noqa: F811
) -> None:
    from dashboard import data
    from dashboard.auth import users

    users.set_prefs(data.store_for(config), "owner", units="imperial", timezone="Asia/Tokyo")
    try:
        sign_in(browser, shell_url, "/weight")
        drawn(browser, "weight-graph")
        assert css(browser, "#app-user")[0].text == "owner · owner"
        assert "lb" in css(browser, "#app-units")[0].text
        assert "Asia/Tokyo" in css(browser, "#app-zone")[0].text
        assert browser.title == "Weight · Pulseboard"
        token = browser.execute_script(
            "return document.getElementById('app-logout-csrf').value")
        assert token and not token.startswith("pulseboard-session:")
        drawn_page = browser.execute_script(
            "return document.getElementById('react-entry-point').innerHTML")
        assert "owner · owner" in drawn_page and "pulseboard-session:" not in drawn_page
    finally:
        users.set_prefs(data.store_for(config), "owner", units="", timezone="")


def test_a_page_view_asks_the_function_for_the_session_and_the_data_callbacks_only(
    browser: Any, shell_url: str,
) -> None:
    if not browser.get_cookie("pulseboard_session"):
        sign_in(browser, shell_url, "/weight")
    network(browser)  # forget what came before
    browser.get(shell_url + "/weight")
    drawn(browser, "weight-graph")
    idle(browser)
    everything = network(browser)
    # What the shell fetches at once (lazy chunks, plotly.js) is what the page then uses.
    fetched = [r["path"] for r in everything if r["method"] == "GET"]
    assert len(fetched) == len(set(fetched)), fetched
    asked = to_the_function(everything, "/weight")
    sessions = [r for r in asked if r["path"] == "/_pulseboard/session"]
    callbacks = [r for r in asked if r["path"] == "/_dash-update-component"]
    assert len(sessions) == 1 and sessions[0]["query"] == "path=%2Fweight"
    assert len(asked) == 1 + len(callbacks), [r["path"] for r in asked]
    outputs = [json.loads(r["body"])["output"] for r in callbacks]
    assert callbacks and not [o for o in outputs if "_pages_content" in o], outputs
    # Every callback waited for the session answer: the one cold container is never asked twice.
    landed = sessions[0]["answered_s"]
    assert landed is not None and all(r["sent_s"] >= landed for r in callbacks)


def test_the_sign_out_button_works_with_the_session_s_token(
    browser: Any, shell_url: str,
) -> None:
    sign_in(browser, shell_url, "/")
    wait(browser, lambda d: css(d, "#overview-content *"))
    css(browser, "#app-logout")[0].click()
    wait(browser, lambda d: d.current_url.endswith("/login"))
    browser.get(shell_url + "/_pulseboard/session?path=/")
    assert json.loads(browser.find_element("tag name", "body").text)["error"] == "unauthorized"


def test_following_a_link_draws_the_next_page(browser: Any, shell_url: str) -> None:
    sign_in(browser, shell_url, "/")
    css(browser, "#app-nav-weight")[0].click()
    wait(browser, lambda d: d.current_url.endswith("/weight"))
    drawn(browser, "weight-graph")
    pick(browser, "weight-metric", "Fat")
    idle(browser)
