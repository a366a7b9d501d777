"""Deploy rehearsal on moto: `make deploy|update|undeploy` for each stage through Zappa; the
functions, the APIs, the schedule rules and the S3 trigger exist with the right targets, then go."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from deploy import cdn
from deploy.assets import upload
from deploy.aws import DeployError, check_secrets, run
from deploy.package import PackageInfo, stage_config
from serverless_tests.serverless.conftest import empty_folder

REGION = "eu-west-1"
NO_TOUCH = {"touch": False}  # Zappa's GET to the new endpoint cannot reach a moto API


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)


def put_secrets(names: tuple[str, ...]) -> None:
    ssm = client("ssm")
    for name in names:
        ssm.put_parameter(Name=f"/pulseboard/{name}", Value=f"rehearsal-{name.lower()}",
                          Type="SecureString", Overwrite=True)


def functions() -> set[str]:
    return {f["FunctionName"] for f in client("lambda").list_functions()["Functions"]}


def rest_apis() -> dict[str, str]:
    return {a["name"]: a["id"] for a in client("apigateway").get_rest_apis()["items"]}


def live_stacks() -> set[str]:
    return {s["StackName"] for s in client("cloudformation").describe_stacks()["Stacks"]
            if s["StackStatus"] != "DELETE_COMPLETE"}


def rules() -> dict[str, tuple[str, list[str]]]:
    events = client("events")
    return {r["Name"]: (r.get("ScheduleExpression", ""),
                        [t["Arn"] for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"]])
            for r in events.list_rules(NamePrefix="pulseboard-")["Rules"]}


def say(_: str) -> None:
    pass


@pytest.fixture
def rehearsal(aws: str, packages: dict[str, PackageInfo]) -> None:
    """AWS_ENDPOINT_URL points at moto (boto3 and the Zappa subprocess both honour it)."""


def test_missing_secret_stops_the_deploy(rehearsal: None) -> None:
    ssm = client("ssm")
    for name in ("STRAVA_CLIENT_SECRET", "API_KEY", "MODEL_KEY"):
        try:
            ssm.delete_parameter(Name=f"/pulseboard/{name}")
        except ssm.exceptions.ParameterNotFound:
            pass
    said: list[str] = []
    with pytest.raises(DeployError, match="/pulseboard/STRAVA_CLIENT_SECRET"):
        run("deploy", "jobs", said.append, extra=dict(NO_TOUCH))
    assert "pulseboard-jobs" not in functions()
    assert said == []  # the jobs need no generated key: training signs the model
    # The keys nobody has to choose are made on the way (random, SecureString), and only once.
    check_secrets("train", stage_config("train"), ssm, said.append)
    assert said == ["created /pulseboard/MODEL_KEY (a random key, kept in Parameter Store)"]
    made = ssm.get_parameter(Name="/pulseboard/MODEL_KEY", WithDecryption=True)["Parameter"]
    assert made["Type"] == "SecureString" and len(made["Value"]) >= 43
    check_secrets("train", stage_config("train"), ssm, said.append)
    assert len(said) == 1
    assert ssm.get_parameter(Name="/pulseboard/MODEL_KEY",
                             WithDecryption=True)["Parameter"]["Value"] == made["Value"]


def test_deploy_update_undeploy_every_stage(rehearsal: None) -> None:
    put_secrets(("SECRET_KEY", "STRAVA_CLIENT_SECRET", "WITHINGS_CLIENT_SECRET"))
    empty_folder(client("s3"), "pulseboard-data", "v1/static")
    with pytest.raises(DeployError, match="run `make publish-assets` first"):
        run("deploy", "dashboard", say, extra=dict(NO_TOUCH))
    # What `make publish-assets` does: the scripts, and the pages' shells for the stage.
    upload(client("s3"), "pulseboard-data", "v1", stage_config("dashboard")[
        "aws_environment_variables"])
    with pytest.raises(DeployError, match="deploy the api stage first"):
        run("deploy", "dashboard", say, extra=dict(NO_TOUCH))
    said: list[str] = []
    for stage in ("api", "dashboard", "jobs", "train"):
        run("deploy", stage, said.append, extra=dict(NO_TOUCH))
    subscribe = [line for line in said if "collectors subscribe" in line]
    assert len(subscribe) == 2 and subscribe[0].endswith("/api/webhooks/strava"), said
    assert {"pulseboard-api", "pulseboard-dashboard", "pulseboard-jobs",
            "pulseboard-train"} <= functions()
    # Table and bucket were made by the checks.
    assert client("dynamodb").describe_table(TableName="pulseboard")["Table"]["TableName"]
    apis = rest_apis()
    assert {"pulseboard-api", "pulseboard-dashboard"} <= set(apis)
    assert {"pulseboard-api", "pulseboard-dashboard"} <= live_stacks()
    stages = {s["stageName"] for s in client("apigateway").get_stages(
        restApiId=apis["pulseboard-dashboard"])["item"]}
    assert "dashboard" in stages
    # The dashboard was given the api stage's URL; secrets stayed out of its configuration.
    env = client("lambda").get_function_configuration(
        FunctionName="pulseboard-dashboard")["Environment"]["Variables"]
    assert env["PULSEBOARD_API_URL"].endswith("/api")
    assert env["DASH_REQUESTS_PATHNAME_PREFIX"] == "/dashboard/"
    assert env["PULSEBOARD_ASSETS_URL"] == stage_config("dashboard")[
        "aws_environment_variables"]["PULSEBOARD_ASSETS_URL"]
    assert not any("rehearsal-" in value for value in env.values())
    # In front of the dashboard, its CloudFront distribution: the published pages and scripts
    # from the bucket, the rest from the stage's API (deploy/cdn.py's table).
    cf = boto3.client("cloudfront", region_name=cdn.CLOUDFRONT_REGION)
    distribution = cdn.find(cf, "dashboard")
    assert distribution is not None
    assert any(f"https://{distribution['DomainName']}/dashboard/" in line for line in said)
    stored = cf.get_distribution_config(Id=distribution["Id"])["DistributionConfig"]
    origins = {o["Id"]: o for o in stored["Origins"]["Items"]}
    assert origins[cdn.FUNCTION_ORIGIN]["DomainName"].startswith(apis["pulseboard-dashboard"])
    assert origins[cdn.STATIC_ORIGIN]["DomainName"].startswith("pulseboard-data.s3.")
    assert origins[cdn.STATIC_ORIGIN]["OriginPath"] == "/v1"
    patterns = [b["PathPattern"] for b in stored["CacheBehaviors"]["Items"]]
    assert patterns[:2] == ["/dashboard/static/*", "/dashboard/"]
    assert "/dashboard/weight" in patterns
    run("update", "dashboard", say, extra=dict(NO_TOUCH))
    assert cdn.find(cf, "dashboard")["Id"] == distribution["Id"]  # type: ignore[index]
    arns = {stage: client("lambda").get_function(
        FunctionName=f"pulseboard-{stage}")["Configuration"]["FunctionArn"]
        for stage in ("jobs", "train")}
    jobs_arn = arns["jobs"]
    scheduled = rules()
    for stage, arn in arns.items():
        for entry in stage_config(stage)["events"]:
            if "expression" in entry:
                expression, target_arns = scheduled[f"pulseboard-{stage}-{entry['function']}"]
                assert expression == entry["expression"] and target_arns == [arn]
    assert "pulseboard-train-models.lambda_handlers.train" in scheduled
    assert not any(name.startswith("pulseboard-jobs-models.") for name in scheduled)
    trigger = client("s3").get_bucket_notification_configuration(Bucket="pulseboard-data")
    assert [c["LambdaFunctionArn"] for c in trigger["LambdaFunctionConfigurations"]] == [jobs_arn]
    role = client("iam").get_role_policy(RoleName="pulseboard-jobs-ZappaLambdaExecutionRole",
                                         PolicyName="zappa-permissions")
    assert "arn:aws:dynamodb:eu-west-1:*:table/pulseboard" in str(role["PolicyDocument"])
    # Training reads the store and writes only the model's folder.
    trains = str(client("iam").get_role_policy(RoleName="pulseboard-train-ZappaLambdaExecutionRole",
                                               PolicyName="zappa-permissions")["PolicyDocument"])
    assert "pulseboard-data/v1/models/*" in trains and "dynamodb:PutItem" not in trains
    with pytest.raises(DeployError, match="already deployed"):
        run("deploy", "api", say, extra=dict(NO_TOUCH))
    run("update", "api", say, extra=dict(NO_TOUCH))
    for stage in ("train", "jobs", "dashboard", "api"):
        run("undeploy", stage, say)
    assert cdn.find(cf, "dashboard") is None
    assert not [f for f in cf.list_functions()["FunctionList"].get("Items", [])
                if f["Name"].startswith("pulseboard-dashboard-")]
    assert not {"pulseboard-api", "pulseboard-dashboard", "pulseboard-jobs",
                "pulseboard-train"} & functions()
    # Zappa removes an API by deleting the CloudFormation stack that made it (moto keeps the
    # RestApi record itself after the stack goes; AWS deletes it with the stack).
    assert not {"pulseboard-api", "pulseboard-dashboard"} & live_stacks()
    assert not rules()
    trigger = client("s3").get_bucket_notification_configuration(Bucket="pulseboard-data")
    assert not trigger.get("LambdaFunctionConfigurations")
