"""pulseboard/up.py: a supervised process tree that restarts what crashes and stops cleanly."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pulseboard import up
from storage.sqlite import SqliteStore


def _child(name: str, code: str) -> up.Child:
    return up.Child(name, [sys.executable, "-c", code])


def _wait(condition, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_crashed_child_is_restarted_with_a_pause_and_its_state_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(up, "BACKOFF_S", (0.2, 0.4))
    store = SqliteStore(str(tmp_path / "p.db"))
    crasher = _child("crasher", "print('boom', flush=True); raise SystemExit(3)")
    steady = _child("steady", "import time; print('up', flush=True); time.sleep(60)")
    out = io.StringIO()
    supervisor = up.Supervisor([steady, crasher], tmp_path / "logs", store, out=out)
    for kid in supervisor.kids:
        supervisor.start(kid)
    first_pid = steady.process.pid  # type: ignore[union-attr]

    def restarted_twice() -> bool:
        for kid in supervisor.kids:
            supervisor.check(kid)
        return crasher.restarts >= 2
    _wait(restarted_twice)
    doc = store.get_doc(up.SPACE, "crasher")
    assert doc is not None and doc.data["restarts"] >= 1 and doc.data["last_exit_code"] == 3
    assert steady.process is not None and steady.process.pid == first_pid  # untouched
    supervisor.stop()
    assert steady.process.returncode == -signal.SIGTERM
    assert store.get_doc(up.SPACE, "steady").data["state"] == "stopped"  # type: ignore[union-attr]
    assert b"boom" in (tmp_path / "logs" / "crasher.log").read_bytes()
    assert "crasher ended with exit code 3" in out.getvalue()


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    stubborn = _child("stubborn", "import signal, time; signal.signal(signal.SIGTERM, "
                      "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)")
    supervisor = up.Supervisor([stubborn], tmp_path / "logs", out=io.StringIO(), grace_s=0.5)
    supervisor.start(stubborn)
    _wait(lambda: b"ready" in (tmp_path / "logs" / "stubborn.log").read_bytes())
    started = time.monotonic()
    supervisor.stop()
    assert stubborn.process is not None and stubborn.process.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
    except OSError:
        return 0


def test_up_serves_everything_and_sigterm_stops_the_whole_tree(tmp_path: Path) -> None:
    api_port, dashboard_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_")}
    env.update(PULSEBOARD_DATA_DIR=str(tmp_path / "var"), PULSEBOARD_DEMO="true",
               PULSEBOARD_API_URL=f"http://127.0.0.1:{api_port}")
    process = subprocess.Popen(
        [sys.executable, "-m", "pulseboard", "up", "--port", str(dashboard_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: _status(f"http://127.0.0.1:{dashboard_port}/login") == 200, 90)
        # No model is trained yet: the API says so (503), which is an answer all the same.
        _wait(lambda: _status(f"http://127.0.0.1:{api_port}/health") == 503, 30)
        store = SqliteStore(str(tmp_path / "var" / "pulseboard.db"))
        states = {name: doc.data["state"] for name, doc in store.list_docs(up.SPACE).items()}
        assert states == {"api": "running", "dashboard": "running", "scheduler": "running"}
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "create yourself a login: pulseboard users add" in output  # the first-run steps
    states = {name: doc.data["state"] for name, doc in store.list_docs(up.SPACE).items()}
    assert states == {"api": "stopped", "dashboard": "stopped", "scheduler": "stopped"}
    assert _status(f"http://127.0.0.1:{dashboard_port}/login") == 0
    for name in ("api", "dashboard", "scheduler"):
        assert (tmp_path / "var" / "logs" / f"{name}.log").stat().st_size > 0
