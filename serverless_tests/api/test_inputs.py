"""The /forecast inputs as pure functions: parsed, bounded and range-checked without a request."""

from __future__ import annotations

import pytest

from api import inputs
from serverless_tests.api.cases import GOOD, GOOD_JSON

TRAINED = {"features": [{"name": "distance_km", "min": 0.0, "max": 40.0},
                        {"name": "avg_weight_kg", "min": 0.0, "max": 60.0}]}


def test_query_and_json_give_the_same_typed_values():
    by_query = inputs.from_query({name: [value] for name, value in GOOD.items()})
    assert by_query == inputs.from_json(GOOD_JSON)
    assert isinstance(by_query["weeks"], int) and isinstance(by_query["distance_km"], float)


def test_weeks_left_out_is_the_default_but_blank_is_an_error():
    without = {name: [value] for name, value in GOOD.items() if name != "weeks"}
    assert inputs.from_query(without)["weeks"] == inputs.WEEKS_DEFAULT
    with pytest.raises(inputs.InvalidInput) as caught:
        inputs.from_query({**without, "weeks": [" "]})
    assert caught.value.field == "weeks" and "leave it out" in caught.value.message


def test_the_model_range_is_floored_to_four_decimals_and_capped_by_the_plausible():
    low, high = inputs.model_range({"name": "distance_km", "max": 33.33337})
    assert (low, high) == (0.0, 50.0)  # 1.5 × 33.33337 = 50.000055, floored
    assert inputs.model_range({"name": "distance_km", "max": 900})[1] == 1000.0


def test_a_plan_beyond_the_trained_range_names_the_field_and_the_range():
    inputs.check_model_range({"distance_km": 60.0, "avg_weight_kg": 90.0}, TRAINED)
    with pytest.raises(inputs.InvalidInput) as caught:
        inputs.check_model_range({"distance_km": 60.0001, "avg_weight_kg": 1.0}, TRAINED)
    assert caught.value.field == "distance_km"
    assert "0 to 60 km" in caught.value.message and "from 0 to 40 km" in caught.value.message


def test_an_invalid_input_is_a_product_error():
    from core.errors import PulseboardError

    assert issubclass(inputs.InvalidInput, PulseboardError)
    assert str(inputs.InvalidInput("weeks", "weeks is empty")) == "weeks is empty"
