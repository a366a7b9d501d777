"""The stage packages, unpacked once per session, and a cloud on loopback for them to run in."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.local_lambda import LocalLambda, lambda_env, unpack
from deploy.package import PackageInfo, build, build_all, stage_config

EVENTS = Path(__file__).resolve().parents[1] / "events"
SECRET_KEY = "package-test-secret-key-0123456789abcdef"
API_KEY = "package-test-api-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
BUCKET = "pulseboard-data"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(scope="session")
def packages() -> dict[str, PackageInfo]:
    """`make package`'s own function: rebuilt only when its inputs changed (cached in dist/)."""
    return {info.stage: info for info in build_all()}


class Unpacked(dict[str, Path]):
    """Stage → its package unpacked, on first use: found in dist/ (or built) and unpacked once."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, stage: str) -> Path:
        self[stage] = unpack(build(stage).path, self.root / f"task-{stage}")
        return self[stage]


@pytest.fixture(scope="session")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Only the stages a test runs are unpacked (jobs alone takes 10 s); `packages` first builds
    them all side by side where every stage is needed."""
    return Unpacked(tmp_path_factory.mktemp("unpacked"))


@dataclass
class Cloud:
    """A table, a bucket and SSM secrets on the moto server, and the provider stand-ins."""

    endpoint: str
    table: str
    bucket: str
    blobs_prefix: str
    ssm_prefix: str
    data_dir: Path
    provider_env: dict[str, str] = field(default_factory=dict)

    def env(self, stage: str, **extra: str) -> dict[str, str]:
        overrides = {
            "PULSEBOARD_STORE": f"dynamodb://{self.table}",
            "PULSEBOARD_BLOBS": f"s3://{self.bucket}/{self.blobs_prefix}",
            "PULSEBOARD_DATA_DIR": str(self.data_dir / stage),
            "PULSEBOARD_SSM_PREFIX": self.ssm_prefix,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            # The stand-in athlete's runs come only from Strava's API: the owner opts in.
            "PULSEBOARD_FORECAST_USE_STRAVA_API": "true",
        }
        return lambda_env(stage, stage_config(stage), {**overrides, **extra})

    def function(self, unpacked: dict[str, Path], stage: str, **extra: str) -> LocalLambda:
        return LocalLambda(unpacked[stage], self.env(stage, **extra), bytecode=True)

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="eu-west-1", endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def store(self) -> Any:
        """The table as the functions see it."""
        from storage.dynamodb import DynamoStore

        return DynamoStore(self.table, client=self.client("dynamodb"))


def empty_folder(s3: Any, bucket: str, prefix: str) -> None:
    """Deletes what is under `prefix/` in a bucket, if there is one: every moto server in this
    process shares one state, so a test that needs the folder empty says so."""
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        return
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])


# Secrets the stand-ins hand out that belong in Parameter Store, not in the function's settings.
SECRET_VARS = ("STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN", "WITHINGS_CLIENT_SECRET",
               "WITHINGS_REFRESH_TOKEN")


@pytest.fixture(scope="module")
def cloud(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    from demo.athlete import Athlete
    from demo.standins import StandIns

    suffix = uuid.uuid4().hex[:10]
    # The bucket zappa_settings.json names (the jobs stage routes its S3 events by the bucket's
    # ARN); each module writes under a prefix of its own.
    made = Cloud(moto_endpoint, f"pulseboard-{suffix}", BUCKET, f"v{suffix}",
                 f"/pulseboard-{suffix}", tmp_path_factory.mktemp("lambda-tmp"))
    made.store().ensure_table()
    from storage.s3 import S3Blobs

    S3Blobs(made.bucket, client=made.client("s3")).ensure_bucket()
    ssm = made.client("ssm")
    with StandIns(Athlete.generate(seed=11, years=0.6)) as standins:
        env = standins.env()
        secrets = {name: env.pop(f"PULSEBOARD_{name}") for name in SECRET_VARS}
        secrets["SECRET_KEY"] = SECRET_KEY
        secrets["API_KEY"] = API_KEY  # outside the demo the API does not start without it
        secrets["MODEL_KEY"] = "stage-model-signing-key"
        credentials = Path(env.pop("PULSEBOARD_GOOGLE_CREDENTIALS")).read_text()
        secrets["GOOGLE_CREDENTIALS"] = credentials
        for name, value in secrets.items():
            ssm.put_parameter(Name=f"{made.ssm_prefix}/{name}", Value=value, Type="SecureString")
        made.provider_env = env
        yield made
