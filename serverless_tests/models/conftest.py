"""Synthetic weeks shared by the model tests (built once per module: they are pure data), and
settings naming a store and blobs of the test's own."""

from __future__ import annotations

from typing import Any

import pytest

import settings
from models import features, train
from testkit.athlete import load, training_records, weeks_of
from testkit.stores import open_store


@pytest.fixture(scope="module")
def athlete() -> dict[str, Any]:
    return training_records(weeks=130, seed=11)


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
        load(store, training_records(weeks=weeks, seed=2))


def newobj_build_pickle(k: int = 0) -> bytes:
    """A pickle that makes a Predictor with NEWOBJ and fills its slots with BUILD: its
    constructor never runs, so neither do its checks (k=0 would be refused there). An allow-list
    of classes let it through (issue 14, finding 5)."""
    import pickle

    from models.features import FEATURES, TARGETS

    slots = {"feature_names": FEATURES, "target_names": TARGETS, "mean": (0.0,) * 4,
             "scale": (1.0,) * 4, "table_x": ((0.0,) * 4,), "table_y": ((0.0, 0.0),), "k": k}
    state = pickle.dumps((None, slots), protocol=2)[2:-1]  # without its PROTO and STOP
    return b"\x80\x02cmodels.predict\nPredictor\n)\x81" + state + b"b."
