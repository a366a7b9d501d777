"""/forecast answers with the method the backtest chose for the horizon, why, and its interval."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.features import TARGETS
from serverless_tests.api.conftest import publish
from serverless_tests.api.test_forecast import GOOD_JSON


def test_the_answer_carries_the_method_its_reason_and_the_interval(client, trained):
    for weeks, horizon in ((1, "1"), (4, "4"), (12, "12")):
        payload = client.get("/forecast", query_string={**GOOD_JSON, "weeks": weeks}).get_json()
        chosen = trained.horizons[horizon]
        assert payload["method"] == chosen["method"] and payload["reason"] == chosen["reason"]
        interval = payload["interval"]
        assert interval["level"] == 0.8
        for target in TARGETS:
            low, high = interval[target]
            assert low < payload["total"][target] < high
            assert [round(payload["total"][target] + b, 3) for b in
                    chosen["interval"][target]] == pytest.approx([low, high], abs=2e-3)


def test_where_a_baseline_is_served_the_plan_does_not_move_the_answer(
        make_app, file_blobs, trained, sqlite_store):
    served = {h: {**c, "method": "mean_change", "reason": f"{h} weeks ahead: mean_change"}
              for h, c in trained.horizons.items()}
    publish(file_blobs, replace(trained, horizons=served))
    client = make_app().test_client()
    easy = client.get("/forecast", query_string={**GOOD_JSON, "weeks": 4}).get_json()
    hard = client.get("/forecast", query_string={**GOOD_JSON, "distance_km": 60,
                                                  "weeks": 4}).get_json()
    assert easy["method"] == hard["method"] == "mean_change"
    assert easy["per_week"] == hard["per_week"] == {
        t: round(trained.rates["mean_change"][t], 4) for t in TARGETS}
    assert easy["reason"] == "4 weeks ahead: mean_change"
