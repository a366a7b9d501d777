"""The app: /reports.json and the navigation list every registered page."""

from __future__ import annotations

import json
import re
from typing import Any


def test_reports_lists_every_page(client: Any) -> None:
    pages = client.get("/reports.json").get_json()
    paths = {p["path"] for p in pages}
    assert paths == {"/", "/weight", "/running", "/crossfit", "/forecast", "/explore", "/quality",
                     "/entry", "/privacy"}
    assert all(p["title"] and p["description"] for p in pages)


def test_the_navigation_links_every_page_in_its_order(client: Any) -> None:
    layout = json.dumps(client.get("/_dash-layout").get_json())
    links = re.findall(r'"children": "([^"]+)", "id": "app-nav-([a-z]+)", "href": "([^"]+)"',
                       layout)
    assert [(label, href) for label, _, href in links] == [
        ("Overview", "/"), ("Weight", "/weight"), ("Running", "/running"),
        ("Crossfit", "/crossfit"), ("Forecast", "/forecast"), ("Explore", "/explore"),
        ("Data quality", "/quality"), ("Add data", "/entry"), ("Privacy", "/privacy")]
    assert links[0][1] == "overview" and links[-1][1] == "privacy"


def test_an_unknown_bundle_is_not_found(client: Any) -> None:
    response = client.get("/_dash-component-suites/nothing/x.js")
    assert response.status_code == 404
