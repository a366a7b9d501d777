"""The webhook routes: Strava's validation, events stored pending once, foreign ones ignored."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from storage import events
from storage.base import Store

TOKEN = "verify-me-0123"
SUBSCRIPTION, ATHLETE, USER = 120_475, 41_230_977, 37_000_011


@pytest.fixture
def handed() -> list[str]:
    return []


@pytest.fixture
def webhooks(make_app: Any, sqlite_store: Store, handed: list[str]) -> Any:
    events.remember(sqlite_store, "strava", subscription_id=SUBSCRIPTION, account_id=ATHLETE)
    events.remember(sqlite_store, "withings", account_id=USER)
    app = make_app(API_KEY="serve-key", DEMO=False, STRAVA_VERIFY_TOKEN=TOKEN,
                   WEBHOOK_HAND_ON=handed.append, WEBHOOK_CLOCK=lambda: 1000.0)
    return app.test_client()


def _event(**changes: Any) -> dict[str, Any]:
    return {"object_type": "activity", "object_id": 555, "aspect_type": "create",
            "owner_id": ATHLETE, "subscription_id": SUBSCRIPTION, "event_time": 1_700_000_000,
            "updates": {}, **changes}


def _validation(token: str = TOKEN, **extra: str) -> dict[str, str]:
    return {"hub.mode": "subscribe", "hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3",
            "hub.verify_token": token, **extra}


def test_the_validation_echoes_the_challenge_for_our_token_without_the_api_key(webhooks):
    answer = webhooks.get("/webhooks/strava", query_string=_validation())
    assert answer.status_code == 200
    assert answer.get_json() == {"hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3"}


@pytest.mark.parametrize(("query", "status", "field"), [
    (_validation("wrong"), 403, None),
    (_validation(**{"hub.mode": "unsubscribe"}), 400, "hub.mode"),
    (_validation(**{"hub.challenge": ""}), 400, "hub.challenge"),
    (_validation(**{"hub.challenge": "x" * 300}), 400, "hub.challenge"),
])
def test_a_wrong_validation_gets_no_challenge(webhooks, query, status, field):
    answer = webhooks.get("/webhooks/strava", query_string=query)
    assert answer.status_code == status
    assert "hub.challenge" not in answer.get_json()
    assert answer.get_json().get("field") == field


def test_without_a_verify_token_no_validation_passes(make_app):
    answer = make_app(STRAVA_VERIFY_TOKEN="").test_client().get(
        "/webhooks/strava", query_string=_validation(""))
    assert answer.status_code == 503
    assert "PULSEBOARD_STRAVA_VERIFY_TOKEN" in answer.get_json()["message"]


def test_an_event_is_stored_once_and_handed_on_once(webhooks, sqlite_store, handed):
    for _ in range(3):  # Strava's three attempts
        answer = webhooks.post("/webhooks/strava", json=_event())
        assert (answer.status_code, answer.get_json()) == (200, {"status": "received"})
    assert [e.object_id for _, e in events.pending(sqlite_store)] == [555]
    assert handed == ["strava"]


@pytest.mark.parametrize("changes", [{"owner_id": 1}, {"subscription_id": 2}])
def test_a_foreign_event_is_acknowledged_counted_and_never_stored(webhooks, sqlite_store,
                                                                  handed, changes):
    answer = webhooks.post("/webhooks/strava", json=_event(**changes))
    assert (answer.status_code, answer.get_json()) == (200, {"status": "received"})
    assert events.pending(sqlite_store) == [] and handed == []
    assert sqlite_store.peek("webhook-ignored:strava", 86_400, 1000.0) == 1


def test_a_malformed_event_is_a_400_naming_what_is_wrong(webhooks, sqlite_store):
    answer = webhooks.post("/webhooks/strava", json=_event(aspect_type="rename"))
    assert answer.status_code == 400
    assert "aspect_type" in answer.get_json()["message"]
    assert webhooks.post("/webhooks/strava", data="{", content_type="application/json"
                         ).status_code == 400
    assert events.pending(sqlite_store) == []


def test_withings_check_and_notification(webhooks, sqlite_store, handed):
    assert webhooks.head("/webhooks/withings").status_code == 200
    form = {"userid": str(USER), "appli": "1", "startdate": "1700000000",
            "enddate": "1700000300"}
    assert webhooks.post("/webhooks/withings", data=form).status_code == 200
    assert webhooks.post("/webhooks/withings", data={**form, "userid": "1"}).status_code == 200
    assert webhooks.post("/webhooks/withings", data={**form, "appli": "x"}).status_code == 400
    assert [e.object_id for _, e in events.pending(sqlite_store)] == [USER]
    assert handed == ["withings"]


def test_one_address_is_limited_per_minute(make_app):
    client = make_app(STRAVA_VERIFY_TOKEN=TOKEN, WEBHOOK_REQUESTS_PER_MIN=3,
                      WEBHOOK_CLOCK=lambda: 5000.0).test_client()
    codes = [client.head("/webhooks/withings").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = client.head("/webhooks/withings", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_in_lambda_the_jobs_function_is_invoked_asynchronously(make_app, sqlite_store,
                                                               monkeypatch):
    import api.webhooks as webhooks_module

    calls: list[dict[str, Any]] = []
    fake = SimpleNamespace(invoke=lambda **kw: calls.append(kw))
    monkeypatch.setattr(webhooks_module, "boto3_client", lambda service, aws: fake)
    events.remember(sqlite_store, "strava", subscription_id=SUBSCRIPTION, account_id=ATHLETE)
    client = make_app(STRAVA_VERIFY_TOKEN=TOKEN).test_client()
    context = SimpleNamespace(function_name="pulseboard-api")
    answer = client.post("/webhooks/strava", json=_event(),
                         environ_base={"lambda.context": context})
    assert answer.status_code == 200
    assert [(c["FunctionName"], c["InvocationType"]) for c in calls] == \
        [("pulseboard-jobs", "Event")]
    assert b'"source": "strava"' in calls[0]["Payload"]


def test_the_invoke_failing_still_answers_200_and_keeps_the_event(make_app, sqlite_store):
    def broken(provider: str) -> None:
        raise RuntimeError("throttled")

    events.remember(sqlite_store, "strava", subscription_id=SUBSCRIPTION, account_id=ATHLETE)
    client = make_app(STRAVA_VERIFY_TOKEN=TOKEN, WEBHOOK_HAND_ON=broken).test_client()
    assert client.post("/webhooks/strava", json=_event()).status_code == 200
    assert len(events.pending(sqlite_store)) == 1
