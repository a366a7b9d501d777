"""pulseboard/doctor.py: one line per check, what is wrong said with what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pulseboard import doctor
from storage.files import FileBlobs
from storage.sqlite import SqliteStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _iso(age: timedelta) -> str:
    return (NOW - age).isoformat()


def test_sources_say_what_to_do(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "p.db"))
    store.put_doc("sync", "withings", {"last_success_at": _iso(timedelta(days=5)),
                                       "last_outcome": "error", "message": "token refused"})
    store.put_doc("token", "withings", {"refresh_token": "r"})
    store.put_doc("sync", "sheets", {"last_success_at": _iso(timedelta(hours=3)),
                                     "last_outcome": "complete", "message": ""})
    found = {f.what: f for f in doctor.check_sources(
        store, {"strava": True, "withings": True, "sheets": True}, NOW)}
    assert found["strava"].level == doctor.FAIL
    assert "pulseboard connect strava" in found["strava"].text
    assert "Connect on http://127.0.0.1:8050/setup" in found["strava"].text
    assert found["withings"].level == doctor.WARN
    assert "5 days ago" in found["withings"].text and "token refused" in found["withings"].text
    assert found["sheets"].level == doctor.OK and "3 h ago" in found["sheets"].text


def test_owner_missing_says_where_it_is_made(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "p.db"))
    local = doctor.check_owner(store, local=True)
    assert local.level == doctor.FAIL and "/setup?code=" in local.text
    cloud = doctor.check_owner(store, local=False)
    assert "setup" not in cloud.text and "pulseboard users add" in cloud.text
    store.put_doc("users", "viewer", {"role": "viewer"})
    assert doctor.check_owner(store, local=True).level == doctor.FAIL
    store.put_doc("users", "alice", {"role": "owner"})
    assert doctor.check_owner(store, local=True) == doctor.Finding(doctor.OK, "owner", "alice")


def test_model_and_scheduler_age(tmp_path: Path) -> None:
    blobs = FileBlobs(str(tmp_path / "blobs"))
    assert doctor.check_model(blobs, "file://b", NOW).level == doctor.WARN
    blobs.put(doctor.MODEL_MANIFEST, json.dumps(
        {"trained_at": _iso(timedelta(days=30))}).encode(), "application/json")
    stale = doctor.check_model(blobs, "file://b", NOW)
    assert stale.level == doctor.WARN and "30 days ago" in stale.text
    store = SqliteStore(str(tmp_path / "p.db"))
    assert doctor.check_scheduler(store, NOW).level == doctor.WARN
    store.put_doc("schedule", "sync_strava", {"last_run_at": _iso(timedelta(hours=2))})
    assert doctor.check_scheduler(store, NOW).level == doctor.OK
    store.put_doc("supervisor", "api", {"state": "restarting"})
    crashed = doctor.check_scheduler(store, NOW)
    assert crashed.level == doctor.WARN and "api" in crashed.text


def test_the_command_prints_one_line_per_check_and_fails_on_a_bad_setting(
        tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PULSEBOARD_DATA_DIR": str(tmp_path / "var")}
    fresh = subprocess.run([sys.executable, "-m", "pulseboard", "doctor"], cwd=tmp_path,
                           env=env, capture_output=True, text=True)
    # A fresh install: nobody can sign in yet, and doctor says where the owner is made.
    assert fresh.returncode == 1, fresh.stderr
    assert "FAIL  owner      none yet, so nobody can sign in: open the setup address " \
        "pulseboard up prints (http://127.0.0.1:8050/setup?code=…)" in fresh.stdout
    SqliteStore(str(tmp_path / "var" / "pulseboard.db")).put_doc(
        "users", "me", {"role": "owner", "password_hash": "x", "sessions": {}})
    fine = subprocess.run([sys.executable, "-m", "pulseboard", "doctor"], cwd=tmp_path,
                          env=env, capture_output=True, text=True)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    lines = fine.stdout.splitlines()
    assert [line.split()[1] for line in lines[:5]] == ["python", "settings", "disk", "store",
                                                       "owner"]
    assert all(line.split()[0] in ("ok", "warn") for line in lines)
    bad = subprocess.run([sys.executable, "-m", "pulseboard", "doctor"], cwd=tmp_path,
                         env={**env, "PULSEBOARD_STORE": "mysql://x"}, capture_output=True,
                         text=True)
    assert bad.returncode == 1
    assert "FAIL  settings   PULSEBOARD_STORE='mysql://x'" in bad.stdout
