"""`make demo` with the owner's zone and units: flags or the environment, checked first."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import settings
from core.localtime import ZoneError
from demo import up


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    """What `python -m demo.up` parses from these flags (its steps are not run)."""
    captured: list[argparse.Namespace] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(up, "up", lambda namespace: captured.append(namespace) or 0)
        assert up.main(["--data-dir", str(tmp_path / "demo"), *extra]) == 0
    return captured[0]


@pytest.mark.parametrize(("zone", "units"), [("America/Los_Angeles", "imperial"),
                                             ("Asia/Kolkata", "metric")])
def test_both_settings_reach_every_step(tmp_path: Path, zone: str, units: str) -> None:
    _, env = up.demo_env(_args(tmp_path, "--timezone", zone, "--units", units))
    assert (env["PULSEBOARD_TIMEZONE"], env["PULSEBOARD_UNITS"]) == (zone, units)
    current = settings.load(env)
    assert (current.timezone, current.units) == (zone, units)


def test_the_environment_s_choice_is_kept_without_flags(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSEBOARD_TIMEZONE", "Asia/Kolkata")
    monkeypatch.setenv("PULSEBOARD_UNITS", "imperial")
    _, env = up.demo_env(_args(tmp_path))
    assert settings.load(env).timezone == "Asia/Kolkata"
    assert settings.load(env).units == "imperial"


def test_a_zone_that_does_not_exist_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ZoneError, match="Mars/Base"):
        up.demo_env(_args(tmp_path, "--timezone", "Mars/Base"))
