"""Login, guard, throttling, CSRF, cookies, next-URL checks and /reports.json."""

from __future__ import annotations

from typing import Any

import pytest

import settings
from dashboard.app import ConfigError, safe_next, secret_key
from serverless_tests.dashboard.conftest import PASSWORD, csrf, login


@pytest.mark.parametrize("path", [
    "/_dash-layout", "/_dash-dependencies", "/reports.json",
    "/_dash-component-suites/dash/deps/react@18.3.1.min.js", "/assets/nothing.js",
])
def test_dash_endpoints_answer_401_without_a_session(server: Any, path: str) -> None:
    response = server.test_client().get(path)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_update_component_refused_without_a_session(server: Any) -> None:
    response = server.test_client().post("/_dash-update-component", json={"output": "x.y"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/", "/weight", "/running?embed=1"])
def test_pages_redirect_to_login_with_next(server: Any, path: str) -> None:
    response = server.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")
    assert path.split("?")[0].lstrip("/") in response.headers["Location"]


def test_login_page_and_its_stylesheet_are_public(server: Any) -> None:
    c = server.test_client()
    assert c.get("/login").status_code == 200
    assert c.get("/assets/style.css").status_code == 200


def test_login_then_pages_then_logout(server: Any) -> None:
    c = server.test_client()
    response = login(c, next_url="/running")
    assert response.status_code == 302 and response.headers["Location"] == "/running"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert c.get("/_dash-layout").status_code == 200
    assert c.get("/running").status_code == 200
    assert c.get("/logout").status_code == 302
    assert c.get("/_dash-layout").status_code == 401


def test_cookie_is_secure_behind_https(server: Any) -> None:
    c = server.test_client()
    token = csrf(c.get("/login", headers={"X-Forwarded-Proto": "https"}).get_data(as_text=True))
    response = c.post("/login", headers={"X-Forwarded-Proto": "https"}, data={
        "csrf_token": token, "username": "owner", "password": PASSWORD, "next": "/"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_and_unknown_user_look_alike(server: Any) -> None:
    c = server.test_client()
    a = login(c, password="wrong password!")
    b = login(c, name="nobody", password="wrong password!")
    assert a.status_code == b.status_code == 401
    assert "Wrong user name or password" in a.get_data(as_text=True)
    assert c.get("/_dash-layout").status_code == 401


def test_missing_or_wrong_csrf_token_is_refused(server: Any) -> None:
    c = server.test_client()
    c.get("/login")
    response = c.post("/login", data={"csrf_token": "forged", "username": "owner",
                                      "password": PASSWORD})
    assert response.status_code == 400
    assert c.get("/_dash-layout").status_code == 401


def test_failed_logins_are_throttled_per_account(server: Any) -> None:
    c = server.test_client()
    for _ in range(5):
        assert login(c, password="not it at all").status_code == 401
    # Even the right password waits out the window: the counter lives in the store.
    blocked = login(c)
    assert blocked.status_code == 429
    assert "Wait a minute" in blocked.get_data(as_text=True)


def test_viewer_logs_in_with_its_role(server: Any) -> None:
    c = server.test_client()
    assert login(c, name="viewer").status_code == 302
    layout = str(c.get("/_dash-layout").get_json())
    assert "viewer · viewer" in layout


@pytest.mark.parametrize("target,expected", [
    ("/weight?x=1", "/weight?x=1"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("\\\\evil", "/"), ("javascript:alert(1)", "/"), ("", "/"),
    ("/a/../../b", "/"), ("/ok\r\nSet-Cookie: x", "/"),
])
def test_next_stays_inside_the_app(target: str, expected: str) -> None:
    assert safe_next(target, "/") == expected


def test_next_respects_the_prefix() -> None:
    assert safe_next("/dev/weight", "/dev/") == "/dev/weight"
    assert safe_next("/weight", "/dev/") == "/dev/"


def test_login_redirect_ignores_an_outside_next(server: Any) -> None:
    response = login(server.test_client(), next_url="//evil.example/")
    assert response.headers["Location"] == "/"


def test_secret_key_required_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSEBOARD_SECRET_KEY", raising=False)
    settings.reset()
    with pytest.raises(ConfigError, match="PULSEBOARD_SECRET_KEY"):
        secret_key()
    monkeypatch.setenv("PULSEBOARD_DEMO", "true")
    settings.reset()
    assert len(secret_key()) >= 32


def test_reports_lists_every_page(client: Any) -> None:
    pages = client.get("/reports.json").get_json()
    paths = {p["path"] for p in pages}
    assert paths == {"/", "/weight", "/running", "/crossfit", "/forecast", "/explore", "/quality"}
    assert all(p["title"] and p["description"] for p in pages)


@pytest.mark.parametrize("offset_s", [0.0, 57.0])
def test_throttle_holds_across_a_window_boundary(sqlite_store: Any, offset_s: float) -> None:
    from dashboard.app import LOGIN_ATTEMPTS_PER_MINUTE, throttled

    start = 1_800_000_000.0 + offset_s  # 57 s puts the boundary right inside the burst
    verdicts = [throttled(sqlite_store, "ana", "10.0.0.1", start + i) for i in range(12)]
    assert verdicts[:LOGIN_ATTEMPTS_PER_MINUTE] == [False] * LOGIN_ATTEMPTS_PER_MINUTE
    assert all(verdicts[LOGIN_ATTEMPTS_PER_MINUTE:])
