"""The demo's push check: subscribed by the command line, a run uploaded to the Strava stand-in
reaches the store through the api's webhook and the scheduler's push tick."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import settings
from collectors.common import stop_requested
from collectors.edge import sync_source
from demo import push_check
from demo.athlete import Athlete
from demo.standins import StandIns
from demo.standins.callback import Callback
from storage import events, open_store

TOKEN = "demo-push-verify-token"
LINE = re.compile(r"a run uploaded to the Strava stand-in at \d\d:\d\d:\d\d (UTC|PST|PDT) "
                  r"appeared on the dashboard at \d\d:\d\d:\d\d (UTC|PST|PDT) \(\d+\.\d s\), "
                  r"by push")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The demo after its sync: stand-ins, the store, the api serving its webhooks."""
    from api import create_app

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with StandIns(Athlete.generate(seed=8, years=0.05, end=date.today())) as standins:
        for name, value in {**standins.env(), "PULSEBOARD_STORE": url, "PULSEBOARD_DEMO": "true",
                            "PULSEBOARD_STRAVA_VERIFY_TOKEN": TOKEN}.items():
            monkeypatch.setenv(name, value)
        settings.reset()
        with open_store(url) as store:
            sync_source("strava", store, None, settings.get())  # the athlete id is known
        with open_store(url) as api_store:
            app = create_app({"STORE": api_store, "API_KEY": "demo-key",
                              "STRAVA_VERIFY_TOKEN": TOKEN})
            with Callback(app) as api:
                yield {"standins": standins, "url": url, "api": api.url(""),
                       "env": dict(os.environ)}
    settings.reset()


@pytest.fixture
def scheduler(demo: dict[str, Any]) -> Iterator[None]:
    """The demo's scheduler: no job due, only its push tick (the real handler, in-process)."""
    from collectors import schedule

    stop_requested.clear()
    with open_store(demo["url"]) as store:
        thread = threading.Thread(target=schedule.serve, kwargs={
            "store": store, "jobs": [], "tick_s": 2.0, "push_tick_s": 0.5,
            "out": lambda _: None}, daemon=True)
        thread.start()
        yield
        stop_requested.set()
        thread.join(10)
    stop_requested.clear()


def test_a_run_uploaded_to_the_stand_in_reaches_the_store_by_push(
        demo: dict[str, Any], scheduler: None) -> None:
    said = push_check.subscribe(demo["env"], demo["api"])
    subscription = demo["standins"].push.strava_subscription
    assert subscription is not None and str(subscription["id"]) in said
    assert subscription["callback_url"] == demo["api"] + "/webhooks/strava"
    line = push_check.upload_and_wait(demo["standins"], demo["url"],
                                      tz=ZoneInfo("America/Los_Angeles"))
    assert LINE.fullmatch(line) and "UTC" not in line, line  # on the owner's clock
    newest = demo["standins"].athlete.activities[0]
    with open_store(demo["url"]) as store:
        assert str(newest["id"]) in {a.id for a in store.query("activities")}
        assert events.pending(store) == []


def test_without_the_scheduler_the_check_says_the_run_never_arrived(
        demo: dict[str, Any]) -> None:
    push_check.subscribe(demo["env"], demo["api"])
    with pytest.raises(push_check.PushCheckError, match="was not in the store 1 s later"):
        push_check.upload_and_wait(demo["standins"], demo["url"], timeout_s=1.0)
    with open_store(demo["url"]) as store:
        assert len(events.pending(store, "strava")) == 1  # the webhook kept it for later
