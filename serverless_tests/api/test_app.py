"""The app factory: no start without a key outside the demo, the key on every endpoint but
/health, and /health telling an anonymous caller only ok or unavailable."""

from __future__ import annotations

import hmac

import pytest

from serverless_tests.api.cases import GOOD_JSON
from serverless_tests.api.conftest import publish


@pytest.fixture
def keyed(make_app, file_blobs, trained):
    publish(file_blobs, trained)
    return make_app(API_KEY="s3cret-key").test_client()


def test_a_configured_key_is_required(keyed):
    missing = keyed.get("/forecast", query_string=GOOD_JSON)
    assert missing.status_code == 401 and missing.get_json()["error"] == "unauthorized"
    assert "X-Api-Key" in missing.get_json()["message"]
    wrong = keyed.get("/forecast", query_string=GOOD_JSON, headers={"X-Api-Key": "s3cret-kez"})
    assert wrong.status_code == 401
    assert keyed.post("/forecast", json=GOOD_JSON).status_code == 401
    assert keyed.get("/openapi.json").status_code == 401
    right = keyed.get("/forecast", query_string=GOOD_JSON, headers={"X-Api-Key": "s3cret-key"})
    assert right.status_code == 200


def test_health_stays_open_with_a_key(keyed):
    response = keyed.get("/health")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    with_key = keyed.get("/health", headers={"X-Api-Key": "s3cret-key"})
    assert with_key.status_code == 200 and with_key.get_json()["model_loaded"] is True


def test_the_key_is_compared_in_constant_time(keyed, monkeypatch):
    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr("api.hmac.compare_digest", spy)
    keyed.get("/forecast", query_string=GOOD_JSON, headers={"X-Api-Key": "guess"})
    assert seen == [(b"guess", b"s3cret-key")]


def test_the_key_comes_from_settings(monkeypatch, sqlite_store, file_blobs):
    import settings
    from api import create_app

    monkeypatch.setenv("PULSEBOARD_API_KEY", "from-env")
    settings.reset()
    client = create_app({"STORE": sqlite_store, "BLOBS": file_blobs}).test_client()
    assert client.get("/forecast").status_code == 401
    assert client.get("/forecast", headers={"X-Api-Key": "from-env"}).status_code == 400


# --- finding 4: outside the demo the API needs its key; /health tells strangers nothing -------

def test_outside_the_demo_the_api_refuses_to_start_without_a_key(make_app):
    import settings

    with pytest.raises(settings.SettingsError, match="PULSEBOARD_API_KEY") as caught:
        make_app(API_KEY="", DEMO=False)
    assert caught.value.exit_code == 2
    assert make_app(API_KEY="k", DEMO=False).test_client().get("/forecast").status_code == 401


def test_the_demo_alone_may_run_without_a_key(monkeypatch, sqlite_store, file_blobs):
    import settings
    from api import create_app

    monkeypatch.delenv("PULSEBOARD_API_KEY", raising=False)
    monkeypatch.setenv("PULSEBOARD_DEMO", "false")
    settings.reset()
    with pytest.raises(settings.SettingsError, match="PULSEBOARD_API_KEY"):
        create_app({"STORE": sqlite_store, "BLOBS": file_blobs})
    monkeypatch.setenv("PULSEBOARD_DEMO", "true")
    settings.reset()
    client = create_app({"STORE": sqlite_store, "BLOBS": file_blobs}).test_client()
    assert client.get("/forecast").status_code == 400  # answered: no key asked for


@pytest.fixture
def locked(make_app, tmp_path):
    """An API with a key and no model: the most a stranger could want to learn about."""
    from storage import open_blobs

    empty = open_blobs(f"file://{tmp_path / 'empty'}")
    return make_app(API_KEY="s3cret-key", DEMO=False, BLOBS=empty).test_client()


def test_an_anonymous_health_check_says_only_ok_or_unavailable(locked, keyed):
    for client, status, code in ((locked, "unavailable", 503), (keyed, "ok", 200)):
        for headers in ({}, {"X-Api-Key": "wrong"}):
            response = client.get("/health", headers=headers)
            assert (response.status_code, response.get_json()) == (code, {"status": status})
            assert response.headers["Cache-Control"] == "no-store"
    assert locked.get("/health").headers["Retry-After"] == "60"


def test_with_the_key_health_says_which_model_and_what_went_wrong(locked, keyed):
    broken = locked.get("/health", headers={"X-Api-Key": "s3cret-key"})
    assert broken.status_code == 503
    body = broken.get_json()
    assert body["status"] == "unavailable" and body["model_loaded"] is False
    assert body["problem"]["error"] == "no_model" and "python -m models train" in \
        body["problem"]["message"]
    fine = keyed.get("/health", headers={"X-Api-Key": "s3cret-key"}).get_json()
    assert fine["status"] == "ok" and fine["model_version"] == "20250106T040000Z"
    assert fine["problem"] is None


def test_the_owners_values_are_not_served_without_the_key(keyed, sqlite_store):
    from datetime import UTC, datetime

    from storage import Measurement

    sqlite_store.put([Measurement(datetime(2025, 1, 5, tzinfo=UTC), "weight_kg", 81.4,
                                  "withings", "a")])
    anonymous = keyed.get("/forecast", query_string=GOOD_JSON)
    assert anonymous.status_code == 401 and "81.4" not in anonymous.get_data(as_text=True)
