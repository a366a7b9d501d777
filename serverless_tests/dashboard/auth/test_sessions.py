"""Session cookies: their flags, Secure behind HTTPS."""

from __future__ import annotations

from typing import Any

from serverless_tests.dashboard.conftest import PASSWORD, csrf


def test_cookie_is_secure_behind_https(server: Any) -> None:
    c = server.test_client()
    token = csrf(c.get("/login", headers={"X-Forwarded-Proto": "https"}).get_data(as_text=True))
    response = c.post("/login", headers={"X-Forwarded-Proto": "https"}, data={
        "csrf_token": token, "username": "owner", "password": PASSWORD, "next": "/"})
    assert "Secure" in response.headers["Set-Cookie"]
