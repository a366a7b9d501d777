"""Push through the packages: the api stage behind a loopback API Gateway, the jobs stage invoked
asynchronously for each webhook event, DynamoDB, S3 and SSM on moto, Strava's stand-in calling
the callback. Shared by bench/push.py and the package tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from testkit.aws import AWS_ENV

VERIFY_TOKEN = "push-stage-verify-token"
API_KEY = "push-stage-api-key-0123456789abcdef"
JOBS_FUNCTION = "pulseboard-jobs"  # as Zappa names the jobs stage, and the api derives it
# The provider's credentials that live in Parameter Store, not in a function's settings.
SECRET_VARS = ("STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN", "WITHINGS_CLIENT_SECRET",
               "WITHINGS_REFRESH_TOKEN")


def scheduled(function: str) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda (Zappa routes it by the rule's name)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "region": "eu-west-1",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": {},
            "resources": [f"arn:aws:events:eu-west-1:123456789012:rule/pulseboard-jobs-{function}"],
            "kwargs": {}}


class PushStage:
    """`with PushStage(moto, {"api": dir, "jobs": dir}, athlete) as stage:` then
    `stage.upload_run()` and `stage.wait_stored(id)`. The first Strava sync runs in a jobs
    container of its own (closed after), so the first event meets a cold jobs function as it
    would hours after the last run; later ones may find it warm."""

    def __init__(self, moto_endpoint: str, unpacked: dict[str, Path], athlete: Any,
                 data_dir: Path, concurrency: int = 2) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.moto = moto_endpoint
        self.unpacked = unpacked
        self.athlete = athlete
        self.data_dir = data_dir
        self.concurrency = concurrency
        self.table, self.bucket = f"pulseboard-push-{suffix}", "pulseboard-data"
        self.prefix, self.ssm_prefix = f"push{suffix}", f"/pulseboard-push-{suffix}"
        self._stack = ExitStack()
        self.standins: Any = None
        self.invoke: Any = None
        self.gateway: Any = None
        self.store: Any = None
        self.provider_env: dict[str, str] = {}
        self.subscription_id = 0
        self._starts: dict[str, datetime] = {}

    def client(self, service: str) -> Any:
        import boto3

        make: Any = boto3.client  # one factory for every service
        return make(service, region_name="eu-west-1", endpoint_url=self.moto,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def env(self, stage: str, aws_endpoint: str) -> dict[str, str]:
        from deploy.local_lambda import lambda_env
        from deploy.package import stage_config

        return lambda_env(stage, stage_config(stage), {
            **AWS_ENV,
            "PULSEBOARD_STORE": f"dynamodb://{self.table}",
            "PULSEBOARD_BLOBS": f"s3://{self.bucket}/{self.prefix}",
            "PULSEBOARD_DATA_DIR": str(self.data_dir / stage),
            "PULSEBOARD_SSM_PREFIX": self.ssm_prefix,
            "AWS_ENDPOINT_URL": aws_endpoint,
            **(self.provider_env if stage == "jobs" else {}),
        })

    def _function(self, stage: str, aws_endpoint: str) -> Any:
        from deploy.local_lambda import LocalLambda

        return LocalLambda(self.unpacked[stage], self.env(stage, aws_endpoint),
                           bytecode=stage == "api")

    def __enter__(self) -> PushStage:
        from demo.standins import StandIns
        from deploy.local_gateway import LocalGateway
        from deploy.local_invoke import LocalInvoke
        from storage.dynamodb import DynamoStore
        from storage.s3 import S3Blobs

        try:
            self.store = DynamoStore(self.table, client=self.client("dynamodb"))
            self.store.ensure_table()
            S3Blobs(self.bucket, client=self.client("s3")).ensure_bucket()
            self.standins = self._stack.enter_context(StandIns(self.athlete))
            env = self.standins.env()
            secrets = {name: env.pop(f"PULSEBOARD_{name}") for name in SECRET_VARS}
            secrets.update(STRAVA_VERIFY_TOKEN=VERIFY_TOKEN, API_KEY=API_KEY,
                           GOOGLE_CREDENTIALS=Path(env.pop("PULSEBOARD_GOOGLE_CREDENTIALS"))
                           .read_text())
            ssm = self.client("ssm")
            for name, value in secrets.items():
                ssm.put_parameter(Name=f"{self.ssm_prefix}/{name}", Value=value,
                                  Type="SecureString")
            self.provider_env = env
            self.invoke = self._stack.enter_context(LocalInvoke(self.moto, {
                JOBS_FUNCTION: lambda: self._function("jobs", self.invoke.url)},
                concurrency=self.concurrency))
            # The api scales as Lambda does: an event that finds every container busy (a burst
            # from Strava) starts a cold one.
            self.gateway = self._stack.enter_context(LocalGateway(
                None, "api", start=lambda: self._function("api", self.invoke.url)))
            self._connect()
        except BaseException:
            self._stack.close()
            raise
        return self

    def _connect(self) -> None:
        """The owner's first sync (the athlete id becomes known), then the subscription made
        with the command's own function, its callback the gateway's webhook."""
        import settings
        from collectors import sources
        from collectors.subscribe import subscribe

        with self._function("jobs", self.moto) as first:
            answer = first.invoke(scheduled("collectors.lambda_handlers.sync_strava"))
        if answer.get("outcome") != "complete":
            raise RuntimeError(f"the first Strava sync did not complete: {answer}")
        current = settings.load({**self.standins.env(), **AWS_ENV,
                                 "PULSEBOARD_DATA_DIR": str(self.data_dir / "owner")})
        config = sources.get("strava").configure(current)
        # Zappa touches the stage's touch_path after a deploy: the container Strava's validation
        # meets is warm (a cold one may miss its 2 s).
        import requests

        requests.get(self.gateway.url + "health", timeout=120)
        said: list[str] = []
        subscribe("strava", config, self.store, self.callback, False, False,
                  verify_token=VERIFY_TOKEN, out=said.append)
        self.subscription_id = int(self.standins.push.strava_subscription["id"])
        self.standins.clear_log()

    @property
    def callback(self) -> str:
        return self.gateway.url + "webhooks/strava"

    def upload_run(self, **fields: Any) -> str:
        """A run uploaded to Strava now; its create event goes to the callback."""
        run = self.standins.push.upload_run(**fields)
        self._starts[str(run["id"])] = datetime.fromisoformat(
            run["start_date"].replace("Z", "+00:00"))
        return str(run["id"])

    def stored(self, activity_id: str) -> bool:
        """Whether the table holds the uploaded run (one Query around its start: the athlete's
        history may hold activities later than it)."""
        start = self._starts[activity_id]
        found = self.store.query("activities", start=start - timedelta(seconds=1),
                                 end=start + timedelta(seconds=1))
        return any(a.id == activity_id for a in found)

    def wait_stored(self, activity_id: str, timeout_s: float = 60.0,
                    clock: Callable[[], float] = time.monotonic) -> float | None:
        """Seconds until the activity is in the table (None after `timeout_s`)."""
        started = clock()
        while clock() - started < timeout_s:
            if self.stored(activity_id):
                return clock() - started
            time.sleep(0.05)
        return None

    def strava_requests(self) -> int:
        return int(self.standins.requests("strava", "data"))

    def __exit__(self, *exc: object) -> None:
        if self.invoke is not None:
            self.invoke.wait_idle(30)
        self._stack.close()
