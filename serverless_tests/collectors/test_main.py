"""`python -m collectors`: sync exit codes and summaries, connect, status and the import hook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

import settings
from collectors.__main__ import build_parser, main
from storage import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PULSEBOARD_STORE", url)
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"file://{tmp_path / 'blobs'}")
    settings.reset()
    return url


def summary_lines(text: str) -> dict[str, str]:
    return {line.split(":")[0]: line for line in text.splitlines() if ":" in line}


def test_sync_all_prints_one_line_per_source_and_exits_0(cli_store, standins, capsys):
    assert main(["sync"]) == 0
    lines = summary_lines(capsys.readouterr().out)
    assert set(lines) == {"strava", "withings", "sheets"}
    for line in lines.values():
        assert "complete" in line
        for word in ("fetched", "stored", "rejected", "requests"):
            assert word in line
    assert "rejected 4" in lines["sheets"]
    assert main(["sync", "--source", "withings"]) == 0
    assert "requests 1" in capsys.readouterr().out


def test_stopped_by_the_read_limit_exits_3(cli_store, standins, capsys):
    standins.faults.set_read_limits(3, 1000)
    assert main(["sync", "--source", "strava"]) == 3
    out = capsys.readouterr().out
    assert "strava: budget" in out and "the next run carries on" in out


def test_rate_limited_exits_3(cli_store, standins, capsys):
    standins.faults.rate_limit_after("sheets", 0)
    assert main(["sync", "--source", "sheets"]) == 3
    assert "rate limited" in capsys.readouterr().out


def test_error_exits_1_with_what_to_do(cli_store, standins, capsys):
    standins.faults.reject_tokens("withings")
    assert main(["sync"]) == 1
    out = capsys.readouterr().out
    assert "Withings refresh token rejected: run `python -m collectors connect withings`" in out
    assert "Traceback" not in out


def test_unconfigured_sources_are_skipped_with_all_but_not_when_asked(cli_store, capsys,
                                                                      monkeypatch):
    assert main(["sync"]) == 1  # nothing configured at all
    out = capsys.readouterr().out
    assert "PULSEBOARD_STRAVA_CLIENT_ID" in out and "not configured" in out
    monkeypatch.setenv("PULSEBOARD_STRAVA_CLIENT_ID", "1")
    monkeypatch.setenv("PULSEBOARD_STRAVA_CLIENT_SECRET", "s")
    settings.reset()
    assert main(["sync", "--source", "withings"]) == 1
    assert "connect withings" in capsys.readouterr().out


def test_bad_setting_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PULSEBOARD_STORE", "mysql://nope")
    settings.reset()
    assert main(["status"]) == 2  # a setting is wrong: the usage exit code
    err = capsys.readouterr().err
    assert err.startswith("error: PULSEBOARD_STORE=") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_status_after_a_sync(cli_store, standins, capsys):
    main(["sync", "--source", "withings"])
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "withings:\n  token: connected" in out
    assert "last run" in out and "complete" in out
    assert "strava:\n  token: not connected\n  never synced" in out
    assert "measurements weight_kg" in out


def test_file_import_command_is_added_when_installed():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"sync", "connect", "schedule", "status"} <= set(commands)
    import importlib.util

    if importlib.util.find_spec("collectors.sources.files") is not None:
        assert "import" in commands


def test_progress_bar_stays_off_the_output_when_not_a_terminal(cli_store, standins):
    env = {**standins.env(), "PULSEBOARD_STORE": cli_store, "PATH": "/usr/bin:/bin",
           "PULSEBOARD_DATA_DIR": str(Path(cli_store.removeprefix("sqlite:///")).parent)}
    done = subprocess.run([sys.executable, "-m", "collectors", "sync", "--source", "sheets"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sheets: complete")
    assert done.stderr == ""


def test_cli_connect_prints_the_address(cli_store, standins, capsys, monkeypatch):
    import collectors.__main__ as cli

    monkeypatch.setattr(cli, "_browser", lambda url: requests.get(url, timeout=10))
    assert main(["connect", "withings", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "oauth2_user/authorize2?" in out and "Withings connected" in out
    assert open_store(cli_store).get_doc("token", "withings") is not None
