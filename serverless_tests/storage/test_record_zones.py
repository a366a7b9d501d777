"""A record keeps the zone it was recorded in; records stored before zones were kept read as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from storage import Activity, Measurement
from storage.base import Store

START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo, 06:00 in Los Angeles


def test_a_run_in_tokyo_is_on_tokyo_s_date() -> None:
    run = Activity("r1", "strava", START, "Run", timezone="Asia/Tokyo", utc_offset_s=9 * 3600)
    assert run.local_date() == date(2026, 11, 30)
    assert run.local_start().strftime("%H:%M") == "23:00"
    late = Activity("r2", "strava", START + timedelta(hours=2), "Run", timezone="Asia/Tokyo")
    assert late.local_date() == date(2026, 12, 1)


def test_an_offset_alone_places_it_and_neither_means_utc() -> None:
    run = Activity("r1", "file", START, "Run", utc_offset_s=-8 * 3600)
    assert run.zone() == timezone(timedelta(hours=-8))
    assert run.local_date() == date(2026, 11, 30)
    assert Activity("r2", "file", START + timedelta(hours=11), "Run").local_date() == \
        date(2026, 12, 1)


def test_an_item_stored_without_zones_is_still_readable() -> None:
    old_activity = {"id": "a", "source": "strava", "start_time": "2026-11-30T14:00:00Z",
                    "sport_type": "Run", "distance_m": 5000}
    activity = Activity.from_dict(old_activity)
    assert (activity.timezone, activity.utc_offset_s, activity.local_date()) == \
        ("", None, date(2026, 11, 30))
    old_weight = {"time": "2026-11-30T06:30:00Z", "type": "weight_kg", "value": 81,
                  "source": "withings", "source_id": "g1"}
    assert Measurement.from_dict(old_weight).timezone == ""


def test_zones_round_trip_through_both_stores(store: Store) -> None:
    run = Activity("r1", "strava", START, "Run", timezone="Asia/Tokyo", utc_offset_s=32400)
    weigh_in = Measurement(START, "weight_kg", 81.0, "withings", "g1",
                           timezone="America/Los_Angeles")
    store.put([run, weigh_in])
    assert store.query("activities") == [run]
    assert store.query("measurements", "weight_kg") == [weigh_in]
