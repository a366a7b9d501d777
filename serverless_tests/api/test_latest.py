"""The forecast's starting point: the latest stored values, read at most every few minutes."""

from __future__ import annotations

import logging

from api.latest import LatestValues
from serverless_tests.api.cases import GOOD_JSON
from serverless_tests.api.conftest import publish


def test_without_stored_measurements_start_and_end_are_null(make_app, file_blobs, trained):
    publish(file_blobs, trained)
    payload = make_app().test_client().get("/forecast", query_string=GOOD_JSON).get_json()
    assert payload["start"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert payload["end"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert payload["per_week"]["weight_kg"] is not None


def test_a_failing_store_still_forecasts_with_null_start(make_app, file_blobs, trained, caplog):
    class Broken:
        def latest(self, *args, **kwargs):
            raise ConnectionError("store down")

    publish(file_blobs, trained)
    client = make_app(STORE=Broken()).test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/forecast", query_string=GOOD_JSON)
    assert response.status_code == 200
    assert response.get_json()["start"] == {"weight_kg": None, "fat_ratio_pct": None}
    assert "store down" in caplog.text


def test_the_store_is_asked_again_only_after_the_ttl(sqlite_store, clock):
    from datetime import UTC, datetime

    from storage import Measurement

    latest = LatestValues(lambda: sqlite_store, ttl_s=60, clock=clock)
    assert latest.get() == {"weight_kg": None, "fat_ratio_pct": None}
    moment = datetime(2025, 1, 5, 7, tzinfo=UTC)
    sqlite_store.put([Measurement(moment, "weight_kg", 80.5, "withings", "a")])
    clock.advance(59)
    assert latest.get()["weight_kg"] is None and latest.reads == 1
    clock.advance(1)
    assert latest.get() == {"weight_kg": 80.5, "fat_ratio_pct": None} and latest.reads == 2
