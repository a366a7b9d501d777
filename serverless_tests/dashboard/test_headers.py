"""The web's defences: every answer carries them, signed in or not; pages' own scripts only."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

from dashboard.config import DashboardConfig
from dashboard.headers import inline_script_hashes, policy
from serverless_tests.dashboard.conftest import reconfigure

ANONYMOUS = ["/login", "/logout", "/health", "/_dash-layout", "/weight", "/assets/style.css"]
SIGNED_IN = ["/", "/weight?embed=1", "/_dash-layout", "/_dash-dependencies", "/reports.json",
             "/logout"]


def directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


PAGES = {"/", "/weight?embed=1"}  # page shells: the same for everyone, revalidated each time


def check(response: Any, private: bool = True) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = directives(headers["Content-Security-Policy"])
    # OpenStreetMap's tiles need a Referer (its tile policy): only the origin, only with them.
    tiles = "https://tile.openstreetmap.org" in csp["img-src"]
    assert headers["Referrer-Policy"] == (
        "strict-origin-when-cross-origin" if tiles else "same-origin")
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and "'unsafe-inline'" not in csp["script-src"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP: the browser would ignore it
    if private:
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ANONYMOUS)
def test_anonymous_answers_carry_the_headers(server: Any, path: str) -> None:
    check(server.test_client().get(path), private=path != "/assets/style.css")


@pytest.mark.parametrize("path", SIGNED_IN)
def test_signed_in_answers_carry_the_headers(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    check(response, private=path not in PAGES)
    if path in PAGES:
        assert response.headers["Cache-Control"] == "no-cache"


def test_a_shell_is_served_with_its_shell_headers(server: Any, client: Any) -> None:
    from dashboard.config import current
    from dashboard.headers import shell_headers

    response = client.get("/weight")
    page = response.get_data(as_text=True)
    with server.app_context():
        wanted = shell_headers(current(), page)
    assert {k: response.headers[k] for k in wanted} == wanted
    assert set(wanted) == {"Content-Security-Policy", "X-Content-Type-Options",
                           "Referrer-Policy", "Cache-Control"}
    hashes = inline_script_hashes(page)
    assert len(hashes) >= 2  # the shell's script and Dash's renderer start
    assert set(hashes) <= set(directives(wanted["Content-Security-Policy"])["script-src"])
    # Without a session the page is not served: the login page is.
    anonymous = server.test_client().get("/weight")
    assert anonymous.status_code == 302 and anonymous.headers["Cache-Control"] == "no-store"


def test_callback_answers_are_never_cached(client: Any, deps: Any) -> None:
    from testkit.dashcalls import find

    dep = find(deps, "app-data-version.data")
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": {"id": "app-data-version", "property": "data"},
        "inputs": [{"id": "app-live-interval", "property": "n_intervals", "value": 1}],
        "state": [{"id": "app-data-version", "property": "data", "value": None}],
        "changedPropIds": ["app-live-interval.n_intervals"]})
    assert response.status_code == 200
    check(response)


def test_hsts_over_https(server: Any) -> None:
    response = server.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_pages_inline_scripts_are_allowed_by_hash_and_nothing_else(client: Any) -> None:
    response = client.get("/weight")
    page = response.get_data(as_text=True)
    inline = [body for attributes, body in re.findall(
        r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", page, re.S)
        if "application/json" not in attributes]
    assert inline, "Dash writes its renderer's start inline"
    allowed = directives(response.headers["Content-Security-Policy"])["script-src"]
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    assert len(allowed) == 1 + len(inline_script_hashes(page))


def test_embedders_and_the_assets_origin_are_allowed() -> None:
    config = DashboardConfig(store_url="sqlite:///x.db", assets_url="https://cdn.example/p/v1",
                             embed_origins=("https://notes.example.com",))
    csp = directives(policy(config, ["'sha256-abc'"]))
    assert csp["frame-ancestors"] == ["'self'", "https://notes.example.com"]
    assert csp["script-src"] == ["'self'", "https://cdn.example", "'sha256-abc'"]
    assert "https://cdn.example" in csp["style-src"] and "https://cdn.example" in csp["img-src"]


def test_the_running_app_frames_for_the_owners_embedders(client: Any, server: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    reconfigure(server, monkeypatch, embed_origins=("https://notes.example.com",))
    csp = directives(client.get("/weight?embed=1").headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'self'", "https://notes.example.com"]


def test_the_embed_origins_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import settings
    from dashboard.config import from_settings

    monkeypatch.setenv("PULSEBOARD_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("PULSEBOARD_EMBED_ORIGINS", "https://notes.example.com, http://pi:8080")
    settings.reset()
    assert from_settings(settings.get()).embed_origins == ("https://notes.example.com",
                                                           "http://pi:8080")
    monkeypatch.setenv("PULSEBOARD_EMBED_ORIGINS", "https://x.example; script-src *")
    settings.reset()
    with pytest.raises(settings.SettingsError, match="EMBED_ORIGINS"):
        settings.get()
