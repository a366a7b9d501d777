"""Lambda's Invoke API on loopback: asynchronous invocations on warm containers, retried as
Lambda retries them, every other request passed to moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.local_invoke import ASYNC_RETRIES, LocalInvoke
from deploy.local_lambda import LocalLambda

HANDLER = '''
import json, os, time
def lambda_handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    time.sleep(event.get("sleep_s", 0))
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps({"pid": os.getpid(), **event}) + "\\n")
    return {"echo": event, "function": context.function_name}
'''


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "handler.py").write_text(HANDLER)
    return folder


def lambda_client(url: str) -> Any:
    return boto3.client("lambda", region_name="eu-west-1", endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_event_invocation_is_accepted_at_once_and_run_on_a_warm_container(
        package: Path, tmp_path: Path, moto_endpoint: str) -> None:
    out = tmp_path / "out.jsonl"

    def make() -> LocalLambda:
        return LocalLambda(package, {"OUT": str(out), "AWS_LAMBDA_FUNCTION_NAME": "p-jobs"})

    with LocalInvoke(moto_endpoint, {"p-jobs": make}, concurrency=2, retry_after_s=0.1) as aws:
        client = lambda_client(aws.url)
        for n in range(3):
            answer = client.invoke(FunctionName="p-jobs", InvocationType="Event",
                                   Payload=json.dumps({"n": n}).encode())
            assert answer["StatusCode"] == 202
            assert aws.wait_idle(30)
        # Synchronous, by ARN: the handler's answer comes back.
        got = client.invoke(FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:p-jobs",
                            Payload=b'{"n": 9}')
        assert json.loads(got["Payload"].read()) == {"echo": {"n": 9}, "function": "p-jobs"}
        assert aws.containers("p-jobs") == 1  # one after another: the container stays warm
        # Two at once: the second finds the first busy and gets a container of its own.
        for n in (10, 11):
            client.invoke(FunctionName="p-jobs", InvocationType="Event",
                          Payload=json.dumps({"n": n, "sleep_s": 1.0}).encode())
        assert aws.wait_idle(30)
        assert aws.containers("p-jobs") == 2
    ran = lines(out)
    assert sorted(r["n"] for r in ran) == [0, 1, 2, 9, 10, 11]
    assert len({r["pid"] for r in ran if r["n"] in (10, 11)}) == 2


def test_a_failing_event_is_retried_twice_and_an_unknown_function_is_not_found(
        package: Path, tmp_path: Path, moto_endpoint: str) -> None:
    def make() -> LocalLambda:
        return LocalLambda(package, {"OUT": str(tmp_path / "out.jsonl")})

    with LocalInvoke(moto_endpoint, {"p-jobs": make}, retry_after_s=0.05) as aws:
        client = lambda_client(aws.url)
        client.invoke(FunctionName="p-jobs", InvocationType="Event", Payload=b'{"fail": true}')
        assert aws.wait_idle(30)
        [failed] = aws.invocations
        assert failed.attempts == 1 + ASYNC_RETRIES and "asked to fail" in failed.error
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="p-other", InvocationType="Event", Payload=b"{}")


def test_every_other_request_goes_to_moto(moto_endpoint: str, tmp_path: Path) -> None:
    import uuid

    with LocalInvoke(moto_endpoint, {}) as aws:
        s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=aws.url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        bucket = f"invoke-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
        assert s3.head_object(Bucket=bucket, Key="a/b.txt")["ContentLength"] == 5
        assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
        direct = boto3.client("s3", region_name="eu-west-1", endpoint_url=moto_endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        assert direct.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
        assert aws.forwarded["s3:PUT"] == 2 and aws.forwarded["s3:GET"] == 1  # bucket, object


def test_what_is_passed_on_is_counted_by_service_and_operation() -> None:
    from deploy.local_invoke import operation

    assert operation("POST", {"x-amz-target": "DynamoDB_20120810.PutItem"}) == "dynamodb:PutItem"
    assert operation("POST", {"x-amz-target": "AmazonSSM.GetParametersByPath"}) == \
        "ssm:GetParametersByPath"
    assert operation("GET", {}) == "s3:GET"
