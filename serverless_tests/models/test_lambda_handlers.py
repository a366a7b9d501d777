"""The weekly retraining's Lambda entry point, called directly and through Zappa's handler."""

from __future__ import annotations

import json

from models import artifact
from serverless_tests.models.conftest import fill
from testkit.stores import open_blobs
from testkit.zappa import Context, lambda_handler, scheduled_event


def test_lambda_train_returns_a_summary_and_not_enough_data_is_normal(configured):
    from models.lambda_handlers import train

    fill(6)
    summary = train(scheduled_event("models.lambda_handlers.train"), Context())
    assert summary["outcome"] == "not_enough_data"
    assert summary["weeks_used"] < summary["min_weeks"]
    json.dumps(summary)


def test_weekly_scheduled_event_through_zappa_publishes(configured, tmp_path, monkeypatch):
    fill(40)
    handler = lambda_handler(tmp_path, monkeypatch)
    summary = handler.handler(scheduled_event("models.lambda_handlers.train"), Context())
    assert summary["outcome"] == "published"
    manifest = json.loads(open_blobs().get(artifact.MANIFEST_KEY)[0])
    assert summary["version"] == manifest["version"] and summary["k"] == manifest["k"]
    json.dumps(summary)


def test_the_weekly_model_is_signed_with_the_model_key(configured, monkeypatch):
    import settings
    from models.lambda_handlers import train

    monkeypatch.setenv("PULSEBOARD_MODEL_KEY", "model-key-2")
    settings.reset()
    fill(40)
    summary = train(scheduled_event("models.lambda_handlers.train"), Context())
    assert summary["outcome"] == "published" and summary["signed"] is True
    assert artifact.read(open_blobs(), "model-key-2").manifest["version"] == summary["version"]
