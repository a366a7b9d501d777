"""GET|POST /forecast with Flask's test client: answers, every input error, auth, JSON errors."""

from __future__ import annotations

import hmac
import json
import logging

import pytest

from api import inputs
from models.features import FEATURES
from serverless_tests.api.cases import ALL, GOOD_JSON, INVALID, Case


def send(client, case: Case, headers: dict[str, str] | None = None):
    return client.open(case.path, method=case.method, query_string=case.query, data=case.body,
                       headers={**case.headers(), **(headers or {})})


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_every_case(client, case):
    response = send(client, case)
    assert response.status_code == case.status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    payload = response.get_json()
    if case.error:
        assert payload["error"] == case.error
        assert payload["message"]
        if case.field:
            assert payload["field"] == case.field
    else:
        assert set(payload) >= {"weeks", "per_week", "total", "start", "end", "model"}


def test_the_forecast_is_the_models_answer_from_the_latest_values(client, trained):
    payload = client.get("/forecast", query_string={**GOOD_JSON, "weeks": 10}).get_json()
    expected = trained.predictor.predict_one([GOOD_JSON[name] for name in FEATURES])
    assert payload["weeks"] == 10
    assert payload["per_week"] == {"weight_kg": round(expected[0], 4),
                                   "fat_ratio_pct": round(expected[1], 4)}
    assert payload["total"]["weight_kg"] == pytest.approx(expected[0] * 10, abs=1e-3)
    assert payload["total"]["fat_ratio_pct"] == pytest.approx(expected[1] * 10, abs=1e-3)
    assert payload["start"] == {"weight_kg": 81.4, "fat_ratio_pct": 21.3}
    assert payload["end"]["weight_kg"] == pytest.approx(81.4 + expected[0] * 10, abs=1e-3)
    assert payload["model"]["k"] == trained.k
    assert payload["model"]["cv_mae"] == trained.cv_mae
    assert payload["model"]["baseline_mae"] == trained.baselines["no_change"]
    assert payload["model"]["version"] == "20250106T040000Z"


def test_post_answers_exactly_as_get(client):
    by_get = client.get("/forecast", query_string=GOOD_JSON).get_json()
    by_post = client.post("/forecast", json=GOOD_JSON).get_json()
    assert by_get == by_post


def test_default_horizon_is_four_weeks(client):
    payload = client.post("/forecast", json={k: v for k, v in GOOD_JSON.items()
                                             if k != "weeks"}).get_json()
    assert payload["weeks"] == 4


def test_without_stored_measurements_start_and_end_are_null(make_app, file_blobs, trained):
    from serverless_tests.api.conftest import publish

    publish(file_blobs, trained)
    payload = make_app().test_client().get("/forecast", query_string=GOOD_JSON).get_json()
    assert payload["start"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert payload["end"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert payload["per_week"]["weight_kg"] is not None


def test_a_failing_store_still_forecasts_with_null_start(make_app, file_blobs, trained, caplog):
    from serverless_tests.api.conftest import publish

    class Broken:
        def latest(self, *args, **kwargs):
            raise ConnectionError("store down")

    publish(file_blobs, trained)
    client = make_app(STORE=Broken()).test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/forecast", query_string=GOOD_JSON)
    assert response.status_code == 200
    assert response.get_json()["start"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert "store down" in caplog.text


def test_range_message_states_what_the_model_accepts(client, trained):
    top = float(trained.x[:, 0].max())
    low, high = inputs.model_range({"name": "distance_km", "max": top})
    too_far = high + 1
    payload = client.get("/forecast", query_string={**GOOD_JSON, "distance_km": too_far,
                                                     "duration_h": too_far / 24}).get_json()
    assert payload["field"] == "distance_km"
    assert f"{high:.4g}" in payload["message"] and "trained on weeks" in payload["message"]
    ok = client.get("/forecast", query_string={**GOOD_JSON, "distance_km": high,
                                               "duration_h": high / 24})
    assert ok.status_code == 200


def test_the_horizon_and_start_values_do_not_change_the_weekly_forecast(client):
    one = client.get("/forecast", query_string={**GOOD_JSON, "weeks": 1}).get_json()
    many = client.get("/forecast", query_string={**GOOD_JSON, "weeks": 52}).get_json()
    assert one["per_week"] == many["per_week"]
    assert many["total"]["weight_kg"] == pytest.approx(one["per_week"]["weight_kg"] * 52,
                                                       abs=0.01)


# --- auth ------------------------------------------------------------------------------------

@pytest.fixture
def keyed(make_app, file_blobs, trained):
    from serverless_tests.api.conftest import publish

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


def test_errors_never_show_a_traceback(make_app, monkeypatch, file_blobs, trained, caplog):
    from serverless_tests.api.conftest import publish

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


def test_invalid_cases_cover_every_field():
    assert {c.field for c in INVALID} >= {*FEATURES, "weeks", "body", "Content-Type"}


def test_json_errors_are_json_even_for_werkzeug_errors(client):
    response = client.get("/forecast/extra")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    response = client.put("/forecast", data=json.dumps(GOOD_JSON))
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]
