"""Synthetic weeks shared by the model tests (built once per module: they are pure data), and
settings naming a store and blobs of the test's own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import settings
from models import features, train
from testkit.athlete import load, training_records, weeks_of
from testkit.stores import open_store


def exported(records: dict[str, Any]) -> dict[str, Any]:
    """The records as if the owner had imported their Strava export too: the forecaster may then
    train on the activities (by default it refuses what only Strava's API gave)."""
    return {**records, "activities": [replace(a, also_from="file") for a in records["activities"]]}


@pytest.fixture(scope="module")
def athlete() -> dict[str, Any]:
    return exported(training_records(weeks=130, seed=11))


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
        load(store, exported(training_records(weeks=weeks, seed=2)))
