"""Synthetic weeks shared by the model tests (built once per module: they are pure data), and
settings naming a store and blobs of the test's own."""

from __future__ import annotations

from typing import Any

import pytest

import settings
from models import features, train
from serverless_tests.models.athlete import generate, load
from testkit.stores import open_store


def weeks_of(data: dict[str, Any]) -> list[features.Week]:
    ms = data["measurements"]
    return features.build_weeks(
        [(m.time, m.value) for m in ms if m.type == "weight_kg"],
        [(m.time, m.value) for m in ms if m.type == "fat_ratio_pct"],
        data["activities"], data["lift_sets"], data["today"],
    )


@pytest.fixture(scope="module")
def athlete() -> dict[str, Any]:
    return generate(weeks=130, seed=11)


@pytest.fixture(scope="module")
def weeks(athlete: dict[str, Any]) -> list[features.Week]:
    return weeks_of(athlete)


@pytest.fixture(scope="module")
def trained(weeks: list[features.Week]) -> train.Result:
    return train.fit(weeks)


@pytest.fixture
def configured(tmp_path, monkeypatch):
    """Settings pointing at a SQLite store and a blob folder of this test."""
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{tmp_path}/store.db")
    monkeypatch.setenv("PULSEBOARD_BLOBS", f"file://{tmp_path}/blobs")
    settings.reset()
    return settings.get()


def fill(weeks: int) -> None:
    with open_store() as store:
        load(store, generate(weeks=weeks, seed=2))
