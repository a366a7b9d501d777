"""The dashboard package behind API Gateway on loopback, in headless Chromium: sign in, open a page,
change a control. Every request goes under the stage's path or to the published assets URL."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy.assets import public_url, upload
from deploy.local_gateway import LocalGateway
from deploy.local_lambda import RESPONSE_LIMIT_BYTES
from serverless_tests.browser import chromium
from serverless_tests.dashboard.test_browser import css, switch_weight_metric, wait
from serverless_tests.serverless.conftest import PASSWORD, Cloud

pytestmark = pytest.mark.browser

STAGE = "dashboard"  # Zappa names the API Gateway stage after its own stage
# The function's reserved concurrency here: more than a page view sends at once, so nothing is
# throttled, as few as a single owner needs.
CONCURRENCY_LIMIT = 10


@pytest.fixture(scope="module")
def assets_url(cloud: Cloud) -> str:
    """`make publish-assets` into this module's bucket prefix on moto, which serves it."""
    upload(cloud.client("s3"), cloud.bucket, cloud.blobs_prefix)
    return public_url(cloud.bucket, cloud.blobs_prefix, "eu-west-1", cloud.endpoint)


@pytest.fixture(scope="module")
def gateway(cloud: Cloud, unpacked: dict[str, Path], assets_url: str) -> Iterator[LocalGateway]:
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
        t0 = time.perf_counter()
        with urllib.request.urlopen(served.url + "health", timeout=120) as answer:
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


def sign_in(browser: Any, gateway: LocalGateway, page: str) -> None:
    browser.get(gateway.url + page)
    wait(browser, lambda d: css(d, "#username"))
    assert urlsplit(browser.current_url).path == f"/{STAGE}/login"
    css(browser, "#username")[0].send_keys("owner")
    css(browser, "#password")[0].send_keys(PASSWORD)
    css(browser, "#login-submit")[0].click()
    wait(browser, lambda d: urlsplit(d.current_url).path == f"/{STAGE}/{page}")


def test_sign_in_page_and_callback_under_the_stage(browser: Any, gateway: LocalGateway,
                                                   assets_url: str) -> None:
    sign_in(browser, gateway, "weight")
    switch_weight_metric(browser)

    urls, statuses = network(browser)
    print("\n".join(f"{statuses.get(u)} {u}" for u in urls))
    elsewhere = [u for u in urls if not u.startswith((gateway.url, assets_url + "/"))]
    assert not elsewhere, f"requests outside the stage and the assets URL: {elsewhere}"
    from_assets = [u for u in urls if u.startswith(assets_url + "/")]
    assert any(u.endswith("/plotly.min.js") for u in from_assets), from_assets
    assert any(u.endswith("/async-graph.js") for u in from_assets), from_assets
    # The callback list, the same for every visitor: from its published copy, not the function.
    assert any("/dash-dependencies/" in u for u in from_assets), from_assets
    assert all(statuses.get(u) == 200 for u in from_assets), statuses
    assert any("_dash-update-component" in u for u in urls)
    # What reached the function: all under the stage, all answered, none of it a bundle.
    seen = [f"{e.method} {e.path} {e.status} {e.response_bytes}" for e in gateway.log]
    print("\n".join(seen))
    assert gateway.log and all(e.path.startswith(f"/{STAGE}/") for e in gateway.log), seen
    assert all(e.status < 400 for e in gateway.log), seen
    assert not [e for e in gateway.log if "_dash-component-suites" in e.path], seen
    assert not [e for e in gateway.log if "_dash-dependencies" in e.path], seen
    # The layout came with the page: a page view is the page and its callbacks.
    assert not [e for e in gateway.log if "_dash-layout" in e.path], seen
    assert max(e.response_bytes for e in gateway.log) < RESPONSE_LIMIT_BYTES // 10


def test_a_cold_visit_to_the_overview(browser: Any, gateway: LocalGateway) -> None:
    """Signed in, after Lambda reclaimed the idle containers: the overview drawn through cold
    ones, each request that found every container busy starting one."""
    if not gateway.log:  # run alone: sign in first
        sign_in(browser, gateway, "weight")
    gateway.containers.reclaim()
    network(browser)  # forget what came before
    before, seen = gateway.cold_starts, len(gateway.log)
    browser.get(gateway.url)
    wait(browser, lambda d: css(d, "#overview-sources") or css(d, "#overview-weight_kg"))
    visit = gateway.log[seen:]
    cold = gateway.cold_starts - before
    print(f"cold visit: {len(visit)} requests reached the function, {cold} cold containers "
          f"started; " + ", ".join(f"{e.method} {e.path} {e.status} c{e.container}"
                                   f"{'*' if e.cold else ''} {e.elapsed_s:.2f}s" for e in visit))
    assert urlsplit(browser.current_url).path == f"/{STAGE}/"
    assert cold >= 1 and all(e.status < 400 for e in visit), visit
    assert not [e for e in visit if "_dash-dependencies" in e.path], visit
    assert [e.path for e in visit if "_dash-update-component" not in e.path] == [f"/{STAGE}/"]
    assert any(e.cold for e in visit)
    assert gateway.containers.throttled == 0
