"""GET|POST /forecast with Flask's test client: the model's answer, and every input error."""

from __future__ import annotations

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


def test_invalid_cases_cover_every_field():
    assert {c.field for c in INVALID} >= {*FEATURES, "weeks", "body", "Content-Type"}
