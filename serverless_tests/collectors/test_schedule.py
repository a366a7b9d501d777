"""The local scheduler: zappa_settings.json's expressions, due jobs, dashboard requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors import schedule
from collectors.__main__ import main
from collectors.schedule import Cron, Job, Rate, ScheduleError, load_jobs, parse_expression

ROOT = Path(__file__).resolve().parents[2]
MONDAY_4AM = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # a Monday
CALLS: list[tuple[str, dict[str, Any]]] = []


def fake_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A job for a test settings file: the scheduler imports it by its dotted path."""
    CALLS.append(("fake_job", event))
    return {"outcome": "complete"}


class Recorder:
    def __init__(self, fail: str = "") -> None:
        self.calls: list[str] = []
        self.fail = fail

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        assert event["detail-type"] == "Scheduled Event"
        self.calls.append(function)
        if function == self.fail:
            raise RuntimeError("boom")
        return {"outcome": "complete"}


def test_rate_expressions():
    assert parse_expression("rate(3 hours)") == Rate(3 * 3600)
    assert parse_expression("rate(1 day)") == Rate(86400)
    assert parse_expression("rate(5 minutes)") == Rate(300)
    for bad in ("rate(3 fortnights)", "rate(0 hours)", "every 3 hours"):
        with pytest.raises(ScheduleError):
            parse_expression(bad)


def test_weekly_cron_matches_monday_4am_utc_only():
    cron = parse_expression("cron(0 4 ? * MON *)")
    assert isinstance(cron, Cron)
    assert cron.matches(MONDAY_4AM)
    assert not cron.matches(MONDAY_4AM + timedelta(minutes=1))
    assert not cron.matches(MONDAY_4AM + timedelta(days=1))
    assert not cron.matches(MONDAY_4AM - timedelta(hours=1))


@pytest.mark.parametrize(
    ("expression", "moment", "hit"),
    [
        ("cron(0/15 * * * ? *)", datetime(2026, 1, 1, 10, 45, tzinfo=UTC), True),
        ("cron(0/15 * * * ? *)", datetime(2026, 1, 1, 10, 50, tzinfo=UTC), False),
        ("cron(30 6 1 * ? *)", datetime(2026, 3, 1, 6, 30, tzinfo=UTC), True),
        ("cron(30 6 1 * ? *)", datetime(2026, 3, 2, 6, 30, tzinfo=UTC), False),
        ("cron(0 8 ? * MON-FRI *)", datetime(2026, 11, 27, 8, 0, tzinfo=UTC), True),  # Friday
        ("cron(0 8 ? * MON-FRI *)", datetime(2026, 11, 28, 8, 0, tzinfo=UTC), False),  # Sat
        ("cron(0 8 ? * 1 *)", datetime(2026, 11, 29, 8, 0, tzinfo=UTC), True),  # 1 = Sunday
        ("cron(0 0 1 JAN,JUL ? 2027)", datetime(2027, 7, 1, 0, 0, tzinfo=UTC), True),
        ("cron(0 0 1 JAN,JUL ? 2027)", datetime(2026, 7, 1, 0, 0, tzinfo=UTC), False),
    ],
)
def test_cron_fields(expression, moment, hit):
    assert parse_expression(expression).matches(moment) is hit


@pytest.mark.parametrize("bad", ["cron(0 4 * * MON)", "cron(0 4 L * ? *)", "cron(0 25 ? * * *)",
                                 "cron(0 4 ? * MON#2 *)", "cron(0 4 1 * MON *)"])
def test_unsupported_or_wrong_cron(bad):
    with pytest.raises(ScheduleError):
        parse_expression(bad)


def test_due_rules():
    every3h = Rate(3 * 3600)
    assert every3h.due(None, MONDAY_4AM)
    assert not every3h.due(MONDAY_4AM, MONDAY_4AM + timedelta(hours=2, minutes=59))
    assert every3h.due(MONDAY_4AM, MONDAY_4AM + timedelta(hours=3))
    weekly = parse_expression("cron(0 4 ? * MON *)")
    assert weekly.due(None, MONDAY_4AM - timedelta(days=3))  # never run: due
    assert weekly.due(MONDAY_4AM - timedelta(minutes=5), MONDAY_4AM)
    assert not weekly.due(MONDAY_4AM, MONDAY_4AM + timedelta(days=6))
    assert weekly.due(MONDAY_4AM, MONDAY_4AM + timedelta(days=7))


def test_the_project_schedule_is_read_from_zappa_settings():
    jobs = load_jobs(ROOT / "zappa_settings.json")
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    # The syncs' stage and the training's, one schedule for the laptop.
    scheduled = [e for stage in ("jobs", "train") for e in config[stage]["events"]
                 if "expression" in e]
    assert [(j.function, j.expression) for j in jobs] == [
        (e["function"], e.get("local_expression", e["expression"])) for e in scheduled]
    functions = {j.function for j in jobs}
    assert {"collectors.lambda_handlers.sync_strava", "collectors.lambda_handlers.sync_withings",
            "collectors.lambda_handlers.sync_sheets", "models.lambda_handlers.train"} <= functions
    # Every scheduled function can be imported and called as Lambda would.
    import importlib

    for function in functions:
        module, _, name = function.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_the_cloud_syncs_push_sources_daily_and_a_laptop_every_3_hours():
    """Push is the cloud's normal path, its schedule a daily net; a laptop keeps polling."""
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    cloud = {e["function"]: e["expression"] for e in config["jobs"]["events"] if "expression" in e}
    local = {j.function: j.when for j in load_jobs(ROOT / "zappa_settings.json")}
    for source in ("strava", "withings"):
        function = f"collectors.lambda_handlers.sync_{source}"
        assert parse_expression(cloud[function]) == Rate(86400)
        assert local[function] == Rate(3 * 3600)
    sheets = "collectors.lambda_handlers.sync_sheets"
    assert local[sheets] == parse_expression(cloud[sheets])  # no push: one interval everywhere


def test_the_stages_to_schedule_are_named_one_or_several(tmp_path):
    path = tmp_path / "z.json"
    path.write_text(json.dumps({
        "jobs": {"events": [{"function": "a.sync", "expression": "rate(1 hour)"}]},
        "train": {"events": [{"function": "b.train", "expression": "cron(0 4 ? * MON *)"}]},
        "api": {"app_function": "api.wsgi.app"},
    }))
    assert [j.function for j in load_jobs(path)] == ["a.sync", "b.train"]
    assert [j.function for j in load_jobs(path, "train")] == ["b.train"]
    assert [j.function for j in load_jobs(path, "jobs, train")] == ["a.sync", "b.train"]
    with pytest.raises(ScheduleError, match=r"'api' has no events.*stages there: api, jobs"):
        load_jobs(path, "api")
    path.write_text("[]")
    with pytest.raises(ScheduleError, match="expected an object of stages"):
        load_jobs(path)


def test_settings_file_problems_are_named(tmp_path):
    with pytest.raises(ScheduleError, match="cannot read"):
        load_jobs(tmp_path / "missing.json")
    (tmp_path / "z.json").write_text(json.dumps({"jobs": {"events": []}}))
    with pytest.raises(ScheduleError, match="no events"):
        load_jobs(tmp_path / "z.json")


def test_run_due_runs_each_due_job_once_and_remembers(sqlite_store):
    jobs = load_jobs(ROOT / "zappa_settings.json")
    caller = Recorder(fail="collectors.lambda_handlers.sync_sheets")
    said: list[str] = []
    schedule.run_due(sqlite_store, jobs, MONDAY_4AM, caller, said.append)
    assert caller.calls == [j.function for j in jobs]  # never run: all due
    assert any("sync_sheets: error" in line for line in said)  # a failure is reported ...
    assert sqlite_store.get_doc("schedule", "models.lambda_handlers.train") is not None
    caller.calls.clear()
    schedule.run_due(sqlite_store, jobs, MONDAY_4AM + timedelta(hours=1), caller, said.append)
    assert caller.calls == []
    schedule.run_due(sqlite_store, jobs, MONDAY_4AM + timedelta(hours=3), caller, said.append)
    assert sorted(caller.calls) == ["collectors.lambda_handlers.sync_strava",
                                    "collectors.lambda_handlers.sync_withings"]
    caller.calls.clear()
    schedule.run_due(sqlite_store, jobs, MONDAY_4AM + timedelta(days=7), caller, said.append)
    assert "models.lambda_handlers.train" in caller.calls  # next Monday 04:00 passed
    assert "collectors.lambda_handlers.sync_sheets" in caller.calls


def test_a_schedule_started_from_now_runs_each_job_at_its_next_time(sqlite_store):
    jobs = load_jobs(ROOT / "zappa_settings.json")
    caller = Recorder()
    started = MONDAY_4AM - timedelta(minutes=30)
    slept: list[float] = []
    schedule.serve(sqlite_store, jobs, once=True, clock=lambda: started, sleep=slept.append,
                   out=lambda _: None, caller=caller, from_now=True)
    assert caller.calls == []  # never run, yet not run at start
    for later in (MONDAY_4AM, MONDAY_4AM + timedelta(hours=3)):
        schedule.run_due(sqlite_store, jobs, later, caller, lambda _: None, since=started)
    # The weekly training at Monday 04:00, then the 3-hourly syncs; the daily one not yet.
    assert caller.calls == ["models.lambda_handlers.train",
                            "collectors.lambda_handlers.sync_strava",
                            "collectors.lambda_handlers.sync_withings"]


def test_dashboard_sync_request_runs_every_collector_once(sqlite_store):
    from dashboard.logic.overview import request_sync

    request_sync(sqlite_store, "owner", True, MONDAY_4AM)
    caller = Recorder()
    assert schedule.sync_requested(sqlite_store, MONDAY_4AM, lambda _: None, caller)
    assert caller.calls == [f"collectors.lambda_handlers.sync_{s}"
                            for s in ("strava", "withings", "sheets")]
    assert sqlite_store.get_doc("requests", "sync") is None
    assert not schedule.sync_requested(sqlite_store, MONDAY_4AM, lambda _: None, caller)


def test_serve_once_ticks_once(sqlite_store):
    jobs = [Job("x.y", "rate(1 hour)", Rate(3600))]
    caller = Recorder()
    slept: list[float] = []
    schedule.serve(sqlite_store, jobs, once=True, clock=lambda: MONDAY_4AM,
                   sleep=slept.append, out=lambda _: None, caller=caller)
    assert caller.calls == ["x.y"] and slept == []


def test_schedule_once_from_the_cli(tmp_path, monkeypatch, capsys):
    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps({"jobs": {"events": [
        {"function": f"{__name__}.fake_job", "expression": "rate(1 hour)"},
        {"function": "collectors.sources.files.inbox.handle_s3_event",
         "event_source": {"arn": "arn:aws:s3:::b", "events": ["s3:ObjectCreated:*"]}},
    ]}}))
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{tmp_path / 's.db'}")
    import settings

    settings.reset()
    CALLS.clear()
    assert main(["schedule", "--once", "--settings-file", str(settings_file)]) == 0
    assert [name for name, _ in CALLS] == ["fake_job"]
    assert "fake_job: complete" in capsys.readouterr().out
    assert main(["schedule", "--once", "--settings-file", str(settings_file)]) == 0
    assert len(CALLS) == 1  # not due again within the hour


def test_inbox_is_polled_when_the_file_importer_is_installed(sqlite_store, monkeypatch):
    import importlib.util

    if importlib.util.find_spec("collectors.sources.files.inbox") is None:
        pytest.skip("the activity-file importer is not installed")
    import collectors.sources.files.inbox as inbox

    seen = []
    monkeypatch.setattr(inbox, "poll", lambda store, *a, **k: seen.append(store) or [])
    schedule.tick(sqlite_store, [], MONDAY_4AM, Recorder(), lambda _: None)
    assert seen == [sqlite_store]


def slow_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A job that writes 200 batches, saving its cursor after each, for the signal test."""
    import time as clock

    import settings
    from collectors.common import Counts, StopSync
    from collectors.sources.base import Run
    from storage import open_store

    current = settings.get()
    store = open_store(current.store_url)
    run = Run(store, None, Counts("slow"), datetime.now(UTC))
    try:
        for batch in range(1, 201):
            store.set_cursor("slow", str(batch))
            if batch == 1:
                (current.data_dir / "started").write_text("1")
            run.batch_done(batch)
            clock.sleep(0.02)
        return {"outcome": "complete"}
    except StopSync as exc:
        return {"outcome": exc.outcome}
    finally:
        store.close()


@pytest.fixture
def no_stop_request():
    from collectors.common import stop_requested

    stop_requested.clear()
    yield stop_requested
    stop_requested.clear()


def test_sigterm_lets_the_job_save_its_batch_then_exits_0(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time as clock

    from storage import open_store

    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps({"jobs": {"events": [
        {"function": f"{__name__}.slow_job", "expression": "rate(1 hour)"}]}}))
    data_dir = tmp_path / "var"
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(data_dir),
           "PULSEBOARD_STORE": f"sqlite:///{tmp_path / 's.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "collectors", "schedule", "--settings-file", str(settings_file),
         "--tick", "60"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        deadline = clock.monotonic() + 30
        while not (data_dir / "started").exists():
            assert process.poll() is None, process.communicate()
            assert clock.monotonic() < deadline, "the job never started"
            clock.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "slow_job: interrupted" in out and "scheduler stopped" in out
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        saved = int(store.get_cursor("slow") or 0)
        assert 1 <= saved < 200
        assert store.get_doc("schedule", f"{__name__}.slow_job").data["outcome"] == "interrupted"


def test_a_stop_request_ends_serve_after_the_tick_and_skips_the_jobs_not_started(
        sqlite_store, no_stop_request):
    jobs = [Job("a.first", "rate(1 hour)", Rate(3600)), Job("b.second", "rate(1 hour)", Rate(3600))]
    calls: list[str] = []

    def caller(function: str, event: dict[str, Any]) -> Any:
        calls.append(function)
        no_stop_request.set()  # the signal arrives while the first job runs
        return {"outcome": "interrupted"}

    lines: list[str] = []
    schedule.serve(sqlite_store, jobs, clock=lambda: MONDAY_4AM, sleep=lambda _: None,
                   out=lines.append, caller=caller)
    assert calls == ["a.first"]
    assert lines[-1] == "scheduler stopped"


def test_pending_push_events_are_handed_to_the_push_handler_on_the_next_tick(sqlite_store):
    from collectors.lambda_handlers import PUSH
    from storage import events

    events.add_pending(sqlite_store, events.parse_withings(
        {"userid": "5", "appli": "1", "startdate": "1", "enddate": "2"}), 0.0)
    calls: list[tuple[str, Any]] = []

    def caller(function: str, event: dict[str, Any]) -> Any:
        calls.append((function, event["source"]))
        return {"outcome": "complete"}

    lines: list[str] = []
    assert schedule.push_pending(sqlite_store, MONDAY_4AM, lines.append, caller) == 1
    assert calls == [(PUSH, "withings")]
    assert lines == [f"{MONDAY_4AM:%Y-%m-%dT%H:%M:%SZ} push withings: complete"]
    events.done(sqlite_store, [key for key, _ in events.pending(sqlite_store)])
    assert schedule.push_pending(sqlite_store, MONDAY_4AM, lines.append, caller) == 0


def test_between_ticks_push_events_are_looked_for_every_push_tick(sqlite_store, no_stop_request):
    from collectors.lambda_handlers import PUSH
    from storage import events

    jobs = [Job("a.job", "rate(1 hour)", Rate(3600))]
    calls: list[str] = []
    sleeps: list[float] = []

    def caller(function: str, event: dict[str, Any]) -> Any:
        calls.append(function)
        return {"outcome": "complete"}

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:  # an event arrives after the first tick
            events.add_pending(sqlite_store, events.parse_withings(
                {"userid": "5", "appli": "1", "startdate": "1", "enddate": "2"}), 0.0)
        if len(sleeps) == 3:
            no_stop_request.set()

    schedule.serve(sqlite_store, jobs, tick_s=30, push_tick_s=2, clock=lambda: MONDAY_4AM,
                   sleep=sleep, out=lambda _: None, caller=caller)
    assert sleeps == [2, 2, 2]
    assert calls[0] == "a.job" and calls[1] == PUSH  # two seconds later, not thirty
