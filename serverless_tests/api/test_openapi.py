"""GET /openapi.json: a valid OpenAPI 3.1 document that real responses conform to."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api import inputs
from serverless_tests.api.cases import ALL, GOOD_JSON
from serverless_tests.api.test_forecast import send


def schema_for(doc, path: str, method: str, status: int) -> Draft202012Validator:
    responses = doc["paths"][path][method.lower()]["responses"]
    entry = responses.get(str(status)) or responses["default"]
    registry = Registry().with_resource("urn:api", Resource(doc, DRAFT202012))
    schema = entry["content"]["application/json"]["schema"]
    # Resolve "#/components/..." against the whole document.
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method.lower(), "responses",
                     str(status) if str(status) in responses else "default",
                     "content", "application/json", "schema")
    )
    assert schema is not None
    return Draft202012Validator({"$ref": f"urn:api#/{pointer}"}, registry=registry)


def test_the_document_is_valid_openapi(client):
    doc = client.get("/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/forecast", "/health", "/openapi.json"}


def test_the_document_is_valid_without_a_model_too(make_app):
    doc = make_app().test_client().get("/openapi.json").get_json()
    validate(doc)
    distance = doc["components"]["schemas"]["ForecastRequest"]["properties"]["distance_km"]
    assert distance["maximum"] == inputs.FIELDS["distance_km"].hard_max


def test_input_maxima_are_the_served_models(client, trained):
    doc = client.get("/openapi.json").get_json()
    props = doc["components"]["schemas"]["ForecastRequest"]["properties"]
    for column, name in enumerate(inputs.FIELDS):
        top = float(trained.x[:, column].max())
        expected = inputs.model_range({"name": name, "max": round(top, 4)})[1]
        assert props[name]["maximum"] == pytest.approx(expected, abs=1e-4)
    assert props["weeks"]["maximum"] == inputs.WEEKS_MAX
    get_params = {p["name"]: p for p in doc["paths"]["/forecast"]["get"]["parameters"]}
    assert get_params["weeks"]["required"] is False
    assert get_params["distance_km"]["schema"] == props["distance_km"]


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_every_response_matches_the_document(client, case):
    doc = client.get("/openapi.json").get_json()
    response = send(client, case)
    path = case.path if case.path in doc["paths"] else "/forecast"
    method = case.method if case.method.lower() in doc["paths"][path] else "GET"
    errors = list(schema_for(doc, path, method, response.status_code)
                  .iter_errors(response.get_json()))
    assert not errors, [e.message for e in errors]


def test_health_401_and_503_match_the_document(make_app, file_blobs, trained):
    client = make_app().test_client()
    doc = client.get("/openapi.json").get_json()
    no_model = client.get("/forecast", query_string=GOOD_JSON)
    schema_for(doc, "/forecast", "GET", 503).validate(no_model.get_json())
    health = client.get("/health")
    assert health.status_code == 503
    schema_for(doc, "/health", "GET", 503).validate(health.get_json())
    keyed = make_app(API_KEY="k").test_client()
    denied = keyed.post("/forecast", json=GOOD_JSON)
    schema_for(doc, "/forecast", "POST", 401).validate(denied.get_json())
    anonymous = keyed.get("/health")
    schema_for(doc, "/health", "GET", anonymous.status_code).validate(anonymous.get_json())
    with pytest.raises(ValidationError):  # the check can fail: a health body is no error body
        schema_for(doc, "/forecast", "GET", 400).validate(
            client.get("/health").get_json())


def test_the_document_says_the_key_is_needed_and_what_health_tells(client):
    doc = client.get("/openapi.json").get_json()
    assert doc["security"] == [{"ApiKey": []}] and "X-Api-Key" in doc["info"]["description"]
    health = doc["paths"]["/health"]["get"]
    assert set(health["responses"]) == {"200", "503", "default"}
    schema = doc["components"]["schemas"]["Health"]
    assert schema["required"] == ["status"]
    assert schema["properties"]["status"] == {"enum": ["ok", "unavailable"]}


def test_the_server_url_is_the_stage_behind_api_gateway(client):
    doc = client.get("/openapi.json", base_url="https://api.example/dev").get_json()
    assert doc["servers"] == [{"url": "/dev"}]


def test_generated_requests_conform(app):
    """Schemathesis generates valid and invalid requests from the document; every answer must
    match it, invalid ones must be refused, nothing may fail with a 500.

    Not checked here: that every schema-valid request is accepted (a run faster than 25 km/h
    is refused, a rule between two fields that JSON Schema cannot state) and schemathesis's
    guessing at auth (the key is covered by test_forecast)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.generation.modes import GenerationMode
    from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

    app.config["API_KEY"] = "k"
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, headers={"X-Api-Key": "k"})
    calls = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        # /health has no inputs: there is no invalid request to make of it.
        negative = [GenerationMode.NEGATIVE] if operation.path == "/forecast" else []
        for mode in (GenerationMode.POSITIVE, *negative):

            @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(generation_mode=mode))
            def check(case):
                nonlocal calls
                calls += 1
                response = case.call(headers={"X-Api-Key": "k"})
                case.validate_response(response,
                                       excluded_checks=[positive_data_acceptance, ignored_auth])

            check()
    assert calls > 50


def test_the_api_accepts_exactly_its_documented_maximum(client):
    """A value a hair past the document's maximum is refused, the maximum itself accepted."""
    doc = client.get("/openapi.json").get_json()
    top = doc["components"]["schemas"]["ForecastRequest"]["properties"]["distance_km"]["maximum"]
    base = {"duration_h": top / 20, "crossfit_sessions": 2, "avg_weight_kg": 40, "weeks": 4}
    at = client.post("/forecast", json={**base, "distance_km": top})
    past = client.post("/forecast", json={**base, "distance_km": top + 1e-9})
    assert at.status_code == 200, at.get_json()
    assert past.status_code == 400 and past.get_json()["field"] == "distance_km"


def test_the_document_says_its_units_and_zone_and_names_real_fields(client):
    import json
    import re

    doc = client.get("/openapi.json").get_json()
    text = doc["info"]["description"]
    assert "metric" in text and "UTC" in text
    named = re.findall(r"`([a-z_]+)`", text)
    assert named, "the description names the fields that carry their unit"
    body = json.dumps({k: v for k, v in doc.items() if k != "info"})
    assert all(f'"{name}"' in body for name in named)
