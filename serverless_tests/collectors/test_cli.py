"""`python -m collectors`: sync exit codes and summaries, connect, status and the extension hook."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

import settings
from collectors.__main__ import build_parser, main
from collectors.common import SyncError
from collectors.connect import connect
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
    assert main(["status"]) == 1
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


# --- connect --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["strava", "withings"])
def test_connect_catches_the_redirect_and_stores_the_tokens(sqlite_store, standins, source):
    said: list[str] = []
    # The "browser": follows the consent page's redirect back to the loopback catcher.
    token = connect(source, sqlite_store, port=0, open_browser=lambda url: requests.get(url,
                    timeout=10), out=said.append, timeout_s=10)
    doc = sqlite_store.get_doc("token", source)
    assert doc is not None
    assert doc.data["refresh_token"] == token.refresh_token == \
        standins.current_refresh_token(source)
    assert doc.data["access_token"] == token.access_token
    assert any("/authorize" in line or "authorize2" in line for line in said)
    assert standins.requests(source, "authorize") == 1
    # Connected: a sync needs no setting-seeded token and no refresh.
    from collectors.runner import sync_source

    standins.clear_log()
    assert sync_source(source, sqlite_store, None).outcome == "complete"
    assert standins.requests(source, "token") == 0


def test_connect_refuses_a_forged_redirect(sqlite_store, standins):
    def forged(url: str) -> None:
        redirect = url.split("redirect_uri=")[1].split("&")[0]
        target = requests.utils.unquote(redirect)
        threading.Thread(target=requests.get, args=(f"{target}?code=x&state=wrong",),
                         kwargs={"timeout": 10}).start()

    with pytest.raises(SyncError, match="state"):
        connect("strava", sqlite_store, port=0, open_browser=forged, out=lambda _: None,
                timeout_s=10)
    assert sqlite_store.get_doc("token", "strava") is None


def test_connect_denied(sqlite_store, standins):
    def denied(url: str) -> None:
        redirect = requests.utils.unquote(url.split("redirect_uri=")[1].split("&")[0])
        state = url.split("state=")[1].split("&")[0]
        requests.get(f"{redirect}?error=access_denied&state={state}", timeout=10)

    with pytest.raises(SyncError, match="access_denied"):
        connect("withings", sqlite_store, port=0, open_browser=denied, out=lambda _: None,
                timeout_s=10)


def test_connect_needs_the_app_credentials(sqlite_store):
    with pytest.raises(SyncError, match="PULSEBOARD_STRAVA_CLIENT_ID"):
        connect("strava", sqlite_store, port=0, open_browser=None, out=lambda _: None)


def test_connect_times_out_with_advice(sqlite_store, standins):
    with pytest.raises(SyncError, match="no redirect came back"):
        connect("strava", sqlite_store, port=0, open_browser=None, out=lambda _: None,
                timeout_s=0.2)


def test_cli_connect_prints_the_address(cli_store, standins, capsys, monkeypatch):
    import collectors.__main__ as cli

    monkeypatch.setattr(cli, "_browser", lambda url: requests.get(url, timeout=10))
    assert main(["connect", "withings", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "oauth2_user/authorize2?" in out and "Withings connected" in out
    assert open_store(cli_store).get_doc("token", "withings") is not None
