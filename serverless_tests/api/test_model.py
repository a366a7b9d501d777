"""The model cache: 503 without a model, size, sha256 and signature checked before loading, ETag
re-checks, reloads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from models import artifact, model_file, train
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
    assert health["status"] == "unavailable" and health["model_loaded"] is False
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
    # Cold: each of the manifest and the model file HEADed (sizes known) before it is fetched.
    assert counting.calls == {"head": 2, "get": 2}
    clock.advance(20)
    forecast(client)
    assert cache.checks == 2 and counting.calls["head"] == 3
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
    data, _ = blobs.get(manifest["artifact_key"])
    blobs.put(manifest["artifact_key"], data.replace(b"distance_km", b"distance_mi"))


def test_a_tampered_model_file_is_never_decoded_503_with_the_reason_logged(
    make_app, file_blobs, trained, monkeypatch, caplog
):
    tamper(file_blobs, publish(file_blobs, trained))

    def refuse(*args, **kwargs):
        raise AssertionError("decoded despite a sha256 mismatch")

    monkeypatch.setattr(model_file, "decode", refuse)
    client = make_app().test_client()
    with caplog.at_level(logging.ERROR):
        response = forecast(client)
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["error"] == "model_unavailable" and "sha256" in payload["message"]
    assert "sha256" in caplog.text
    assert client.get("/health").get_json()["problem"]["error"] == "model_unavailable"


def test_a_refused_model_is_not_downloaded_again_until_the_manifest_changes(
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
    assert counting.calls["get"] == gets and counting.calls["head"] == 2 + 3
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


# --- finding 5: a signed manifest, nothing larger than announced ---------------------------

def signed(blobs, result, key, when=None):
    when = when or datetime(2025, 1, 6, 4, tzinfo=UTC)
    return artifact.publish(blobs, result.predictor, train.manifest(result, when, 16), key)


def test_with_a_model_key_only_models_signed_under_it_are_served(make_app, file_blobs, trained,
                                                                 clock):
    signed(file_blobs, trained, "model-key")
    assert forecast(make_app(MODEL_KEY="model-key").test_client()).status_code == 200
    publish(file_blobs, trained)  # unsigned, as anyone with write access to the bucket can
    response = forecast(make_app(MODEL_KEY="model-key").test_client())
    assert response.status_code == 503 and response.get_json()["error"] == "model_unavailable"
    assert "not signed" in response.get_json()["message"]


def test_a_forged_signature_is_503_naming_the_reason_and_a_warm_model_stays(
    make_app, file_blobs, trained, clock
):
    signed(file_blobs, trained, "model-key")
    client = make_app(MODEL_KEY="model-key", MANIFEST_CHECK_S=60).test_client()
    assert forecast(client).status_code == 200
    signed(file_blobs, trained, "a-guessed-key", datetime(2025, 1, 13, tzinfo=UTC))
    clock.advance(60)
    assert forecast(client).get_json()["model"]["version"] == "20250106T040000Z"
    problem = client.get("/health").get_json()["problem"]
    assert "signature does not match PULSEBOARD_MODEL_KEY" in problem["message"]
    cold = forecast(make_app(MODEL_KEY="model-key").test_client())
    assert cold.status_code == 503 and "signature does not match" in cold.get_json()["message"]


def test_an_oversize_model_file_is_503_and_never_downloaded(make_app, file_blobs, trained):
    manifest = publish(file_blobs, trained)
    data, _ = file_blobs.get(manifest["artifact_key"])
    file_blobs.put(manifest["artifact_key"], data + b" " * 2_000_000)
    counting = Counting(file_blobs)
    response = forecast(make_app(BLOBS=counting).test_client())
    assert response.status_code == 503 and "not downloaded" in response.get_json()["message"]
    assert counting.calls["get"] == 1  # the manifest alone


def test_an_old_pickle_is_503_saying_retrain(make_app, file_blobs):
    import json

    file_blobs.put("models/forecast/20250106T040000Z.pkl", b"\x80\x05old")
    file_blobs.put(artifact.MANIFEST_KEY, json.dumps({
        "version": "20250106T040000Z", "trained_at": "2025-01-06T04:00:00Z", "k": 3,
        "pickle_key": "models/forecast/20250106T040000Z.pkl", "sha256": "0" * 64,
        "features": [], "targets": []}).encode())
    response = forecast(make_app().test_client())
    assert response.status_code == 503
    assert "retrain: python -m models train" in response.get_json()["message"]
