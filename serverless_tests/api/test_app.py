"""The app factory: the API key on every endpoint but /health, and /health itself."""

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
    assert response.status_code == 200 and response.get_json()["model_loaded"] is True


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
