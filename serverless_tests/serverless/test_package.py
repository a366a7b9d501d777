"""Each stage's package, unpacked, run by Zappa's handler in a clean Python 3.12 (sys.path: the
package only) on recorded API Gateway, EventBridge and S3 events, against moto and stand-ins."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from deploy.local_lambda import LocalLambda
from deploy.package import stage_config
from serverless_tests.serverless.conftest import PASSWORD, Cloud, event

SCHEDULED = ("sync_strava", "sync_withings", "sync_sheets")


def store_of(cloud: Cloud) -> Any:
    from storage.dynamodb import DynamoStore

    return DynamoStore(cloud.table, client=boto3.client(
        "dynamodb", region_name="eu-west-1", endpoint_url=cloud.endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing"))


@pytest.fixture(scope="module")
def jobs_ran(cloud: Cloud, unpacked: dict[str, Path]) -> dict[str, Any]:
    """The jobs stage's scheduled events, in one warm container: three syncs, then training."""
    answers: dict[str, Any] = {}
    with cloud.function(unpacked, "jobs", **cloud.provider_env) as function:
        for name in (*SCHEDULED, "train"):
            answers[name] = function.invoke(event(f"scheduled_{name}.json"))
        answers["_log"] = function.log
    return answers


def test_scheduled_rules_are_named_as_zappa_names_them() -> None:
    from zappa.core import Zappa

    zappa = Zappa(load_credentials=False)
    for entry in stage_config("jobs")["events"]:
        if "expression" not in entry:
            continue
        short = entry["function"].rsplit(".", 1)[-1]
        rule = zappa.get_scheduled_event_name(entry, entry["function"], "pulseboard-jobs")
        recorded = event(f"scheduled_{short}.json")["resources"][0]
        assert recorded.endswith(f":rule/{rule}")


def test_jobs_sync_every_source_and_train(jobs_ran: dict[str, Any], cloud: Cloud) -> None:
    print(json.dumps({k: v for k, v in jobs_ran.items() if k != "_log"}, indent=1, default=str))
    print("\n".join(jobs_ran["_log"][-30:]))
    assert jobs_ran["train"]["outcome"] == "published", jobs_ran["train"]
    store = store_of(cloud)
    assert store.count("activities") > 0
    assert store.count("measurements", "weight_kg") > 0
    assert store.count("lift_sets") > 0
