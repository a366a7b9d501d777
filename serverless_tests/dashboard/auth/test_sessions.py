"""Sessions: cookie flags, and every way a session ends, on every process within seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dashboard.auth import sessions, users
from serverless_tests.dashboard.conftest import PASSWORD, csrf, login, sign_out

COOKIE = "pulseboard_session"


def test_cookie_is_secure_behind_https(server: Any) -> None:
    c = server.test_client()
    token = csrf(c.get("/login", headers={"X-Forwarded-Proto": "https"}).get_data(as_text=True))
    response = c.post("/login", headers={"X-Forwarded-Proto": "https"}, data={
        "csrf_token": token, "username": "owner", "password": PASSWORD, "next": "/"})
    assert "Secure" in response.headers["Set-Cookie"]


def signed_in(server: Any, name: str = "owner") -> tuple[Any, str]:
    """A client signed in as `name`, and its session cookie as a thief would copy it."""
    c = server.test_client()
    assert login(c, name).status_code == 302
    cookie = c.get_cookie(COOKIE)
    assert cookie is not None
    return c, cookie.value


def replay(server: Any, cookie: str) -> int:
    thief = server.test_client()
    thief.set_cookie(COOKIE, cookie)
    return int(thief.get("/_dash-layout").status_code)


def test_a_signed_out_cookie_opens_nothing(server: Any) -> None:
    c, cookie = signed_in(server)
    assert replay(server, cookie) == 200
    assert sign_out(c).status_code == 302
    assert replay(server, cookie) == 401


def test_signing_out_ends_only_that_session(server: Any) -> None:
    phone, _ = signed_in(server)
    laptop, _ = signed_in(server)
    sign_out(phone)
    assert laptop.get("/_dash-layout").status_code == 200


def test_signing_out_everywhere_ends_every_session(server: Any) -> None:
    phone, _ = signed_in(server)
    laptop, cookie = signed_in(server)
    sign_out(phone, everywhere=True)
    assert laptop.get("/_dash-layout").status_code == 401
    assert replay(server, cookie) == 401


def test_sign_out_needs_the_forms_token(client: Any) -> None:
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("change", [
    lambda s: users.passwd(s, "owner", "a brand new password"),
    lambda s: users.set_role(s, "owner", "viewer"),
    lambda s: users.end_sessions(s, "owner"),
    lambda s: users.remove(s, "owner"),
], ids=["password", "role", "signout", "remove"])
def test_a_change_made_elsewhere_ends_the_sessions_within_seconds(
    server: Any, store: Any, monkeypatch: pytest.MonkeyPatch, change: Any,
) -> None:
    monkeypatch.setattr(sessions, "SESSION_CHECK_S", 0.2)
    c, cookie = signed_in(server)
    assert c.get("/_dash-layout").status_code == 200  # this process now remembers the record
    change(store)  # as the CLI, or another Lambda container, does it: straight in the store
    time.sleep(0.3)
    assert c.get("/_dash-layout").status_code == 401
    assert replay(server, cookie) == 401

