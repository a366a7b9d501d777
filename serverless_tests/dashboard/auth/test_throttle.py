"""The sign-in throttle: per account and per client (the address API Gateway saw), in the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dashboard.auth.throttle import LOGIN_ATTEMPTS_PER_MINUTE, client_address, throttled
from serverless_tests.dashboard.conftest import csrf

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize("offset_s", [0.0, 57.0])
def test_throttle_holds_across_a_window_boundary(sqlite_store: Any, offset_s: float) -> None:
    start = 1_800_000_000.0 + offset_s  # 57 s puts the boundary right inside the burst
    verdicts = [throttled(sqlite_store, "ana", "10.0.0.1", start + i) for i in range(12)]
    assert verdicts[:LOGIN_ATTEMPTS_PER_MINUTE] == [False] * LOGIN_ATTEMPTS_PER_MINUTE
    assert all(verdicts[LOGIN_ATTEMPTS_PER_MINUTE:])


# Recorded POST /login events whose X-Forwarded-For starts with an address the client wrote.
FORGED = ["dashboard_post_login_regional_forged_xff.json",
          "dashboard_post_login_http_api_forged_xff.json"]


def lambda_environ(name: str, forwarded_for: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """A recorded event and the WSGI environ Zappa's handler makes of it (event included)."""
    from zappa.wsgi import create_wsgi_request

    event = json.loads((EVENTS / name).read_text())
    if forwarded_for:
        key = "x-forwarded-for" if event.get("version") == "2.0" else "X-Forwarded-For"
        event["headers"][key] = forwarded_for
        event.get("multiValueHeaders", {})[key] = [forwarded_for]
    environ = create_wsgi_request(event, script_name="/dashboard")
    environ["lambda.event"] = event
    return event, environ


@pytest.mark.parametrize("name", [*FORGED, "dashboard_post_login.json"])
def test_the_client_is_the_address_api_gateway_saw(name: str) -> None:
    _, environ = lambda_environ(name)
    assert client_address(environ) == "203.0.113.10"


def test_without_a_lambda_event_the_client_is_the_peer() -> None:
    assert client_address({"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"
    assert client_address({"REMOTE_ADDR": "10.0.0.2", "lambda.event": "not an event"}) \
        == "10.0.0.2"


@pytest.mark.parametrize("name", FORGED)
def test_a_forged_forwarded_for_does_not_escape_the_client_throttle(server: Any,
                                                                     name: str) -> None:
    c = server.test_client()
    token = csrf(c.get("/login").get_data(as_text=True))
    answers = []
    for i in range(LOGIN_ATTEMPTS_PER_MINUTE + 1):
        event, environ = lambda_environ(name, f"198.51.100.{i + 1}, 203.0.113.10")
        assert environ["REMOTE_ADDR"] == f"198.51.100.{i + 1}"  # what Zappa believes
        answers.append(c.post("/login", data={
            "csrf_token": token, "username": f"someone-{i}", "password": "not the password"},
            environ_overrides={"REMOTE_ADDR": environ["REMOTE_ADDR"], "lambda.event": event},
        ).status_code)
    assert answers == [401] * LOGIN_ATTEMPTS_PER_MINUTE + [429]
