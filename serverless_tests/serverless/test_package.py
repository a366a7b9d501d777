"""Each stage's package, unpacked, run by Zappa's handler in a clean Python 3.12 (sys.path: the
package only) on recorded API Gateway, EventBridge and S3 events, against moto and stand-ins."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from deploy.local_lambda import RESPONSE_LIMIT_BYTES, LocalLambda
from deploy.package import PackageInfo, build, stage_config
from serverless_tests.serverless.conftest import API_KEY, PASSWORD, Cloud, event

SCHEDULED = ("sync_strava", "sync_withings", "sync_sheets")
# Stages on a schedule: the syncs in jobs, the weekly training in a function of its own.
SCHEDULED_STAGES = ("jobs", "train")
# Lambda's 250 MB unpacked, less the 30 % headroom issue 16 asks of the jobs package.
HEADROOM_UNZIPPED_BYTES = int(250 * 1024 * 1024 * 0.7)


@pytest.fixture(scope="module")
def jobs_ran(cloud: Cloud, unpacked: dict[str, Path], packages: dict[str, PackageInfo]
             ) -> dict[str, Any]:
    """The scheduled events, each in its stage's package: three syncs in one warm jobs
    container, then training in the train stage's (every stage built first, side by side)."""
    answers: dict[str, Any] = {}
    with cloud.function(unpacked, "jobs", **cloud.provider_env) as function:
        for name in SCHEDULED:
            answers[name] = function.invoke(event(f"scheduled_{name}.json"))
        answers["_log"] = function.log
    with cloud.function(unpacked, "train") as function:
        answers["train"] = function.invoke(event("scheduled_train.json"))
        answers["_log"] += function.log
    return answers


def test_scheduled_rules_are_named_as_zappa_names_them() -> None:
    from zappa.core import Zappa

    zappa = Zappa(load_credentials=False)
    recorded_names = set()
    for stage in SCHEDULED_STAGES:
        for entry in stage_config(stage)["events"]:
            if "expression" not in entry:
                continue
            short = entry["function"].rsplit(".", 1)[-1]
            rule = zappa.get_scheduled_event_name(entry, entry["function"], f"pulseboard-{stage}")
            recorded = event(f"scheduled_{short}.json")["resources"][0]
            assert recorded.endswith(f":rule/{rule}")
            recorded_names.add(short)
    assert recorded_names == {*SCHEDULED, "train"}


def test_training_is_scheduled_in_the_train_stage_only() -> None:
    functions = {stage: {e["function"] for e in stage_config(stage).get("events", [])}
                 for stage in SCHEDULED_STAGES}
    assert functions["train"] == {"models.lambda_handlers.train"}
    assert not any(f.startswith("models.") for f in functions["jobs"])


def test_jobs_and_train_packages_carry_only_their_own_work(
        unpacked: dict[str, Path], packages: dict[str, PackageInfo]) -> None:
    jobs = {p.name for p in unpacked["jobs"].iterdir()}
    train = {p.name for p in unpacked["train"].iterdir()}
    assert {"collectors", "numpy", "cryptography"} <= jobs
    assert not jobs & {"sklearn", "scipy", "joblib", "pandas", "models", "api", "dashboard"}
    assert {"models", "storage", "sklearn", "scipy", "numpy"} <= train
    assert not train & {"collectors", "cryptography", "google", "pandas", "api", "dashboard"}
    assert not list((unpacked["jobs"] / "numpy").rglob("tests"))
    # The jobs' cold start (what a push event waits for) compiles nothing; train has no room.
    assert list((unpacked["jobs"] / "collectors" / "__pycache__").glob("lambda_handlers.*.pyc"))
    assert list((unpacked["jobs"] / "numpy" / "__pycache__").glob("*.pyc"))
    assert not list((unpacked["train"] / "sklearn").rglob("*.pyc"))
    for stage in SCHEDULED_STAGES:
        assert packages[stage].unzipped_bytes <= HEADROOM_UNZIPPED_BYTES, packages[stage].report()


def test_jobs_sync_every_source_and_train(jobs_ran: dict[str, Any], cloud: Cloud) -> None:
    print(json.dumps({k: v for k, v in jobs_ran.items() if k != "_log"}, indent=1, default=str))
    print("\n".join(jobs_ran["_log"][-30:]))
    assert jobs_ran["train"]["outcome"] == "published", jobs_ran["train"]
    store = cloud.store()
    assert store.count("activities") > 0
    assert store.count("measurements", "weight_kg") > 0
    assert store.count("lift_sets") > 0


def test_jobs_import_an_uploaded_activity_file(jobs_ran: dict[str, Any], cloud: Cloud,
                                               unpacked: dict[str, Path]) -> None:
    from datetime import UTC, datetime

    from demo.activity_files import gpx_text, samples

    key = f"{cloud.blobs_prefix}/inbox/Evening Run.gpx"
    s3 = cloud.client("s3")
    run = gpx_text(samples(datetime(2026, 11, 20, 18, 5, tzinfo=UTC)))
    s3.put_object(Bucket=cloud.bucket, Key=key, Body=run.encode())
    uploaded = copy.deepcopy(event("s3_object_created.json"))
    record = uploaded["Records"][0]["s3"]
    record["object"].update(key=key.replace(" ", "+"), size=1)
    before = cloud.store().count("activities")
    with cloud.function(unpacked, "jobs") as function:
        answer = function.invoke(uploaded)
    assert answer is not None, "Zappa found no function for the bucket's event"
    assert cloud.store().count("activities") == before + 1, answer


# --- api ---------------------------------------------------------------------------------------

def api_event(name: str, **changes: Any) -> dict[str, Any]:
    found = list(Path(__file__).resolve().parents[1].glob(f"events/{name}"))
    if not found:
        pytest.skip(f"serverless_tests/events/{name} not recorded yet (the api module's events)")
    made = copy.deepcopy(event(name))
    # The caller that holds the stage's key (the dashboard, the owner's scripts).
    made.setdefault("headers", {})["X-Api-Key"] = API_KEY
    made.setdefault("multiValueHeaders", {})["X-Api-Key"] = [API_KEY]
    made.update(changes)
    return made


@pytest.fixture(scope="module")
def api(cloud: Cloud, unpacked: dict[str, Path], jobs_ran: dict[str, Any]) -> Any:
    if not (unpacked["api"] / "api" / "wsgi.py").is_file():
        pytest.skip("api.wsgi is not written yet: the api stage has no app to serve")
    with cloud.function(unpacked, "api") as function:
        yield function


def text(answer: dict[str, Any]) -> str:
    """An answer's body as the browser reads it: Zappa sends an encoded (gzipped) one base64."""
    data = answer.get("body") or ""
    if not answer.get("isBase64Encoded"):
        return str(data)
    raw = base64.b64decode(data)
    encodings = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
    encoding = encodings.get("content-encoding") or [(answer.get("headers") or {}).get(
        "Content-Encoding", "")]
    return (gzip.decompress(raw) if "gzip" in encoding else raw).decode()


def body(answer: dict[str, Any]) -> Any:
    return json.loads(text(answer))


def test_api_health(api: LocalLambda) -> None:
    answer = api.invoke(api_event("api_get_health.json"))
    assert answer["statusCode"] == 200
    assert body(answer)["model_version"]  # the key's holder is told which model


def test_api_tells_an_anonymous_caller_nothing(api: LocalLambda) -> None:
    anonymous = copy.deepcopy(event("api_get_health.json"))
    health = api.invoke(anonymous)
    assert health["statusCode"] == 200 and body(health) == {"status": "ok"}
    forecast = api.invoke(copy.deepcopy(event("api_get_forecast.json")))
    assert forecast["statusCode"] == 401 and "weight_kg" not in forecast["body"]


def test_api_forecast_get_and_post(api: LocalLambda, jobs_ran: dict[str, Any]) -> None:
    got = api.invoke(api_event("api_get_forecast.json"))
    assert got["statusCode"] == 200, got
    assert body(got)["model"]["version"] == jobs_ran["train"]["version"]
    assert set(body(got)["per_week"]) == {"weight_kg", "fat_ratio_pct"}
    posted = api.invoke(api_event("api_post_forecast.json"))
    assert posted["statusCode"] == 200, posted
    assert body(posted)["model"]["version"] == jobs_ran["train"]["version"]


def test_api_forecast_invalid(api: LocalLambda) -> None:
    recorded = api_event("api_get_forecast.json")
    query = dict(recorded["queryStringParameters"], weeks="many")
    bad = api.invoke(dict(recorded, queryStringParameters=query,
                          multiValueQueryStringParameters={k: [v] for k, v in query.items()}))
    assert bad["statusCode"] == 400 and body(bad)["field"] == "weeks", bad
    posted = api_event("api_post_forecast.json")
    broken = api.invoke(dict(posted, body='{"weeks": '))
    assert broken["statusCode"] == 400, broken


def test_api_package_carries_no_dashboard_dependencies(unpacked: dict[str, Path]) -> None:
    present = {p.name for p in unpacked["api"].iterdir()}
    assert not present & {"dash", "pandas", "plotly", "sklearn", "scipy", "dashboard"}
    assert not {"sklearn", "scipy"} & {p.name for p in unpacked["dashboard"].iterdir()}


@pytest.mark.parametrize(("stage", "path", "left_out"), [
    ("dashboard", "botocore/data/ec2/2016-11-15/service-2.json.gz", True),
    ("api", "botocore/data/sagemaker/2017-07-24/service-2.json.gz", True),
    ("jobs", "botocore/data/dynamodb/2012-08-10/service-2.json.gz", False),
    ("dashboard", "botocore/data/s3/2006-03-01/service-2.json.gz", False),
    ("dashboard", "botocore/data/endpoints.json", False),
    ("dashboard", "plotly/package_data/plotly.min.js", True),
    ("dashboard", "dash/dcc/async-graph.js.map", True),
    ("dashboard", "dash/dcc/package-info.json", False),
    ("api", "werkzeug/debug/shared/debugger.js", False),  # only the dashboard publishes its own
])
def test_what_a_stage_never_reads_stays_out(stage: str, path: str, left_out: bool) -> None:
    from pathlib import PurePosixPath

    from deploy.package import needed_elsewhere

    assert needed_elsewhere(stage, PurePosixPath(path)) is left_out


def test_the_dashboard_package_leaves_out_what_the_assets_url_serves(
        unpacked: dict[str, Path]) -> None:
    root = unpacked["dashboard"]
    assert not list((root / "dash").rglob("*.js"))
    assert not (root / "plotly" / "package_data" / "plotly.min.js").exists()
    assert (root / "dash" / "dcc" / "package-info.json").is_file()  # Dash reads it at import
    services = {p.name for p in (root / "botocore" / "data").iterdir() if p.is_dir()}
    assert services <= {"dynamodb", "s3", "ssm", "lambda", "sts", "sso", "sso-oidc"}
    assert {"dynamodb", "s3", "ssm"} <= services


def test_the_dashboard_libraries_are_bytecode_only_and_its_own_code_keeps_its_source(
        unpacked: dict[str, Path]) -> None:
    root = unpacked["dashboard"]
    assert (root / "dash" / "dash.pyc").is_file() and not (root / "dash" / "dash.py").exists()
    assert (root / "flask" / "app.pyc").is_file() and not (root / "flask" / "app.py").exists()
    assert (root / "dashboard" / "app.py").is_file()  # tracebacks of our code show its lines
    assert list((root / "dashboard" / "__pycache__").glob("app.*.pyc"))
    assert (root / "handler.py").is_file()  # Zappa's, at the root: Lambda imports it by name


def test_the_same_inputs_build_the_same_package(packages: dict[str, PackageInfo],
                                                tmp_path: Path) -> None:
    again = build("api", dist_dir=tmp_path, force=True)
    assert again.content_sha256 == packages["api"].content_sha256 != ""
    assert again.content_sha256[:16] in again.report()


# --- dashboard -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dashboard(cloud: Cloud, unpacked: dict[str, Path], jobs_ran: dict[str, Any]) -> Any:
    from dashboard.auth import users

    users.add(cloud.store(), "owner", PASSWORD, "owner")
    with cloud.function(unpacked, "dashboard") as function:
        yield function


def headers(answer: dict[str, Any]) -> dict[str, list[str]]:
    return {k.lower(): v for k, v in answer["multiValueHeaders"].items()}


def with_cookie(recorded: dict[str, Any], cookie: str | None, **changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(recorded)
    made.update(changes)
    for key in ("headers", "multiValueHeaders"):
        made[key].pop("Cookie", None)
        if cookie:
            made[key]["Cookie"] = cookie if key == "headers" else [cookie]
    return made


def cookie_of(answer: dict[str, Any]) -> str:
    found = [c.split(";", 1)[0] for c in headers(answer).get("set-cookie", [])]
    assert found, answer
    return found[-1]


def dash_config(page: dict[str, Any]) -> Any:
    found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                      text(page), re.S)
    assert found, page
    return json.loads(found.group(1))


def login(dashboard: LocalLambda) -> str:
    page = dashboard.invoke(with_cookie(event("dashboard_get_login.json"), None))
    assert page["statusCode"] == 200 and 'action="/dashboard/login"' in text(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page))
    assert token
    form = urlencode({"csrf_token": token.group(1), "next": "/dashboard/weight",
                      "username": "owner", "password": PASSWORD})
    signed = dashboard.invoke(with_cookie(event("dashboard_post_login.json"), cookie_of(page),
                                          body=form))
    assert signed["statusCode"] == 302, signed
    assert headers(signed)["location"] == ["/dashboard/weight"]
    return cookie_of(signed)


def test_dashboard_without_a_session(dashboard: LocalLambda) -> None:
    page = dashboard.invoke(with_cookie(event("dashboard_get_page.json"), None))
    assert page["statusCode"] == 302
    assert headers(page)["location"] == ["/dashboard/login?next=/dashboard/weight"]
    update = dashboard.invoke(with_cookie(event("dashboard_post_update_component.json"), None))
    assert update["statusCode"] == 401 and body(update)["error"] == "unauthorized"


def test_dashboard_page_and_callback_with_a_session(dashboard: LocalLambda,
                                                    cloud: Cloud) -> None:
    cookie = login(dashboard)
    page = dashboard.invoke(with_cookie(event("dashboard_get_page.json"), cookie))
    assert page["statusCode"] == 200, page
    config = dash_config(page)
    assert config["requests_pathname_prefix"] == "/dashboard/"
    assert config["url_base_pathname"] is None or config["url_base_pathname"] == "/dashboard/"
    update = dashboard.invoke(with_cookie(event("dashboard_post_update_component.json"), cookie))
    assert update["statusCode"] == 200, update
    version = body(update)["response"]["app-data-version"]["data"]
    assert version, "the live check read nothing from the store"
    assert len(text(page).encode()) < 6 * 1024 * 1024
    # The browser's Accept-Encoding (in the recorded events) gets gzip, sent base64 by Zappa.
    assert page["isBase64Encoded"] and headers(page)["content-encoding"] == ["gzip"]


def test_dashboard_browser_code_comes_from_the_assets_url(dashboard: LocalLambda) -> None:
    """The stage sets PULSEBOARD_ASSETS_URL: scripts, styles, the icon and plotly.js are fetched
    from there, Dash's own requests stay under the stage, and no answer comes near 6 MB."""
    assets = stage_config("dashboard")["aws_environment_variables"]["PULSEBOARD_ASSETS_URL"]
    cookie = login(dashboard)
    page = dashboard.invoke(with_cookie(event("dashboard_get_page.json"), cookie))
    urls = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', text(page))
    assert len(urls) > 5 and all(u.startswith(assets + "/") for u in urls), urls
    config = dash_config(page)
    assert config["plotlyjs_url"].startswith(assets + "/plotly/")
    assert config["requests_pathname_prefix"] == "/dashboard/"
    for path in ("/_dash-layout", "/_dash-dependencies"):
        answer = dashboard.invoke(with_cookie(event("dashboard_get_page.json"), cookie, path=path))
        assert answer["statusCode"] == 200, answer
    # Where the function used to send plotly.js from, it no longer does.
    local_plotly = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    gone = dashboard.invoke(with_cookie(event("dashboard_get_page.json"), cookie,
                                        path=local_plotly))
    assert gone["statusCode"] >= 400
    print(f"largest dashboard answer: {dashboard.largest_response_bytes} bytes")
    assert dashboard.largest_response_bytes < RESPONSE_LIMIT_BYTES // 10


def test_stage_environment_matches_its_api_gateway_stage() -> None:
    config = stage_config("dashboard")
    assert config["aws_environment_variables"]["DASH_REQUESTS_PATHNAME_PREFIX"] == "/dashboard/"
