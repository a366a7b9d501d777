"""Every error the API gives is JSON, Werkzeug's own included, and never shows a traceback."""

from __future__ import annotations

import json
import logging

from serverless_tests.api.cases import GOOD_JSON
from serverless_tests.api.conftest import publish


def test_errors_never_show_a_traceback(make_app, monkeypatch, file_blobs, trained, caplog):
    publish(file_blobs, trained)
    client = make_app().test_client()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("models.predict.Predictor.predict_one", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get("/forecast", query_string=GOOD_JSON)
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal_error"
    assert "Traceback" not in response.get_data(as_text=True)
    assert "boom" in caplog.text


def test_json_errors_are_json_even_for_werkzeug_errors(client):
    response = client.get("/forecast/extra")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    response = client.put("/forecast", data=json.dumps(GOOD_JSON))
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]
