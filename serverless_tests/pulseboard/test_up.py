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
    assert f"open http://127.0.0.1:{dashboard_port}/setup?code=" in output  # the first run
    states = {name: doc.data["state"] for name, doc in store.list_docs(up.SPACE).items()}
    assert states == {"api": "stopped", "dashboard": "stopped", "scheduler": "stopped"}
    assert _status(f"http://127.0.0.1:{dashboard_port}/login") == 0
    for name in ("api", "dashboard", "scheduler"):
        assert (tmp_path / "var" / "logs" / f"{name}.log").stat().st_size > 0


def _env_without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_")}


def _read_until(process: subprocess.Popen[bytes], seen: list[str], pattern: str,
                timeout_s: float = 60) -> str:
    """Lines of the process's output until one holds `pattern` (kept in `seen`)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline().decode("utf-8", "replace")
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if pattern in line:
            return line
    raise AssertionError(f"{pattern!r} not printed:\n{''.join(seen)}")


def test_with_the_standins_in_dot_env_up_syncs_serves_and_sigterm_loses_nothing(
        tmp_path: Path) -> None:
    """The owner's first real run: no settings but a `.env` (here naming the stand-ins, as it
    would name the providers), no secret key, no user. It serves the setup page, syncs, and a
    SIGTERM in the middle of that sync leaves a store the next sync completes exactly."""
    import re
    from datetime import date

    from collectors.edge import sync_source
    from demo.athlete import Athlete
    from demo.standins import StandIns
    from serverless_tests.collectors.conftest import assert_complete, stored_ids

    api_port, dashboard_port = _free_port(), _free_port()
    athlete = Athlete.generate(seed=11, years=0.06, end=date(2026, 11, 20))
    with StandIns(athlete) as standins:
        # Each Strava answer takes a while, so the SIGTERM below lands while it syncs.
        standins.faults.slow("strava", 0.4)
        lines = [f"{name}={value}" for name, value in standins.env().items()]
        (tmp_path / ".env").write_text("# what the owner writes once\n" + "\n".join(
            [*lines, f"PULSEBOARD_API_URL=http://127.0.0.1:{api_port}"]) + "\n")
        process = subprocess.Popen(
            [sys.executable, "-m", "pulseboard", "up", "--port", str(dashboard_port)],
            cwd=tmp_path, env=_env_without_settings(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        seen: list[str] = []
        store = SqliteStore(str(tmp_path / "var" / "pulseboard.db"))
        try:
            setup_line = _read_until(process, seen, "/setup?code=")
            found = re.search(r"(http://\S+/setup\?code=\S+)", setup_line)
            assert found, setup_line
            base = f"http://127.0.0.1:{dashboard_port}"
            assert found.group(1).startswith(base + "/setup?code=")
            # Served: the sign-in sends a new owner to the setup page; the API answers.
            _wait(lambda: _status(f"{base}/login") == 200, 90)  # (redirect followed)
            with urllib.request.urlopen(f"{base}/login", timeout=5) as answer:
                assert answer.url == f"{base}/setup"
                assert b'id="setup-code"' in answer.read()
            _wait(lambda: _status(f"http://127.0.0.1:{api_port}/health") in (200, 503), 30)
            # Syncing: the first record lands; SIGTERM then, in the middle of the work.
            _wait(lambda: store.count("activities") > 0, 90)
            held = stored_ids(store)
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=90)[0].decode("utf-8", "replace")
        finally:
            if process.poll() is None:
                process.kill()
        output = "".join(seen) + output
        assert process.returncode == 0, output
        for name in ("api", "dashboard", "scheduler"):
            assert f"stopping {name}" in output
        # The session and API keys were made once, private, in the data dir.
        for name in ("secret_key", "api_key"):
            key = tmp_path / "var" / name
            assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) > 30
        assert "Traceback" not in output and "error:" not in output, output
        # The sync in flight stopped after a saved batch (it carries on next time).
        assert store.get_doc("sync", "strava").data["last_outcome"] == "interrupted", output
        standins.faults.clear()
        # Nothing stored was lost, and the next sync completes what was cut short.
        for name in ("strava", "withings", "sheets"):
            assert sync_source(name, store, None, _settings_for(tmp_path)).outcome == \
                "complete", name
        assert held <= stored_ids(store)
        assert_complete(store, athlete)


def _settings_for(folder: Path) -> object:
    import settings

    return settings.load(settings.with_env_file({"PULSEBOARD_ENV_FILE": str(folder / ".env"),
                                                 "PULSEBOARD_DATA_DIR": str(folder / "var")}))


def test_the_keys_a_first_run_lacks_are_made_once_and_kept_private(tmp_path: Path) -> None:
    import settings
    from core.errors import UsageError

    data_dir = tmp_path / "var"
    bare = settings.load({"PULSEBOARD_DATA_DIR": str(data_dir)})
    made = up.made_secrets(bare)
    assert set(made) == {"PULSEBOARD_SECRET_KEY", "PULSEBOARD_API_KEY"}
    assert made["PULSEBOARD_SECRET_KEY"] != made["PULSEBOARD_API_KEY"]
    assert up.made_secrets(bare) == made  # a restart signs nobody out
    assert (data_dir / "secret_key").stat().st_mode & 0o777 == 0o600
    own = settings.load({"PULSEBOARD_DATA_DIR": str(data_dir), "PULSEBOARD_SECRET_KEY": "mine"})
    assert set(up.made_secrets(own)) == {"PULSEBOARD_API_KEY"}  # the owner's own key wins
    assert up.made_secrets(settings.load({"PULSEBOARD_DATA_DIR": str(data_dir),
                                          "PULSEBOARD_DEMO": "true"})) == {}
    (data_dir / "api_key").write_text("\n")
    with pytest.raises(UsageError, match="api_key .* is empty: delete it"):
        up.made_secrets(bare)
