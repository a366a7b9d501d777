"""The model cache: 503 without a model, sha256 checked before loading, ETag re-checks, reloads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from models import artifact
from serverless_tests.api.cases import GOOD_JSON
from serverless_tests.api.conftest import publish


class Counting:
    """Blobs that count calls by operation."""

    def __init__(self, inner):
        self.inner, self.calls = inner, {"head": 0, "get": 0}

    def head(self, key):
        self.calls["head"] += 1
        return self.inner.head(key)

    def get(self, key):
        self.calls["get"] += 1
        return self.inner.get(key)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def forecast(client):
    return client.get("/forecast", query_string=GOOD_JSON)


def test_no_model_is_503_saying_what_to_run(make_app):
    client = make_app().test_client()
    response = forecast(client)
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["error"] == "no_model"
    assert "python -m models train" in payload["message"]
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and health["model_loaded"] is False
    assert health["problem"]["error"] == "no_model"


def test_bad_inputs_are_400_even_without_a_model(make_app):
    response = make_app().test_client().get("/forecast", query_string={"distance_km": "x"})
    assert response.status_code == 400


def test_a_model_published_later_is_picked_up_without_restart(make_app, file_blobs, trained,
                                                              clock):
    client = make_app(NO_MODEL_RETRY_S=15).test_client()
    assert forecast(client).status_code == 503
    publish(file_blobs, trained)
    assert forecast(client).status_code == 503  # not re-checked yet
    clock.advance(15)
    assert forecast(client).status_code == 200


def test_the_model_is_loaded_once_and_the_manifest_rechecked_only_when_due(
    make_app, file_blobs, trained, clock
):
    counting = Counting(file_blobs)
    publish(file_blobs, trained)
    app = make_app(BLOBS=counting, MANIFEST_CHECK_S=120)
    client = app.test_client()
    cache = app.extensions["pulseboard.model"]
    for _ in range(20):
        assert forecast(client).status_code == 200
        clock.advance(5)  # 100 s in all: under the check interval
    assert cache.loads == 1 and cache.checks == 1
    assert counting.calls == {"head": 0, "get": 2}  # cold: manifest and pickle, no HEAD first
    clock.advance(20)
    forecast(client)
    assert cache.checks == 2 and counting.calls["head"] == 1
    assert cache.loads == 1 and counting.calls["get"] == 2  # unchanged ETag: nothing downloaded


def test_a_new_model_replaces_the_old_after_the_check_interval(make_app, file_blobs, trained,
                                                               clock):
    publish(file_blobs, trained, datetime(2025, 1, 6, tzinfo=UTC))
    client = make_app(MANIFEST_CHECK_S=60).test_client()
    assert forecast(client).get_json()["model"]["version"] == "20250106T000000Z"
    publish(file_blobs, trained, datetime(2025, 1, 13, tzinfo=UTC))
    clock.advance(59)
    assert forecast(client).get_json()["model"]["version"] == "20250106T000000Z"
    clock.advance(1)
    assert forecast(client).get_json()["model"]["version"] == "20250113T000000Z"
    assert client.get("/health").get_json()["model_version"] == "20250113T000000Z"


def tamper(blobs, manifest):
    data, _ = blobs.get(manifest["pickle_key"])
    blobs.put(manifest["pickle_key"], data.replace(b"distance_km", b"distance_mi"))


def test_a_tampered_pickle_is_never_unpickled_503_with_the_reason_logged(
    make_app, file_blobs, trained, monkeypatch, caplog
):
    tamper(file_blobs, publish(file_blobs, trained))

    def refuse(*args, **kwargs):
        raise AssertionError("unpickled despite a sha256 mismatch")

    monkeypatch.setattr(artifact, "_OnlyPredictor", refuse)
    client = make_app().test_client()
    with caplog.at_level(logging.ERROR):
        response = forecast(client)
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["error"] == "model_unavailable" and "sha256" in payload["message"]
    assert "sha256" in caplog.text
    assert client.get("/health").get_json()["problem"]["error"] == "model_unavailable"


def test_a_refused_pickle_is_not_downloaded_again_until_the_manifest_changes(
    make_app, file_blobs, trained, clock
):
    counting = Counting(file_blobs)
    tamper(file_blobs, publish(file_blobs, trained))
    client = make_app(BLOBS=counting, NO_MODEL_RETRY_S=10).test_client()
    forecast(client)
    gets = counting.calls["get"]
    for _ in range(3):
        clock.advance(10)
        assert forecast(client).status_code == 503
    assert counting.calls["get"] == gets and counting.calls["head"] == 4
    publish(file_blobs, trained, datetime(2025, 2, 3, tzinfo=UTC))
    clock.advance(10)
    assert forecast(client).status_code == 200


def test_a_warm_process_keeps_its_model_when_the_new_one_is_bad(make_app, file_blobs, trained,
                                                                clock, caplog):
    publish(file_blobs, trained, datetime(2025, 1, 6, tzinfo=UTC))
    client = make_app(MANIFEST_CHECK_S=60).test_client()
    assert forecast(client).status_code == 200
    tamper(file_blobs, publish(file_blobs, trained, datetime(2025, 1, 13, tzinfo=UTC)))
    clock.advance(60)
    with caplog.at_level(logging.ERROR):
        response = forecast(client)
    assert response.status_code == 200
    assert response.get_json()["model"]["version"] == "20250106T000000Z"
    assert "still serving model 20250106T000000Z" in caplog.text
    health = client.get("/health").get_json()
    assert health["model_loaded"] is True and "sha256" in health["problem"]["message"]


def test_an_unreachable_blob_store_is_503_then_recovers(make_app, file_blobs, trained, clock):
    class Down:
        def head(self, key):
            raise ConnectionError("no route to the bucket")

        get = head

    publish(file_blobs, trained)
    app = make_app(BLOBS=Down(), NO_MODEL_RETRY_S=5)
    client = app.test_client()
    response = forecast(client)
    assert response.status_code == 503
    assert "no route to the bucket" in response.get_json()["message"]
    app.extensions["pulseboard.model"]._blobs = file_blobs  # the network is back
    clock.advance(5)
    assert forecast(client).status_code == 200


def test_nothing_is_opened_or_loaded_when_the_app_is_created(make_app, file_blobs, monkeypatch):
    opened = []

    def open_blobs(url, aws=None):
        opened.append(url)
        return file_blobs

    monkeypatch.setattr("storage.open_blobs", open_blobs)
    app = make_app(BLOBS=None, BLOBS_URL="s3://bucket/prefix")
    assert opened == []
    app.test_client().get("/health")
    assert opened == ["s3://bucket/prefix"]


@pytest.mark.parametrize("blobs", ["s3"], indirect=True)
def test_served_from_s3_on_moto(make_app, blobs, trained, clock):
    publish(blobs, trained, datetime(2025, 1, 6, tzinfo=UTC))
    client = make_app(BLOBS=blobs, MANIFEST_CHECK_S=60).test_client()
    assert forecast(client).get_json()["model"]["version"] == "20250106T000000Z"
    publish(blobs, trained, datetime(2025, 1, 13, tzinfo=UTC))
    clock.advance(60)
    assert forecast(client).get_json()["model"]["version"] == "20250113T000000Z"
    tamper(blobs, publish(blobs, trained, datetime(2025, 1, 20, tzinfo=UTC)))
    fresh = make_app(BLOBS=blobs).test_client()
    assert forecast(fresh).status_code == 503
