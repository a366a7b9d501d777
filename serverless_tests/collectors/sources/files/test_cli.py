"""The `import` command: a summary on success, one line on an error."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import settings
from collectors.sources.files import cli
from core.cli import main
from demo.activity_files import (
    fit_bytes,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import (
    DAY,
    garmin_folder,
)
from storage import StoreError, open_store


def import_command(argv: list[str]) -> int:
    """`python -m collectors import …` as its main runs it: through the one CLI helper."""
    parser = argparse.ArgumentParser(prog="python -m collectors")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return main(parser, argv)


def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{db}")
    settings.reset()
    return db


def test_cli_imports_and_summarises(tmp_path, monkeypatch, capsys):
    db = cli_env(tmp_path, monkeypatch)
    runs = garmin_folder(tmp_path / "garmin", days=2)
    (tmp_path / "garmin" / "cut.fit").write_bytes(b"\x0e\x20" + b"\0" * 20)
    code = import_command(["import", str(tmp_path / "garmin")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Imported {len(runs)}, duplicates 0, rejected 1" in out
    assert "cut.fit" in out
    with open_store(f"sqlite:///{db}") as store:
        assert store.count("activities") == len(runs)


def test_cli_missing_path_is_an_error_in_one_line(tmp_path, monkeypatch, capsys):
    cli_env(tmp_path, monkeypatch)
    code = import_command(["import", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 1
    assert "no such file or folder" in err and "Traceback" not in err


def test_cli_store_error_shows_a_traceback_only_with_debug(tmp_path, monkeypatch, capsys):
    cli_env(tmp_path, monkeypatch)
    (tmp_path / "a.fit").write_bytes(fit_bytes(samples(DAY)))

    def failing(*args, **kwargs):
        raise StoreError("the store is unreachable")

    monkeypatch.setattr(cli, "import_paths", failing)
    assert import_command(["import", str(tmp_path / "a.fit")]) == 1
    first = capsys.readouterr().err
    assert "the store is unreachable" in first and "Traceback" not in first
    assert import_command(["import", str(tmp_path / "a.fit"), "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
