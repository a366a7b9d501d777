"""`subscribe`: the push subscriptions at the stand-ins, validated through the api's webhooks,
and a run uploaded there reaching the store by push."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import settings
from collectors import push, sources
from collectors.schedule import push_pending
from collectors.subscribe import subscribe
from core.errors import UsageError
from demo.standins.callback import Callback
from storage import events
from storage.base import Store

TOKEN = "verify-0123456789"


@pytest.fixture
def api(make_api: Any) -> Any:
    return make_api()


@pytest.fixture
def make_api(sqlite_store: Store) -> Any:
    from api import create_app

    def make(**config: Any) -> Any:
        return create_app({"TESTING": True, "STORE": sqlite_store, "API_KEY": "k", "DEMO": False,
                           "STRAVA_VERIFY_TOKEN": TOKEN, **config})

    return make


def _config(source: str) -> Any:
    return sources.get(source).configure(settings.get())


def test_strava_subscribe_is_validated_by_the_callback_and_remembered(
        standins: Any, sqlite_store: Store, api: Any) -> None:
    lines: list[str] = []
    with Callback(api) as callback:
        subscribe("strava", _config("strava"), sqlite_store, callback.url("/webhooks/strava"),
                  False, False, verify_token=TOKEN, out=lines.append)
        assert standins.push.strava_subscription is not None
        ours = standins.push.strava_subscription["id"]
        assert events.known(sqlite_store, "strava")["subscription_id"] == ours
        subscribe("strava", _config("strava"), sqlite_store, None, True, False, out=lines.append)
        assert lines[-1] == f"{ours} {callback.url('/webhooks/strava')}"
        subscribe("strava", _config("strava"), sqlite_store, None, False, True, out=lines.append)
    assert standins.push.strava_subscription is None
    assert "subscription_id" not in events.known(sqlite_store, "strava")


def test_a_wrong_verify_token_is_refused_by_strava(standins: Any, sqlite_store: Store,
                                                   api: Any) -> None:
    from collectors.common import SyncError

    with Callback(api) as callback, pytest.raises(SyncError, match="validation"):
        subscribe("strava", _config("strava"), sqlite_store, callback.url("/webhooks/strava"),
                  False, False, verify_token="not-ours")
    assert standins.push.strava_subscription is None


def test_subscribe_needs_a_callback(standins: Any, sqlite_store: Store) -> None:
    with pytest.raises(UsageError, match="--callback"):
        subscribe("withings", _config("withings"), sqlite_store, None, False, False)


def test_a_run_uploaded_reaches_the_store_by_push(standins: Any, sqlite_store: Store,
                                                  api: Any) -> None:
    from collectors.edge import sync_source

    sync_source("strava", sqlite_store, None)  # connected: the owner's athlete id is known
    with Callback(api) as callback:
        subscribe("strava", _config("strava"), sqlite_store, callback.url("/webhooks/strava"),
                  False, False, verify_token=TOKEN, out=lambda _: None)
        run = standins.push.upload_run()
        standins.push.wait()
    assert standins.push.deliveries[-1].answers == ["200"]
    assert [e.object_id for _, e in events.pending(sqlite_store)] == [run["id"]]

    def caller(function: str, event: dict[str, Any]) -> Any:
        return push.handle(event["source"], sqlite_store, None, _config(event["source"])).as_dict()

    push_pending(sqlite_store, datetime.now(UTC), lambda _: None, caller)
    assert str(run["id"]) in {a.id for a in sqlite_store.query("activities")}


def test_withings_subscribe_list_and_delete(standins: Any, sqlite_store: Store,
                                            api: Any) -> None:
    lines: list[str] = []
    with Callback(api) as callback:
        url = callback.url("/webhooks/withings")
        subscribe("withings", _config("withings"), sqlite_store, url, False, False,
                  out=lines.append)
        subscribe("withings", _config("withings"), sqlite_store, None, True, False,
                  out=lines.append)
        assert lines[-1].endswith(url)
        subscribe("withings", _config("withings"), sqlite_store, None, False, True,
                  out=lines.append)
    assert standins.push.withings_callbacks == {}
    assert lines[-1] == "deleted 1 withings push subscription"
