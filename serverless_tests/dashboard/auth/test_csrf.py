"""Cross-site requests: a form without this session's token, a post from another site, refused."""

from __future__ import annotations

from typing import Any

import flask
import pytest

from dashboard.auth.csrf import cross_site
from serverless_tests.dashboard.conftest import PASSWORD
from testkit.dashcalls import find


def test_missing_or_wrong_csrf_token_is_refused(server: Any) -> None:
    c = server.test_client()
    c.get("/login")
    response = c.post("/login", data={"csrf_token": "forged", "username": "owner",
                                      "password": PASSWORD})
    assert response.status_code == 400
    assert c.get("/_dash-layout").status_code == 401


def test_a_token_that_is_not_ascii_is_refused_not_a_crash(server: Any) -> None:
    c = server.test_client()
    c.get("/login")
    response = c.post("/login", data={"csrf_token": "jeton-été", "username": "owner",
                                      "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("headers,refused", [
    ({}, False),  # not a browser: it has no one's cookie but its own
    ({"Sec-Fetch-Site": "same-origin"}, False),
    ({"Sec-Fetch-Site": "none"}, False),  # typed by the user
    ({"Sec-Fetch-Site": "cross-site"}, True),
    ({"Sec-Fetch-Site": "same-site"}, True),  # a neighbour under the same domain
    ({"Origin": "http://localhost"}, False),
    ({"Origin": "https://evil.example"}, True),
    ({"Origin": "null"}, True),
    ({"Origin": "https://localhost", "X-Forwarded-Proto": "https"}, False),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, True),
])
def test_cross_site_believes_the_browser(headers: dict[str, str], refused: bool) -> None:
    app = flask.Flask("probe")
    with app.test_request_context("/", method="POST", headers=headers):
        assert cross_site(flask.request) is refused


def sync_now(client: Any, headers: dict[str, str]) -> Any:
    deps = client.get("/_dash-dependencies").get_json()
    dep = find(deps, "overview-sync-message.children")
    return client.post("/_dash-update-component", headers=headers, json={
        "output": dep["output"], "outputs": {"id": "overview-sync-message",
                                             "property": "children"},
        "inputs": [{"id": "overview-sync", "property": "n_clicks", "value": 1}], "state": [],
        "changedPropIds": ["overview-sync.n_clicks"]})


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_sync_now_from_another_site_is_refused(client: Any, store: Any,
                                               headers: dict[str, str]) -> None:
    response = sync_now(client, headers)
    assert response.status_code == 403
    assert store.get_doc("requests", "sync") is None
    assert sync_now(client, {"Origin": "http://localhost",
                             "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert store.get_doc("requests", "sync") is not None
