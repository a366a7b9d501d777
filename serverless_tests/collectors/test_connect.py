"""`connect`: the first OAuth authorization of each source that has one, on a loopback redirect."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

import settings
from collectors import sources
from collectors.common import SyncError
from collectors.connect import connect
from collectors.tokens import Token


def connect_as(name: str, store: Any, **options: Any) -> Token:
    """connect() as the CLI calls it: the source's config read from the settings."""
    source = sources.get(name)
    return connect(source, source.configure(settings.get()), store, **options)


@pytest.mark.parametrize("source", ["strava", "withings"])
def test_connect_catches_the_redirect_and_stores_the_tokens(sqlite_store, standins, source):
    said: list[str] = []
    # The "browser": follows the consent page's redirect back to the loopback catcher.
    token = connect_as(source, sqlite_store, port=0, open_browser=lambda url: requests.get(url,
                    timeout=10), out=said.append, timeout_s=10)
    doc = sqlite_store.get_doc("token", source)
    assert doc is not None
    assert doc.data["refresh_token"] == token.refresh_token == \
        standins.current_refresh_token(source)
    assert doc.data["access_token"] == token.access_token
    assert any("/authorize" in line or "authorize2" in line for line in said)
    assert standins.requests(source, "authorize") == 1
    # Connected: a sync needs no setting-seeded token and no refresh.
    from collectors.edge import sync_source

    standins.clear_log()
    assert sync_source(source, sqlite_store, None).outcome == "complete"
    assert standins.requests(source, "token") == 0


def test_connect_refuses_a_forged_redirect(sqlite_store, standins):
    def forged(url: str) -> None:
        redirect = url.split("redirect_uri=")[1].split("&")[0]
        target = requests.utils.unquote(redirect)
        threading.Thread(target=requests.get, args=(f"{target}?code=x&state=wrong",),
                         kwargs={"timeout": 10}).start()

    with pytest.raises(SyncError, match="state"):
        connect_as("strava", sqlite_store, port=0, open_browser=forged, out=lambda _: None,
                timeout_s=10)
    assert sqlite_store.get_doc("token", "strava") is None


def test_connect_denied(sqlite_store, standins):
    def denied(url: str) -> None:
        redirect = requests.utils.unquote(url.split("redirect_uri=")[1].split("&")[0])
        state = url.split("state=")[1].split("&")[0]
        requests.get(f"{redirect}?error=access_denied&state={state}", timeout=10)

    with pytest.raises(SyncError, match="access_denied"):
        connect_as("withings", sqlite_store, port=0, open_browser=denied, out=lambda _: None,
                timeout_s=10)


def test_connect_needs_the_app_credentials(sqlite_store):
    with pytest.raises(SyncError, match="PULSEBOARD_STRAVA_CLIENT_ID"):
        connect_as("strava", sqlite_store, port=0, open_browser=None, out=lambda _: None)


def test_connect_times_out_with_advice(sqlite_store, standins):
    with pytest.raises(SyncError, match="no redirect came back"):
        connect_as("strava", sqlite_store, port=0, open_browser=None, out=lambda _: None,
                timeout_s=0.2)


@pytest.mark.parametrize("source", ["strava", "withings"])
def test_connect_learns_the_account_and_ends_a_deauthorization(sqlite_store, standins, source):
    from storage import events

    sqlite_store.put_doc(events.CONNECTION_SPACE, source, {"state": events.DEAUTHORIZED})
    connect_as(source, sqlite_store, port=0, open_browser=lambda url: requests.get(url,
               timeout=10), out=lambda _: None, timeout_s=10)
    owner = standins.strava.profile()["id"] if source == "strava" else standins.withings_userid
    assert events.known(sqlite_store, source) == {"account_id": owner}
    assert events.connection(sqlite_store, source) is None
