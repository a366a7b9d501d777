"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, a fresh profile,
no background traffic. Missing browsers skip the tests on a laptop and fail them in CI."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from serverless_tests.conftest import in_ci

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@contextmanager
def chromium(network_log: bool = False) -> Iterator[Any]:
    """A Chromium webdriver; with `network_log` it keeps the performance log (every request)."""
    if not (CHROMIUM and CHROMEDRIVER):
        if in_ci():
            pytest.fail("chromium and chromedriver are required in CI (apt install chromium "
                        "chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="pulseboard-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--enable-unsafe-swiftshader", "--window-size=1280,900",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
