"""dashboard/setup.py: the first-run page (code, owner, then gone) and the OAuth round trip."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flask
import pytest
import requests

import settings
from dashboard import data, setup
from dashboard.auth import users
from dashboard.config import DashboardConfig, from_settings
from serverless_tests.dashboard.conftest import PASSWORD, csrf, login, unconnected_standins


@pytest.fixture
def empty(dash_env: None) -> tuple[DashboardConfig, Any]:
    """A fresh local install: the settings' config and an empty store (no user at all)."""
    config = from_settings(settings.get())
    return config, data.store_for(config)


@pytest.fixture
def server(empty: tuple[DashboardConfig, Any]) -> flask.Flask:
    from dashboard.app import create_app

    return create_app(empty[0])


@pytest.fixture
def store(empty: tuple[DashboardConfig, Any]) -> Any:
    return empty[1]


def _form(client: Any, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return csrf(answer.get_data(as_text=True))


def _claim(client: Any, store: Any, name: str = "alice") -> Any:
    """The new owner's way through: the code `pulseboard up` printed, then the account."""
    code = setup.new_code(store)
    answer = client.post("/setup/code", data={"csrf_token": _form(client, "/setup"),
                                              "code": code})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    token = _form(client, "/setup")
    return client.post("/setup/owner", data={"csrf_token": token, "username": name,
                                             "password": PASSWORD, "password2": PASSWORD})


def test_no_owner_sends_sign_in_to_setup_which_asks_for_the_code(server, store) -> None:
    client = server.test_client()
    answer = client.get("/login")
    assert answer.status_code == 302 and answer.headers["Location"] == "/setup"
    page = client.get("/setup").get_data(as_text=True)
    assert 'id="setup-code"' in page and "pulseboard up" in page
    # The rest of the dashboard is still behind the login.
    assert client.get("/").status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_the_printed_address_carries_the_code_and_only_the_newest_works(server, store) -> None:
    old = setup.new_code(store)
    code = setup.new_code(store)  # a restart of `pulseboard up` prints a new one
    client = server.test_client()
    stale = client.get(f"/setup?code={old}")
    assert stale.status_code == 403 and "no longer" in stale.get_data(as_text=True)
    answer = client.get(f"/setup?code={code}")
    assert answer.status_code == 302 and answer.headers["Location"] == "/setup"
    assert 'id="setup-username"' in client.get("/setup").get_data(as_text=True)
    assert 'id="setup-username"' not in server.test_client().get("/setup").get_data(
        as_text=True)  # another browser has not shown the code


def test_a_wrong_code_or_none_creates_nothing(server, store) -> None:
    client = server.test_client()
    setup.new_code(store)
    token = _form(client, "/setup")
    answer = client.post("/setup/code", data={"csrf_token": token, "code": "guessed"})
    assert answer.status_code == 403 and "not the setup code" in answer.get_data(as_text=True)
    answer = client.post("/setup/owner", data={"csrf_token": token, "username": "mallory",
                                               "password": PASSWORD, "password2": PASSWORD})
    assert answer.status_code == 403
    answer = client.post("/setup/code", data={"csrf_token": "forged", "code": "x"})
    assert answer.status_code == 400
    assert users.list_users(store) == []


def test_the_owner_is_created_signed_in_and_the_form_is_gone_for_good(server, store) -> None:
    client = server.test_client()
    code = setup.new_code(store)
    client.post("/setup/code", data={"csrf_token": _form(client, "/setup"), "code": code})
    token = _form(client, "/setup")
    differ = client.post("/setup/owner", data={"csrf_token": token, "username": "alice",
                                               "password": PASSWORD, "password2": "other pw!"})
    assert differ.status_code == 400 and "differ" in differ.get_data(as_text=True)
    short = client.post("/setup/owner", data={"csrf_token": token, "username": "alice",
                                              "password": "short", "password2": "short"})
    assert short.status_code == 400 and "at least 8" in short.get_data(as_text=True)
    made = client.post("/setup/owner", data={"csrf_token": token, "username": "alice",
                                             "password": PASSWORD, "password2": PASSWORD})
    assert made.status_code == 302 and made.headers["Location"] == "/setup"
    assert users.list_users(store) == [("alice", "owner")]
    assert users.verify(store, "alice", PASSWORD) is not None  # argon2, as the CLI makes it
    assert store.get_doc(setup.SPACE, setup.CODE_KEY) is None  # the code is spent
    page = client.get("/setup").get_data(as_text=True)
    assert "Signed in as alice (owner)" in page and 'id="setup-strava"' in page
    assert client.get("/").status_code == 200  # signed in: the dashboard itself

    # Anyone else, later, even holding an old code: no form, only the sign-in.
    stranger = server.test_client()
    assert stranger.get("/setup").status_code == 302  # to the sign-in page
    assert stranger.get("/login").status_code == 200
    answer = stranger.post("/setup/owner", data={"csrf_token": "x", "username": "mallory",
                                                 "password": PASSWORD, "password2": PASSWORD})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert stranger.post("/setup/code", data={"code": code}).status_code == 302
    users.add(store, "viewer", PASSWORD, "viewer")
    assert login(stranger, "viewer").status_code == 302
    assert stranger.get("/setup").status_code == 404
    assert stranger.post("/setup/owner", data={"csrf_token": "x"}).status_code == 404
    assert users.list_users(store) == [("alice", "owner"), ("viewer", "viewer")]


def test_a_cloud_install_has_no_setup_page(server, store, empty,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    probe = flask.Flask("probe")
    setup.configure(probe, replace(empty[0], store_url="dynamodb://pulseboard"))
    assert probe.config[setup.CONFIG_KEY] == setup.SetupConfig()
    setup.configure(probe, replace(empty[0], assets_url="https://cdn.example.com/a"))
    assert probe.config[setup.CONFIG_KEY].local is False
    monkeypatch.setitem(server.config, setup.CONFIG_KEY, setup.SetupConfig())
    client = server.test_client()
    setup.new_code(store)
    assert client.get("/login").status_code == 200  # no redirect to a setup page
    assert client.get("/setup").status_code == 302  # behind the login like any path
    assert client.post("/setup/code", data={"code": "x"}).status_code == 302
    users.add(store, "owner", PASSWORD, "owner")
    assert login(client, "owner").status_code == 302
    assert client.get("/setup").status_code == 404
    assert client.get("/oauth/strava/callback?code=x&state=y").status_code == 404


def test_the_sheet_step_names_the_service_account_or_what_to_configure(tmp_path: Path) -> None:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account",
                               "client_email": "pulse@proj.iam.gserviceaccount.com"}))
    assert setup.service_account_email(key) == ("pulse@proj.iam.gserviceaccount.com", "")
    assert "PULSEBOARD_GOOGLE_CREDENTIALS" in setup.service_account_email(None)[1]
    key.write_text("{not json")
    assert "not a readable service-account key file" in setup.service_account_email(key)[1]
    key.write_text(json.dumps({"type": "authorized_user"}))
    assert "names no client_email" in setup.service_account_email(key)[1]


# --- the OAuth round trip against the stand-ins -------------------------------------------

@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch, dash_env: None) -> Iterator[Any]:
    """The providers' stand-ins, configured as a new owner would: client ids and secrets in the
    settings, no refresh token (that is what Connect brings)."""
    yield from unconnected_standins(monkeypatch, seed=5)


@pytest.fixture
def owner(standins: Any) -> Any:
    """A signed-in owner's client on an app configured for the stand-ins."""
    from dashboard.app import create_app

    config = from_settings(settings.get())
    app = create_app(config)
    users.add(data.store_for(config), "owner", PASSWORD, "owner")
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def _start_connect(client: Any, name: str) -> str:
    page = client.get("/setup").get_data(as_text=True)
    found = re.search(rf'id="setup-connect-{name}" href="([^"]+)"', page)
    assert found, page
    answer = client.get(html.unescape(found.group(1)))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return str(answer.headers["Location"])


def _consent(authorize_url: str) -> str:
    """The provider's consent page, agreed to: the address it sends the browser back to."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("name", ["strava", "withings"])
def test_connect_round_trip_lands_on_the_dashboard_and_a_sync_works(owner, standins,
                                                                    name: str) -> None:
    from collectors.edge import sync_source

    authorize = _start_connect(owner, name)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(standins.base_url)
    assert query["redirect_uri"] == [f"http://localhost/oauth/{name}/callback"]
    back = _consent(authorize)
    assert back.startswith(f"http://localhost/oauth/{name}/callback?")
    answer = owner.get(_local(back))
    assert answer.status_code == 302 and answer.headers["Location"] == f"/setup?connected={name}"
    store = data.store_for(from_settings(settings.get()))
    token = store.get_doc("token", name)
    assert token is not None
    assert token.data["refresh_token"] == standins.current_refresh_token(name)
    page = owner.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'id="setup-{name}-state">connected<' in page and "is connected" in page
    asked = store.get_doc("requests", "sync")  # "Sync now", for the scheduler's next tick
    assert asked is not None and asked.data["requested_by"] == "owner"
    standins.clear_log()
    assert sync_source(name, store, None).outcome == "complete"
    assert standins.requests(name, "token") == 0  # the stored token was used as it was
    kind = "activities" if name == "strava" else "measurements"
    assert store.count(kind, "" if name == "strava" else "weight_kg") > 0


def test_a_callback_with_another_state_is_refused_and_the_state_is_single_use(
        owner, standins) -> None:
    back = _consent(_start_connect(owner, "strava"))
    forged = back.replace("state=", "state=x")
    answer = owner.get(_local(forged))
    assert answer.status_code == 400
    assert "does not belong to a Connect started here" in answer.get_data(as_text=True)
    # The genuine answer after that is refused too: the Connect it belonged to is spent.
    assert owner.get(_local(back)).status_code == 400
    store = data.store_for(from_settings(settings.get()))
    assert store.get_doc("token", "strava") is None
    # A callback nobody started (no Connect in this session) is refused the same way.
    assert owner.get("/oauth/strava/callback?code=abc&state=abc").status_code == 400


def test_denied_and_refused_codes_say_what_happened(owner, standins) -> None:
    state = parse_qs(urlsplit(_start_connect(owner, "withings")).query)["state"][0]
    answer = owner.get(f"/oauth/withings/callback?error=access_denied&state={state}")
    assert answer.status_code == 400
    assert "did not grant access (access_denied)" in answer.get_data(as_text=True)
    state = parse_qs(urlsplit(_start_connect(owner, "strava")).query)["state"][0]
    answer = owner.get(f"/oauth/strava/callback?code=not-a-code&state={state}")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 502 and "refused the authorization code" in text
    assert "press Connect again" in text
    store = data.store_for(from_settings(settings.get()))
    assert store.get_doc("token", "strava") is None and store.get_doc("token", "withings") is None


def test_connect_is_the_owners_and_needs_the_client_settings(owner, standins,
                                                              monkeypatch) -> None:
    server = owner.application
    config = server.config[setup.CONFIG_KEY]
    strava = replace(config.oauth["strava"], client_id="")
    monkeypatch.setitem(server.config, setup.CONFIG_KEY,
                        replace(config, oauth={**config.oauth, "strava": strava}))
    page = owner.get("/setup").get_data(as_text=True)
    assert 'id="setup-strava-state">not configured<' in page
    assert "PULSEBOARD_STRAVA_CLIENT_ID" in page and "/oauth/strava/callback" in page
    found = re.search(r'id="setup-connect-withings" href="[^"]*csrf_token=([^"&]+)"', page)
    assert found, page
    token = found.group(1)
    answer = owner.get(f"/setup/connect/strava?csrf_token={token}")
    assert answer.status_code == 400 and "not configured" in answer.get_data(as_text=True)
    assert owner.get(f"/setup/connect/nosuch?csrf_token={token}").status_code == 404
    # A link another site made (it cannot know the session's token) starts nothing.
    assert owner.get("/setup/connect/withings?csrf_token=x").status_code == 400
    assert owner.get("/setup/connect/withings").status_code == 400
    viewer = server.test_client()
    store = data.store_for(from_settings(settings.get()))
    users.add(store, "viewer", PASSWORD, "viewer")
    assert login(viewer, "viewer").status_code == 302
    assert viewer.get("/setup/connect/withings").status_code == 404
    assert viewer.get("/oauth/withings/callback?code=x&state=y").status_code == 404
    anonymous = server.test_client()
    assert anonymous.get("/oauth/withings/callback?code=x&state=y").status_code == 302
    # The sheet step names the stand-ins' service account to share the sheet with.
    assert f'id="setup-sheets-email">{standins.google_client_email}<' in page
