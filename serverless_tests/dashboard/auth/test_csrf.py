"""CSRF: a sign-in without this session's token is refused."""

from __future__ import annotations

from typing import Any

from serverless_tests.dashboard.conftest import PASSWORD


def test_missing_or_wrong_csrf_token_is_refused(server: Any) -> None:
    c = server.test_client()
    c.get("/login")
    response = c.post("/login", data={"csrf_token": "forged", "username": "owner",
                                      "password": PASSWORD})
    assert response.status_code == 400
    assert c.get("/_dash-layout").status_code == 401
