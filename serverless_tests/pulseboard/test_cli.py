"""pulseboard/cli.py: one command for every package's sub-commands, with their exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulseboard import cli


@pytest.mark.parametrize(
    ("argv", "module", "forwarded"),
    [
        (["sync", "--source", "strava"], "collectors.__main__", ["sync", "--source", "strava"]),
        (["import", "run.gpx"], "collectors.__main__", ["import", "run.gpx"]),
        (["export", "--kind", "activities"], "storage.__main__",
         ["export", "--kind", "activities"]),
        (["users", "add", "ann"], "dashboard.__main__", ["users", "add", "ann"]),
        (["train"], "models.__main__", ["train"]),
        (["serve", "api", "--port", "9"], "api.__main__", ["serve", "--port", "9"]),
        (["serve", "dashboard"], "dashboard.__main__", ["serve"]),
        (["up", "--port", "1"], "pulseboard.up", ["--port", "1"]),
    ],
)
def test_each_command_reaches_its_package(argv: list[str], module: str,
                                          forwarded: list[str]) -> None:
    assert cli.resolve(argv) == (module, forwarded)


@pytest.mark.parametrize("argv", [["frobnicate"], ["serve"], ["serve", "collectors"]])
def test_an_unknown_command_is_a_usage_error(argv: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.resolve(argv) is None
    assert cli.main(argv) == 2
    assert "unknown command" in capsys.readouterr().err


def test_the_console_script_shows_every_command_and_forwards_help() -> None:
    listed = subprocess.run([sys.executable, "-m", "pulseboard", "--help"], capture_output=True,
                            text=True, check=True).stdout
    for name in cli.COMMANDS:
        assert f"  {name} " in listed
    sync_help = subprocess.run([sys.executable, "-m", "pulseboard", "sync", "--help"],
                               capture_output=True, text=True)
    assert sync_help.returncode == 0 and "--source" in sync_help.stdout
