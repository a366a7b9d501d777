"""An API on a temp store and blobs, a model trained once per session, and a clock tests move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from models import artifact, train
from storage import Measurement, open_blobs
from testkit.athlete import training_records, weeks_of

SERVE_KEY = "serve-key-0123"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def trained() -> train.Result:
    records = training_records(weeks=120, seed=21)
    # The owner imported their Strava export too: the forecaster may train on these activities.
    records["activities"] = [replace(a, also_from="file") for a in records["activities"]]
    return train.fit(weeks_of(records))


def publish(blobs: Any, result: train.Result, when: datetime | None = None) -> dict[str, Any]:
    when = when or datetime(2025, 1, 6, 4, tzinfo=UTC)
    return artifact.publish(blobs, result.predictor, train.manifest(result, when, 16))


@pytest.fixture
def file_blobs(tmp_path):
    return open_blobs(f"file://{tmp_path / 'blobs'}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(sqlite_store, file_blobs, clock):
    """create_app with this test's store, blobs and clock; extra config as keywords. Keyless,
    as only the demo may be (test_app checks the key), unless API_KEY is given."""
    from api import create_app

    def make(**config: Any) -> Any:
        base = {"TESTING": True, "STORE": sqlite_store, "BLOBS": file_blobs, "CLOCK": clock,
                "MANIFEST_CHECK_S": 300, "NO_MODEL_RETRY_S": 15, "LATEST_TTL_S": 300,
                "API_KEY": "", "MODEL_KEY": "", "DEMO": True}
        return create_app({**base, **config})

    return make


@pytest.fixture
def app(make_app, file_blobs, trained, sqlite_store):
    publish(file_blobs, trained)
    moment = datetime(2025, 1, 5, 7, tzinfo=UTC)
    sqlite_store.put([Measurement(moment, "weight_kg", 81.4, "withings", "a"),
                      Measurement(moment, "fat_ratio_pct", 21.3, "withings", "a")])
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def serve_env(tmp_path, trained):
    """The environment of an API process serving a published model from this test's folder."""
    publish(open_blobs(f"file://{tmp_path}/blobs"), trained)
    return {"PATH": "/usr/bin:/bin", "PULSEBOARD_DATA_DIR": str(tmp_path / "var"),
            "PULSEBOARD_STORE": f"sqlite:///{tmp_path}/store.db",
            "PULSEBOARD_BLOBS": f"file://{tmp_path}/blobs", "PULSEBOARD_API_KEY": SERVE_KEY}
