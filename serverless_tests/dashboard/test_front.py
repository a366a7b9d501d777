"""The front (dashboard/front.py): the sign-in pages without Dash, the rest by the full server, one
session for both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from dashboard import front
from dashboard.auth import login as login_mod
from dashboard.config import ConfigError, DashboardConfig
from serverless_tests.dashboard.conftest import PASSWORD, login, sign_out

ROOT = Path(__file__).resolve().parents[2]
ASSETS = "https://assets.example.test/v1/static"


@pytest.fixture
def through_front(store: Any, config: DashboardConfig) -> front.Front:
    return front.Front(config, "/")


def test_signing_in_at_the_front_opens_the_full_servers_pages(through_front: front.Front) -> None:
    c = Client(through_front)
    response = login(c, next_url="/weight")
    assert response.status_code == 302 and response.headers["Location"] == "/weight"
    assert "pulseboard_session=" in response.headers["Set-Cookie"]
    layout = c.get("/_dash-layout")
    assert layout.status_code == 200 and through_front.built
    assert "owner · owner" in str(layout.get_json())
    assert c.get("/weight").status_code == 200
    # Signing out at the front ends the session the full server reads.
    assert sign_out(c).status_code == 302
    assert c.get("/_dash-layout").status_code == 401


def test_a_visitor_without_a_session_is_answered_as_the_guard_answers(
        through_front: front.Front, server: Any) -> None:
    for path in ("/", "/weight?embed=1", "/_dash-layout", "/reports.json"):
        by_front = Client(through_front).get(path)
        by_full = server.test_client().get(path)
        assert (by_front.status_code, by_front.headers.get("Location")) == (
            by_full.status_code, by_full.headers.get("Location")), path
        assert by_front.get_json(silent=True) == by_full.get_json(silent=True)
    posted = Client(through_front).post("/_dash-update-component", json={"output": "x.y"},
                                        headers={"Sec-Fetch-Site": "cross-site"})
    assert posted.status_code == 403 and posted.get_json()["error"] == "cross_site"


@pytest.mark.parametrize("asked", ["/weight?embed=1", "/running", "//evil.example/x", ""])
def test_the_session_request_without_a_session_is_answered_as_the_full_server_does(
        through_front: front.Front, server: Any, asked: str) -> None:
    from dashboard import session

    assert session.ROUTE == front.SESSION_PATH
    by_front = Client(through_front).get(front.SESSION_PATH, query_string={"path": asked})
    by_full = server.test_client().get(front.SESSION_PATH, query_string={"path": asked})
    assert by_front.status_code == by_full.status_code == 401
    assert by_front.get_json() == by_full.get_json()
    assert by_front.headers["Cache-Control"] == by_full.headers["Cache-Control"] == "no-store"
    assert not through_front.built
    signed_in = Client(through_front)
    assert login(signed_in).status_code == 302
    assert signed_in.get(front.SESSION_PATH, query_string={"path": asked}).status_code == 200
    assert through_front.built


def test_wrong_passwords_and_the_throttle_at_the_front(through_front: front.Front) -> None:
    c = Client(through_front)
    wrong = login(c, password="wrong password!")
    unknown = login(c, name="nobody", password="wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password" in wrong.get_data(as_text=True)
    for _ in range(3):
        assert login(c, password="not it at all").status_code == 401
    assert login(c).status_code == 429
    stale = c.post("/login", data={"csrf_token": "made-up", "username": "owner",
                                   "password": PASSWORD})
    assert stale.status_code == 400 and "form expired" in stale.get_data(as_text=True)


def test_the_fronts_answers_carry_the_same_headers(through_front: front.Front,
                                                       server: Any) -> None:
    by_front = Client(through_front).get("/login", headers={"Accept-Encoding": "gzip"})
    by_full = server.test_client().get("/login", headers={"Accept-Encoding": "gzip"})
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                 "Cache-Control", "Vary"):
        assert by_front.headers.get(name) == by_full.headers.get(name), name
    # The page is under compression's threshold: that it was asked shows in Vary.
    assert "Accept-Encoding" in by_front.headers["Vary"]
    assert "default-src 'self'" in by_front.headers["Content-Security-Policy"]
    assert Client(through_front).get("/health").get_json() == {"ok": True}


def test_the_login_page_links_what_the_built_app_links(
        through_front: front.Front, config: DashboardConfig) -> None:
    import dash

    from dashboard import app

    server, _ = app.build(config)
    with server.test_request_context("/login"):
        assert login_mod.asset_urls("", "/") == (dash.get_asset_url("style.css"), "")
    page = Client(through_front).get("/login").get_data(as_text=True)
    assert 'href="/assets/style.css"' in page and 'rel="icon"' not in page


@pytest.mark.parametrize(("env", "prefix"), [
    ({}, "/"),
    ({"DASH_REQUESTS_PATHNAME_PREFIX": "/dashboard/"}, "/dashboard/"),
    ({"DASH_URL_BASE_PATHNAME": "/dev/"}, "/dev/"),
    ({"DASH_ROUTES_PATHNAME_PREFIX": "/r/"}, "/r/"),
    ({"DASH_APP_NAME": "board"}, "/board/"),
])
def test_the_prefix_is_the_one_dash_works_out(monkeypatch: pytest.MonkeyPatch,
                                              env: dict[str, str], prefix: str) -> None:
    from dash._configs import pathname_configs

    for name in ("DASH_REQUESTS_PATHNAME_PREFIX", "DASH_URL_BASE_PATHNAME",
                 "DASH_ROUTES_PATHNAME_PREFIX", "DASH_APP_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert front.requests_prefix(env) == prefix == pathname_configs()[2]


def test_a_front_under_another_prefix_than_dash_refuses_to_hand_over(
        store: Any, config: DashboardConfig) -> None:
    other = front.Front(config, "/elsewhere/")
    with pytest.raises(ConfigError, match="DASH_REQUESTS_PATHNAME_PREFIX"):
        other.full()


def test_the_collector_runs_again_whatever_the_build_did() -> None:
    import gc

    with pytest.raises(RuntimeError), front.collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the build failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with front.collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_both_entries_serve_from_the_settings(store: Any, config: DashboardConfig,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Zappa's `dashboard.front.app` and WSGI servers' `dashboard.app.server`: one full server."""
    from dashboard import app as full

    monkeypatch.setattr(front, "_fronts", {})
    entry = front.app
    assert isinstance(entry, front.Front) and entry is front.app
    assert entry.config == config and Client(entry).get("/health").status_code == 200
    assert entry.full() is full.server
    assert full.server.test_client().get("/login").status_code == 200


# In a fresh interpreter, as a cold Lambda container: the sign-in pages and the guard's answers
# import neither Dash nor the pages; the first signed-in request builds them.
COLD = r"""
import json, sys
from werkzeug.test import Client
from dashboard import front
app = front.app
c = Client(app)
seen = {}
page = c.get("/login?next=/weight")
seen["login"] = page.status_code
seen["redirect"] = c.get("/weight").headers.get("Location")
seen["health"] = c.get("/health").status_code
seen["layout_without_session"] = c.get("/_dash-layout").status_code
seen["session_without_one"] = c.get("/_pulseboard/session?path=/weight").get_json()["login"]
import re
token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
seen["post"] = c.post("/login", data={"csrf_token": token, "username": "ann",
                                      "password": "password-123", "next": "/weight"}).status_code
seen["dash_before"] = sorted(m for m in sys.modules if m.split(".")[0] in ("dash", "pandas"))[:3]
seen["built_before"] = app.built
seen["layout"] = c.get("/_dash-layout").status_code
seen["built_after"] = app.built
seen["dash_after"] = "dash" in sys.modules
import gc
seen["collector"] = [gc.isenabled(), gc.get_freeze_count()]
import dash
from dashboard import app as full, auth
with full.build()[0].test_request_context("/login"):
    seen["links"] = [auth.login.asset_urls(full.build()[1].assets_url, "/"),
                     [dash.get_asset_url("style.css"), full.build()[1].favicon_url()]]
seen["page_links"] = [u in page.get_data(as_text=True) for u in seen["links"][1]]
print(json.dumps(seen))
"""


def test_a_cold_front_signs_in_without_building_dash(tmp_path: Path) -> None:
    from dashboard.auth import users
    from storage import open_store

    db = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(db)
    users.add(store, "ann", "password-123", "owner")
    store.close()
    env = {**os.environ, "PULSEBOARD_STORE": db, "PULSEBOARD_DATA_DIR": str(tmp_path),
           "PULSEBOARD_SECRET_KEY": "k" * 32, "PULSEBOARD_ASSETS_URL": ASSETS}
    env.pop("DASH_REQUESTS_PATHNAME_PREFIX", None)
    out = subprocess.run([sys.executable, "-c", COLD], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["login"] == 200 and seen["health"] == 200 and seen["post"] == 302
    assert seen["redirect"] == "/login?next=/weight"
    assert seen["layout_without_session"] == 401
    assert seen["session_without_one"] == "/login?next=/weight"
    assert seen["dash_before"] == [] and seen["built_before"] is False
    assert seen["layout"] == 200 and seen["built_after"] is True and seen["dash_after"] is True
    # The collector, paused for the build, runs again; what the build made is out of its sight.
    enabled, frozen = seen["collector"]
    assert enabled is True and frozen > 100_000
    # Published: the stylesheet and Dash's icon, where the built app links them.
    links, expected = seen["links"]
    assert links == expected and expected[0].startswith(ASSETS)
    assert seen["page_links"] == [True, True]
