"""Push through the packages: Strava's stand-in posts to the api package behind the loopback
gateway; the api stores the event and invokes the jobs package asynchronously, which fetches
the run and stores it (DynamoDB, S3 and SSM on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from storage import events
from testkit.push_stage import JOBS_FUNCTION, PushStage

# A bound for a broken path to fail on, not a speed goal (bench/push.py measures that).
STORED_WITHIN_S = 90.0


@pytest.fixture(scope="module")
def stage(moto_endpoint: str, unpacked: dict[str, Path],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushStage]:
    from demo.athlete import Athlete

    athlete = Athlete.generate(seed=21, years=0.05, end=date.today())
    with PushStage(moto_endpoint, unpacked, athlete,
                   tmp_path_factory.mktemp("push-stage")) as made:
        yield made


def test_a_run_uploaded_to_strava_is_stored_through_the_packages(stage: PushStage) -> None:
    stage.standins.clear_log()
    before = len(stage.invoke.invocations)
    run_id = stage.upload_run()
    assert stage.wait_stored(run_id, STORED_WITHIN_S) is not None, \
        [i.error for i in stage.invoke.invocations]
    assert stage.invoke.wait_idle(60)
    handed_on = stage.invoke.invocations[before:]
    assert [(i.function, i.kind) for i in handed_on] == [(JOBS_FUNCTION, "Event")]
    assert handed_on[0].payload == {"command": "collectors.lambda_handlers.push",
                                    "source": "strava"}
    assert handed_on[0].value["strava"]["outcome"] == "complete", handed_on[0].value
    assert stage.standins.push.deliveries[-1].answers == ["200"]
    assert stage.strava_requests() <= 2  # the activity and its streams
    assert events.pending(stage.store) == []


def test_a_forged_or_repeated_event_invokes_nothing(stage: PushStage) -> None:
    run_id = int(stage.upload_run())
    assert stage.wait_stored(str(run_id), STORED_WITHIN_S) is not None
    assert stage.invoke.wait_idle(60)
    before = len(stage.invoke.invocations)
    athlete_id = int(stage.standins.strava.profile()["id"])
    body = {"object_type": "activity", "object_id": run_id, "aspect_type": "update",
            "owner_id": athlete_id, "subscription_id": stage.subscription_id,
            "event_time": 1_700_000_000, "updates": {"title": "x"}}
    forged = [{**body, "owner_id": athlete_id + 1},
              {**body, "subscription_id": stage.subscription_id + 1}]
    for sent in forged:
        assert requests.post(stage.callback, json=sent, timeout=10).status_code == 200
    assert len(stage.invoke.invocations) == before  # acknowledged, never handed on
    assert events.pending(stage.store) == []
    stage.standins.clear_log()
    for _ in range(3):  # one event, delivered three times: one hand-on
        assert requests.post(stage.callback, json=body, timeout=10).status_code == 200
    assert stage.invoke.wait_idle(60)
    assert len(stage.invoke.invocations) == before + 1
    assert events.pending(stage.store) == []
    assert stage.strava_requests() <= 2
