"""The registry of sources: each one whole (name, config, sync, OAuth when it has one), and
everything that runs sources (sync all, connect, the Lambda handlers, the schedule) follows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import settings
from collectors import lambda_handlers, sources
from collectors.__main__ import build_parser
from collectors.sources import UnknownSource
from core.cli import EXIT_USAGE

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_is_registered_under_its_own_name():
    assert list(sources.REGISTRY) == ["strava", "withings", "sheets", "files"]
    for name, source in sources.REGISTRY.items():
        assert source.name == name and source.title
        config = source.configure(settings.Settings())
        assert config.configured in (True, False)
        assert callable(source.sync)


def test_files_is_not_part_of_sync_all():
    assert [s.name for s in sources.syncing()] == ["strava", "withings", "sheets"]
    assert not sources.get("files").syncs


def test_connect_offers_the_sources_with_oauth():
    assert [s.name for s in sources.with_oauth()] == ["strava", "withings"]
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    [source] = [a for a in commands["connect"]._actions if a.dest == "source"]
    assert list(source.choices) == ["strava", "withings"]


def test_sync_offers_the_syncing_sources_and_all():
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    [source] = [a for a in commands["sync"]._actions if a.dest == "source"]
    assert list(source.choices) == ["strava", "withings", "sheets", "all"]


def test_an_unknown_source_is_a_usage_error():
    with pytest.raises(UnknownSource, match="one of strava, withings, sheets, files") as caught:
        sources.get("fitbit")
    assert caught.value.exit_code == EXIT_USAGE


def test_each_syncing_source_has_a_lambda_handler_and_a_schedule():
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    scheduled = {e["function"] for e in config["jobs"]["events"] if "expression" in e}
    for source in sources.syncing():
        path = lambda_handlers.handler_path(source.name)
        assert path in scheduled
        handler = getattr(lambda_handlers, path.rpartition(".")[2])
        assert callable(handler) and handler.__name__ == f"sync_{source.name}"
    for missing in ("sync_files", "sync_fitbit", "train"):
        with pytest.raises(AttributeError):
            getattr(lambda_handlers, missing)
