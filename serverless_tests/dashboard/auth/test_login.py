"""The sign-in page and the guard: every route needs a session, next URLs stay inside the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dashboard.auth.login import safe_next
from serverless_tests.dashboard.conftest import login, sign_out


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
    assert sign_out(c).status_code == 302
    assert c.get("/_dash-layout").status_code == 401


def test_wrong_password_and_unknown_user_look_alike(server: Any) -> None:
    c = server.test_client()
    a = login(c, password="wrong password!")
    b = login(c, name="nobody", password="wrong password!")
    assert a.status_code == b.status_code == 401
    assert "Wrong user name or password" in a.get_data(as_text=True)
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


def test_a_link_to_logout_signs_nobody_out(client: Any) -> None:
    # Any site can make a browser follow a link; only the page's form (a post) signs out.
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("length", [65, 200_000])
def test_over_long_names_are_refused_before_anything_is_counted(
    server: Any, store: Any, monkeypatch: pytest.MonkeyPatch, length: int,
) -> None:
    counted: list[str] = []
    monkeypatch.setattr(store, "hit", lambda key, *a, **k: counted.append(key) or 1)
    response = login(server.test_client(), name="o" * length)
    assert response.status_code == 400
    assert "at most 64 characters" in response.get_data(as_text=True)
    assert counted == []


def test_a_flood_of_long_names_leaves_the_store_as_it_was(server: Any, store: Any,
                                                         config: Any) -> None:
    db = Path(config.store_url.removeprefix("sqlite:///"))

    def size() -> int:  # the database and its write-ahead log
        return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))

    before = size()
    c = server.test_client()
    for i in range(20):
        login(c, name=f"{i}" + "x" * 200_000)
    assert size() - before < 1_000_000
