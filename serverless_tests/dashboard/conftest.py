"""Dashboard fixtures: a store with a synthetic athlete, users, and a logged-in test client."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from flask import Flask

import settings
from dashboard import data
from dashboard.auth import users
from dashboard.config import CONFIG_KEY, DashboardConfig, from_settings
from testkit.athlete import dashboard_records, load

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def records() -> dict[str, list[Any]]:
    return dashboard_records(days=150)


@pytest.fixture
def dash_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSEBOARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    settings.reset()


@pytest.fixture
def config(dash_env: None) -> DashboardConfig:
    """The dashboard's config from this test's settings (its own data dir and store)."""
    return from_settings(settings.get())


@pytest.fixture
def store(config: DashboardConfig, records: dict[str, list[Any]]) -> Any:
    """The store the dashboard reads, holding the athlete, an owner and a viewer."""
    s = data.store_for(config)
    load(s, records)
    users.add(s, "owner", PASSWORD, "owner")
    users.add(s, "viewer", PASSWORD, "viewer")
    return s


@pytest.fixture
def server(store: Any, config: DashboardConfig) -> Flask:
    from dashboard.app import create_app

    return create_app(config)


def unconnected_standins(monkeypatch: pytest.MonkeyPatch, seed: int) -> Iterator[Any]:
    """The providers' stand-ins, configured as a new owner would: client ids and secrets in the
    settings, no refresh token (that is what Connect brings)."""
    from demo.athlete import Athlete
    from demo.standins import StandIns

    athlete = Athlete.generate(seed=seed, years=0.04, end=date(2026, 11, 20))
    with StandIns(athlete) as running:
        for name, value in running.env().items():
            if not name.endswith("_REFRESH_TOKEN"):
                monkeypatch.setenv(name, value)
        settings.reset()
        yield running
    settings.reset()


def reconfigure(server: Flask, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """The running app with some of its config changed, for this test only."""
    monkeypatch.setitem(server.config, CONFIG_KEY, replace(server.config[CONFIG_KEY], **changes))


def csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, "login form has no CSRF token"
    return found.group(1)


def login(client: Any, name: str = "owner", password: str = PASSWORD, next_url: str = "/") -> Any:
    token = csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": name,
                                       "password": password, "next": next_url})


def sign_out(client: Any, everywhere: bool = False) -> Any:
    """Signs out the way the page's form does: a post with the session's CSRF token."""
    token = csrf(client.get("/logout").get_data(as_text=True))
    form = {"csrf_token": token, **({"everywhere": "1"} if everywhere else {})}
    return client.post("/logout", data=form)


@pytest.fixture
def client(server: Flask) -> Any:
    c = server.test_client()
    assert login(c).status_code == 302
    return c


@pytest.fixture
def deps(client: Any) -> list[dict[str, Any]]:
    return client.get("/_dash-dependencies").get_json()


@pytest.fixture
def fake_api() -> Iterator[dict[str, Any]]:
    """A stand-in for the forecast API on a loopback port; `state["mode"]` picks its answer."""
    from werkzeug.serving import make_server

    state: dict[str, Any] = {"mode": "ok", "seen": []}
    app = Flask("fake_api")

    @app.get("/forecast")
    def forecast() -> Any:
        from flask import request

        state["seen"].append({"args": dict(request.args),
                              "key": request.headers.get("X-Api-Key")})
        if state["mode"] == "no_model":
            return {"error": "no_model", "message": "no model trained yet"}, 503
        if state["mode"] == "bad":
            return {"error": "invalid_parameter", "field": "weeks", "message": "too many"}, 400
        weeks = int(request.args["weeks"])
        per_week = {"weight_kg": -0.2, "fat_ratio_pct": -0.1}
        return {"weeks": weeks, "per_week": per_week,
                "total": {k: v * weeks for k, v in per_week.items()},
                "start": None, "end": {"weight_kg": 80.0, "fat_ratio_pct": 20.0},
                "model": {"version": "v-test-1", "trained_at": "2026-11-01T00:00:00Z", "k": 5,
                          "cv_mae": {"weight_kg": 0.31, "fat_ratio_pct": 0.2},
                          "baseline_mae": {"weight_kg": 0.45, "fat_ratio_pct": 0.3}}}

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{http.server_port}"
    yield state
    http.shutdown()
    thread.join(5)
