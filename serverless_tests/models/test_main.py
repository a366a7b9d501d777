"""`python -m models train`, on a store set up by the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import EXIT_STOPPED
from models import artifact, backtest
from models.__main__ import main
from serverless_tests.models.conftest import fill
from testkit.stores import open_blobs

ROOT = Path(__file__).resolve().parents[2]


def test_train_prints_weeks_k_and_errors_and_publishes(configured, capsys):
    fill(60)
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    manifest = json.loads(open_blobs().get(artifact.MANIFEST_KEY)[0])
    assert f"weeks used: {manifest['weeks_used']}" in out
    assert f"left out: {manifest['weeks_left_out']}" in out
    assert f"k = {manifest['k']}" in out
    lines = out.splitlines()
    for target in manifest["targets"]:
        header = next(i for i, line in enumerate(lines) if line.strip().startswith(target))
        assert lines[header].split()[2:] == list(backtest.METHODS)
        by_horizon = sorted(manifest["horizons"].items(), key=lambda item: int(item[0]))
        for row, (horizon, chosen) in zip(lines[header + 1:], by_horizon, strict=False):
            assert row.split()[0] == horizon
            maes = row.split()[3::2]
            assert maes == [f"{chosen['mae'][m][target]:.3f}" for m in backtest.METHODS]
    for horizon, chosen in manifest["horizons"].items():
        assert f"{horizon:>2} weeks ahead: serves {chosen['method']} ({chosen['reason']})" in out
    assert "from Strava's API only: 0, left out" in out
    assert manifest["artifact_key"] in out and "unsigned: PULSEBOARD_MODEL_KEY is not set" in out


def test_too_few_weeks_exits_3_with_a_clear_message(configured, capsys):
    fill(10)
    assert main(["train", "--min-weeks", "12"]) == EXIT_STOPPED
    err = capsys.readouterr().err
    assert "not enough data" in err and "minimum is 12" in err and "Traceback" not in err
    assert open_blobs().list() == []


def test_min_weeks_below_the_floor_is_a_usage_error(configured, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["train", "--min-weeks", "2"])
    assert caught.value.code == 2
    assert "at least 8" in capsys.readouterr().err


def test_a_failure_is_one_line_without_traceback_unless_debug(configured, capsys, monkeypatch):
    from models import train

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(train, "run", broken)
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert "training failed: disk on fire" in err and "Traceback" not in err
    assert main(["train", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_module_runs_as_a_program(configured, tmp_path):
    fill(5)
    done = subprocess.run([sys.executable, "-m", "models", "train"], cwd=ROOT,
                          capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PULSEBOARD_DATA_DIR": str(tmp_path / "v"),
                               "PULSEBOARD_STORE": configured.store_url,
                               "PULSEBOARD_BLOBS": configured.blobs_url})
    assert done.returncode == 3, done.stderr
    assert "not enough data" in done.stderr



def test_a_bad_setting_is_one_line_and_the_settings_exit_code(configured, capsys, monkeypatch):
    import settings

    monkeypatch.setenv("PULSEBOARD_STORE", "postgres://db")
    settings.reset()
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert "PULSEBOARD_STORE" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_with_a_model_key_the_manifest_is_signed_under_it(configured, capsys, monkeypatch):
    import settings
    from models import signing

    monkeypatch.setenv("PULSEBOARD_MODEL_KEY", "model-key-1")
    settings.reset()
    fill(40)
    assert main(["train"]) == 0
    assert "(signed)" in capsys.readouterr().out
    manifest = json.loads(open_blobs().get(artifact.MANIFEST_KEY)[0])
    signing.verify(manifest, "model-key-1")
