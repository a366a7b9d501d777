"""The WSGI app through Zappa's LambdaHandler, as API Gateway (REST, stage /dev) sends requests;
answering never imports the training stack."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import settings
from serverless_tests.api.cases import ALL, Case
from serverless_tests.api.conftest import SERVE_KEY, publish
from serverless_tests.api.test_forecast import send
from storage import Measurement
from testkit.stores import open_blobs, open_store
from testkit.zappa import Context, lambda_handler

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "serverless_tests" / "events"
HEAVY = ("numpy", "scipy", "sklearn", "pandas")
KEY = "lambda-key-0123"


def keyed(event: dict, key: str = KEY) -> dict:
    """The event with the API's key, as a client sends it (API Gateway keeps its casing)."""
    event = copy.deepcopy(event)
    event["headers"]["x-api-key"] = key
    event["multiValueHeaders"]["x-api-key"] = [key]
    return event


def recorded(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def event_for(case: Case, headers: dict[str, str] | None = None) -> dict:
    """The recorded REST proxy event, changed to carry this case's request."""
    event = recorded("api_post_forecast.json" if case.method == "POST"
                     else "api_get_forecast.json")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = case.method
    event["path"] = case.path
    event["pathParameters"] = {"proxy": case.path.lstrip("/")}
    event["requestContext"]["path"] = "/dev" + case.path
    multi: dict[str, list[str]] = {}
    for name, value in case.query:
        multi.setdefault(name, []).append(value)
    event["multiValueQueryStringParameters"] = multi or None
    event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()} or None
    extra = {**case.headers(), **(headers or {})}
    for name in ("Content-Type", "Content-Length"):
        event["headers"].pop(name, None)
        event["multiValueHeaders"].pop(name, None)
    if case.body is not None:
        extra["Content-Length"] = str(len(case.body))
        try:
            event["body"], event["isBase64Encoded"] = case.body.decode("utf-8"), False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(case.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["body"] = None
    for name, value in extra.items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    return event


@pytest.fixture
def deployed(tmp_path, monkeypatch, trained):
    """Settings as the Lambda gets them from its environment, a model and a weigh-in stored."""
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{tmp_path}/store.db")
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"file://{tmp_path}/blobs")
    monkeypatch.setenv("PULSEBOARD_API_KEY", KEY)
    settings.reset()
    publish(open_blobs(), trained)
    from datetime import UTC, datetime

    moment = datetime(2025, 1, 5, 7, tzinfo=UTC)
    with open_store() as store:
        store.put([Measurement(moment, "weight_kg", 81.4, "withings", "a"),
                   Measurement(moment, "fat_ratio_pct", 21.3, "withings", "a")])
    return tmp_path


@pytest.fixture
def handler(deployed, tmp_path, monkeypatch):
    # A cold start: the WSGI module is imported afresh, under this test's settings.
    monkeypatch.delitem(sys.modules, "api.wsgi", raising=False)
    return lambda_handler(tmp_path, monkeypatch, "api.wsgi.app")


def invoke(handler, event: dict) -> tuple[int, dict, dict]:
    answer = handler.handler(event, Context())
    body = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return answer["statusCode"], json.loads(body), answer.get("headers", {})


def test_cases_answer_as_through_flasks_test_client(handler):
    """Each case through API Gateway + Zappa answers exactly as it does in-process."""
    from api.wsgi import app

    client = app.test_client()
    for case in ALL:
        status, body, headers = invoke(handler, keyed(event_for(case)))
        assert status == case.status, (case.id, body)
        assert headers["Content-Type"] == "application/json", case.id
        if case.error:
            assert body["error"] == case.error and body.get("field") == case.field, case.id
        expected = send(client, case, {"X-Api-Key": KEY})
        assert (status, body) == (expected.status_code, expected.get_json()), case.id


def test_the_recorded_events_answer(handler, trained):
    status, body, _ = invoke(handler, keyed(recorded("api_get_forecast.json")))
    assert status == 200 and body["weeks"] == 12
    assert body["start"] == {"weight_kg": 81.4, "fat_ratio_pct": 21.3}
    assert body["model"]["k"] == trained.k
    status, posted, _ = invoke(handler, keyed(recorded("api_post_forecast.json")))
    assert status == 200 and posted == body
    status, health, _ = invoke(handler, keyed(recorded("api_get_health.json")))
    assert status == 200 and health["status"] == "ok" and health["model_loaded"] is True


def test_the_stage_is_the_script_root(handler):
    event = keyed(event_for(Case("doc", "GET", 200, path="/openapi.json")))
    status, doc, _ = invoke(handler, event)
    assert status == 200 and doc["servers"] == [{"url": "/dev"}]


def test_a_base64_body_is_decoded(handler):
    case = Case("post", "POST", 200, body=json.dumps(
        {"distance_km": 25, "duration_h": 2.5, "crossfit_sessions": 3, "avg_weight_kg": 40}
    ).encode(), content_type="application/json")
    event = keyed(event_for(case))
    event["body"] = base64.b64encode(case.body).decode()
    event["isBase64Encoded"] = True
    status, body, _ = invoke(handler, event)
    assert status == 200 and body["weeks"] == 4


def test_api_key_from_the_lambda_environment(deployed, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_API_KEY", "lambda-key")
    settings.reset()
    monkeypatch.delitem(sys.modules, "api.wsgi", raising=False)
    handler = lambda_handler(tmp_path, monkeypatch, "api.wsgi.app")
    get = recorded("api_get_forecast.json")
    status, body, _ = invoke(handler, get)
    assert status == 401 and body["error"] == "unauthorized"
    assert invoke(handler, keyed(get, "lambda-key"))[0] == 200
    status, health, _ = invoke(handler, recorded("api_get_health.json"))
    assert (status, health) == (200, {"status": "ok"})  # anonymous: nothing more


def test_no_model_through_lambda_is_503(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{tmp_path}/store.db")
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"file://{tmp_path}/empty")
    monkeypatch.setenv("PULSEBOARD_API_KEY", KEY)
    settings.reset()
    monkeypatch.delitem(sys.modules, "api.wsgi", raising=False)
    handler = lambda_handler(tmp_path, monkeypatch, "api.wsgi.app")
    status, body, _ = invoke(handler, keyed(recorded("api_get_forecast.json")))
    assert status == 503 and body["error"] == "no_model"
    assert "python -m models train" in body["message"]


def test_cloud_settings_s3_and_dynamodb_on_moto(aws, tmp_path, monkeypatch, trained):
    from storage.dynamodb import DynamoStore
    from storage.s3 import S3Blobs

    bucket, table = f"pb-{uuid.uuid4().hex[:10]}", f"pb-{uuid.uuid4().hex[:10]}"
    S3Blobs(bucket, "v1").ensure_bucket()
    DynamoStore(table).ensure_table()
    monkeypatch.setenv("PULSEBOARD_STORE", f"dynamodb://{table}")
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"s3://{bucket}/v1")
    monkeypatch.setenv("PULSEBOARD_API_KEY", KEY)
    settings.reset()
    publish(open_blobs(), trained)
    from datetime import UTC, datetime

    open_store().put([Measurement(datetime(2025, 1, 5, tzinfo=UTC), "weight_kg", 79.9,
                                  "withings", "b")])
    monkeypatch.delitem(sys.modules, "api.wsgi", raising=False)
    handler = lambda_handler(tmp_path, monkeypatch, "api.wsgi.app")
    status, body, _ = invoke(handler, keyed(recorded("api_get_forecast.json")))
    assert status == 200
    assert body["start"] == {"weight_kg": 79.9, "fat_ratio_pct": None}
    assert body["end"]["fat_ratio_pct"] is None


def test_answering_imports_no_numpy_scipy_sklearn_or_pandas(serve_env):
    code = f"""
import json, sys
from api.wsgi import app
client = app.test_client()
answer = client.get('/forecast?distance_km=20&duration_h=2&crossfit_sessions=2&avg_weight_kg=50',
                    headers={{"X-Api-Key": {SERVE_KEY!r}}})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})
print(json.dumps({{"status": answer.status_code, "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=serve_env,
                          capture_output=True, text=True, timeout=60, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"status": 200, "heavy": []}
