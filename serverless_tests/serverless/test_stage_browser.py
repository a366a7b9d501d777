"""The dashboard stage as it is deployed, on loopback, in headless Chromium: a CDN (CloudFront's
stand-in, routing by deploy/cdn.py's table) in front of the published pages and scripts on S3
(moto) and of the package behind API Gateway. Sign in, open a page, change a control: every
request goes to the one origin, under the stage's path, and what reaches the function per page
view is the session and the page's data callbacks."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy.assets import page_paths, upload
from deploy.cdn import FUNCTION_ORIGIN, STATIC_ORIGIN, table
from deploy.local_cdn import LocalCdn
from deploy.local_gateway import LocalGateway
from deploy.local_lambda import RESPONSE_LIMIT_BYTES
from serverless_tests.browser import chromium
from serverless_tests.dashboard.test_browser import css, switch_weight_metric, wait
from serverless_tests.serverless.conftest import PASSWORD, Cloud

pytestmark = pytest.mark.browser

STAGE = "dashboard"  # Zappa names the API Gateway stage after its own stage
PREFIX = f"/{STAGE}/"
# The function's reserved concurrency here: more than a page view sends at once, so nothing is
# throttled, as few as a single owner needs.
CONCURRENCY_LIMIT = 10


@pytest.fixture(scope="module")
def cdn(cloud: Cloud) -> Iterator[LocalCdn]:
    """The stage's one origin: its address is the assets URL the function and the shells name
    (the CDN's own `<prefix>static`), so it is made first, routed once the shells are out."""
    made = LocalCdn(PREFIX, f"{cloud.endpoint}/{cloud.bucket}/{cloud.blobs_prefix}")
    with made:
        yield made


@pytest.fixture(scope="module")
def assets_url(cloud: Cloud, cdn: LocalCdn) -> str:
    """`make publish-assets` into this module's bucket prefix on moto (the shells made for this
    stage's settings), and the CDN routed to them by the same table as CloudFront."""
    url = cdn.url + "static"
    env = cloud.env(STAGE, PULSEBOARD_ASSETS_URL=url)
    upload(cloud.client("s3"), cloud.bucket, cloud.blobs_prefix, env)
    cdn.routes = table(PREFIX, page_paths(env))
    return url


@pytest.fixture(scope="module")
def gateway(cloud: Cloud, unpacked: dict[str, Path], assets_url: str,
            cdn: LocalCdn) -> Iterator[LocalGateway]:
    from dashboard.auth import users
    from testkit.athlete import dashboard_records, load

    store = cloud.store()
    load(store, dashboard_records(days=90, seed=5, stream_points=200))
    users.add(store, "owner", PASSWORD, "owner")
    def start() -> Any:
        return cloud.function(unpacked, STAGE, PULSEBOARD_ASSETS_URL=assets_url)

    # Scales as Lambda does: requests that arrive together each start a (cold) container.
    with LocalGateway(None, STAGE, start=start,
                      concurrency_limit=CONCURRENCY_LIMIT) as served:
        cdn.function_url = served.url
        t0 = time.perf_counter()
        with urllib.request.urlopen(cdn.url + "health", timeout=120) as answer:
            assert answer.status == 200  # one warm container, as a visit an hour ago left it
        print(f"first container: started and answered in {time.perf_counter() - t0:.1f} s")
        yield served
        largest = max((f.largest_response_bytes for f in served.containers.all), default=0)
    print(f"largest answer from the function: {largest} bytes; "
          f"{served.cold_starts} containers started")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium that keeps its network log (every request it sends, whatever answers)."""
    with chromium(network_log=True) as driver:
        yield driver


def network(driver: Any) -> tuple[list[str], dict[str, int]]:
    """The URLs the browser sent requests for, and the status each got, since the last call
    (from its DevTools network log)."""
    urls: list[str] = []
    statuses: dict[str, int] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.responseReceived":
            statuses[message["params"]["response"]["url"]] = message["params"]["response"]["status"]
    return [u for u in urls if u.startswith(("http:", "https:"))], statuses


def sign_in(browser: Any, cdn: LocalCdn, page: str) -> None:
    browser.get(cdn.url + page)
    wait(browser, lambda d: css(d, "#username"))
    assert urlsplit(browser.current_url).path == f"/{STAGE}/login"
    css(browser, "#username")[0].send_keys("owner")
    css(browser, "#password")[0].send_keys(PASSWORD)
    css(browser, "#login-submit")[0].click()
    wait(browser, lambda d: urlsplit(d.current_url).path == f"/{STAGE}/{page}")


def test_sign_in_page_and_callback_under_the_stage(browser: Any, cdn: LocalCdn,
                                                   gateway: LocalGateway,
                                                   assets_url: str) -> None:
    sign_in(browser, cdn, "weight")
    switch_weight_metric(browser)

    urls, statuses = network(browser)
    print("\n".join(f"{statuses.get(u)} {u}" for u in urls))
    elsewhere = [u for u in urls if not u.startswith(cdn.url)]
    assert not elsewhere, f"requests outside the stage's one origin: {elsewhere}"
    from_assets = [u for u in urls if u.startswith(assets_url + "/")]
    assert any(u.endswith("/plotly.min.js") for u in from_assets), from_assets
    assert any(u.endswith("/async-graph.js") for u in from_assets), from_assets
    # The callback list, the same for every visitor: from its published copy, not the function.
    assert any("/dash-dependencies/" in u for u in from_assets), from_assets
    assert all(statuses.get(u) in (200, 304) for u in from_assets), statuses
    assert any("_dash-update-component" in u for u in urls)
    # The CDN answered the page and the scripts from S3; the function only the rest.
    served = {(e.path, e.origin) for e in cdn.log}
    assert (f"{PREFIX}weight", STATIC_ORIGIN) in served, cdn.log
    assert not [e for e in cdn.log if e.origin == FUNCTION_ORIGIN and e.role != "function"]
    # The shell's headers, kept on its object, reach the browser as headers.
    with urllib.request.urlopen(cdn.url + "weight", timeout=30) as answer:
        assert "script-src" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert not [h for h in answer.headers if h.lower().startswith("x-amz-meta-")]
    # What reached the function: all under the stage, all answered, none of it a page's shell,
    # a bundle, the callback list or the layout.
    seen = [f"{e.method} {e.path} {e.status} {e.response_bytes}" for e in gateway.log]
    print("\n".join(seen))
    assert gateway.log and all(e.path.startswith(PREFIX) for e in gateway.log), seen
    assert all(e.status < 400 or e.path.endswith("_pulseboard/session") for e in gateway.log), seen
    for static in ("_dash-component-suites", "_dash-dependencies", "_dash-layout", "/static/"):
        assert not [e for e in gateway.log if static in e.path], seen
    assert f"GET {PREFIX}weight" not in [f"{e.method} {e.path}" for e in gateway.log], seen
    assert max(e.response_bytes for e in gateway.log) < RESPONSE_LIMIT_BYTES // 10


def test_a_page_view_reaches_the_function_once_besides_its_callbacks(
        browser: Any, cdn: LocalCdn, gateway: LocalGateway) -> None:
    """Signed in, each page: what reaches the function is at most one request (the session)
    besides the page's data callbacks; the shell, scripts and callback list come from S3."""
    if not gateway.log:  # run alone: sign in first
        sign_in(browser, cdn, "weight")
    for page in ("", "weight", "running", "crossfit", "forecast", "explore", "quality"):
        time.sleep(0.5)  # the previous page's requests are over
        since = len(cdn.log)
        browser.get(cdn.url + page)
        wait(browser, lambda d: css(d, ".page-title") and not css(
            d, "[data-dash-is-loading='true']"), timeout_s=60)
        time.sleep(0.5)
        calls = cdn.reaching_function(since)
        others = [e for e in calls if "_dash-update-component" not in e.path]
        print(f"{page or 'overview'}: {len(calls)} requests reached the function: "
              + ", ".join(f"{e.method} {e.path} {e.status}" for e in calls))
        assert len(others) <= 1, others
        assert calls and all(e.status < 400 for e in calls), calls  # answered, none refused
        shells = [e for e in cdn.log[since:] if e.role == "shell"]
        assert [e.origin for e in shells] == [STATIC_ORIGIN], cdn.log[since:]


def test_a_cold_visit_to_the_overview(browser: Any, cdn: LocalCdn,
                                      gateway: LocalGateway) -> None:
    """Signed in, after Lambda reclaimed the idle containers: the overview drawn through cold
    ones, each request that found every container busy starting one."""
    if not gateway.log:  # run alone: sign in first
        sign_in(browser, cdn, "weight")
    gateway.containers.reclaim()
    network(browser)  # forget what came before
    before, seen, since = gateway.cold_starts, len(gateway.log), len(cdn.log)
    browser.get(cdn.url)
    wait(browser, lambda d: css(d, "#overview-sources") or css(d, "#overview-weight_kg"))
    visit = gateway.log[seen:]
    cold = gateway.cold_starts - before
    print(f"cold visit: {len(visit)} requests reached the function, {cold} cold containers "
          f"started; " + ", ".join(f"{e.method} {e.path} {e.status} c{e.container}"
                                   f"{'*' if e.cold else ''} {e.elapsed_s:.2f}s" for e in visit)
          + f"; the CDN answered {len(cdn.log) - since - len(visit)} from S3 or its edge")
    assert urlsplit(browser.current_url).path == PREFIX
    assert cold >= 1 and all(e.status < 400 for e in visit), visit
    assert not [e for e in visit if "_dash-dependencies" in e.path], visit
    assert [e.path for e in visit if "_dash-update-component" not in e.path] == [
        f"{PREFIX}_pulseboard/session"], visit
    assert any(e.cold for e in visit)
    assert gateway.containers.throttled == 0
