"""The first-run setup page in headless Chromium: code, owner, Connect through the stand-ins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import settings
from dashboard import data, setup
from dashboard.auth import users
from dashboard.config import from_settings
from serverless_tests.browser import chromium
from serverless_tests.dashboard.conftest import PASSWORD, unconnected_standins

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch, dash_env: None) -> Iterator[Any]:
    """The providers' stand-ins with the client settings a new owner writes in .env."""
    yield from unconnected_standins(monkeypatch, seed=7)


@pytest.fixture
def served(standins: Any) -> Iterator[tuple[str, Any]]:
    """A fresh local install's dashboard on a loopback port, and its (empty) store."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    config = from_settings(settings.get())
    app = create_app(config)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", data.store_for(config)
    http.shutdown()
    thread.join(5)


def test_setup_page_in_a_browser_from_no_owner_to_strava_connected(served, standins) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, store = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    code = setup.new_code(store)
    with chromium() as driver:
        def until(condition: Any) -> Any:
            return WebDriverWait(driver, 20, poll_frequency=0.2).until(condition)

        driver.get(base + "/")  # the dashboard -> sign-in -> setup: no owner yet
        until(ec.presence_of_element_located((By.ID, "setup-code")))
        assert driver.current_url == base + "/setup"
        driver.save_screenshot(str(SHOTS / "setup-1-code.png"))
        driver.find_element(By.ID, "setup-code").send_keys(code)
        driver.find_element(By.ID, "setup-code-submit").click()
        until(ec.presence_of_element_located((By.ID, "setup-username")))
        driver.find_element(By.ID, "setup-username").send_keys("alice")
        driver.find_element(By.ID, "setup-password").send_keys(PASSWORD)
        driver.find_element(By.ID, "setup-password2").send_keys(PASSWORD)
        driver.save_screenshot(str(SHOTS / "setup-2-owner.png"))
        driver.find_element(By.ID, "setup-owner-submit").click()
        until(ec.presence_of_element_located((By.ID, "setup-connect-strava")))
        assert users.list_users(store) == [("alice", "owner")]
        assert driver.find_element(By.ID, "setup-sheets-email").text == \
            standins.google_client_email
        # Connect: to the stand-in's consent page, which sends the browser back here.
        driver.find_element(By.ID, "setup-connect-strava").click()
        until(ec.text_to_be_present_in_element((By.ID, "setup-strava-state"), "connected"))
        assert driver.current_url == base + "/setup?connected=strava"
        assert "Strava is connected" in driver.find_element(By.ID, "setup-message").text
        assert driver.find_element(By.ID, "setup-withings-state").text == "not connected"
        driver.save_screenshot(str(SHOTS / "setup-3-connected.png"))
        assert store.get_doc("token", "strava") is not None
        assert standins.requests("strava", "authorize") == 1
        # The page is the owner's now: a new browser session finds the sign-in, not the form.
        driver.delete_all_cookies()
        driver.get(base + "/setup")
        until(ec.presence_of_element_located((By.ID, "login-submit")))
        assert driver.find_elements(By.ID, "setup-username") == []
