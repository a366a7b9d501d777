"""One contract, both store adapters: the same inputs must give the same answers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from storage import Activity, ActivityStream, LiftSet, Measurement, Rejected, StoreError
from storage.base import Store

T0 = datetime(2024, 3, 1, 6, 30, tzinfo=UTC)


def weight(day: int, value: float, source_id: str | None = None) -> Measurement:
    return Measurement(
        T0 + timedelta(days=day), "weight_kg", value, "withings", source_id or f"g{day}"
    )


def test_upsert_twice_keeps_one_record(store: Store) -> None:
    first = weight(0, 80.5)
    store.put([first])
    store.put([first])
    assert store.count("measurements", "weight_kg") == 1
    assert store.query("measurements", "weight_kg") == [first]


def test_upsert_replaces_by_source_id(store: Store) -> None:
    store.put([weight(0, 80.5)])
    store.put([weight(0, 79.9)])
    assert [m.value for m in store.query("measurements", "weight_kg")] == [79.9]


def test_same_key_twice_in_one_batch_keeps_the_last(store: Store) -> None:
    assert store.put([weight(0, 1.0), weight(0, 2.0), weight(1, 3.0)]) in (2, 3)
    assert [m.value for m in store.query("measurements", "weight_kg")] == [2.0, 3.0]


def test_floats_come_back_exactly(store: Store) -> None:
    values = [80.123456789012, 0.1, 1e-7, 123456.789, 80.0, 2.0**-20]
    store.put([weight(i, v) for i, v in enumerate(values)])
    got = [m.value for m in store.query("measurements", "weight_kg")]
    assert got == values
    assert all(isinstance(v, float) for v in got)


def test_not_finite_numbers_are_refused_and_nothing_is_lost(store: Store) -> None:
    store.put([weight(0, 80.0)])
    with pytest.raises(StoreError, match="value is not a finite number"):
        store.put([weight(1, float("nan"))])
    assert [m.value for m in store.query("measurements", "weight_kg")] == [80.0]


def test_range_is_half_open_on_time(store: Store) -> None:
    store.put([weight(d, 80.0 + d) for d in range(10)])
    start, end = T0 + timedelta(days=2), T0 + timedelta(days=5)
    got = store.query("measurements", "weight_kg", start=start, end=end)
    assert [m.time for m in got] == [T0 + timedelta(days=d) for d in (2, 3, 4)]
    assert store.query("measurements", "weight_kg", start=end, end=start) == []
    assert len(store.query("measurements", "weight_kg", start=start)) == 8
    assert len(store.query("measurements", "weight_kg", end=end)) == 5


def test_range_by_dates_and_limit_with_exclusive_end(store: Store) -> None:
    store.put([weight(d, 80.0) for d in range(5)])
    day = (T0 + timedelta(days=2)).date()
    got = store.query("measurements", "weight_kg", start=day, end=day + timedelta(days=1))
    assert len(got) == 1 and got[0].time.date() == day
    # A record sitting exactly on the exclusive end must not eat into the limit.
    exact_end = T0 + timedelta(days=3)
    newest = store.query("measurements", "weight_kg", end=exact_end, limit=2, newest_first=True)
    assert [m.time for m in newest] == [T0 + timedelta(days=2), T0 + timedelta(days=1)]


def test_latest_n_newest_first(store: Store) -> None:
    store.put([weight(d, 70.0 + d) for d in range(6)])
    assert [m.value for m in store.latest("measurements", "weight_kg", n=3)] == [75.0, 74.0, 73.0]
    assert store.latest("measurements", "fat_ratio_pct", n=3) == []


def test_series_are_separate_partitions(store: Store) -> None:
    store.put([weight(0, 80.0), Measurement(T0, "fat_ratio_pct", 18.5, "withings", "g0")])
    assert store.count("measurements", "weight_kg") == 1
    assert [m.value for m in store.query("measurements", "fat_ratio_pct")] == [18.5]


def test_delete_and_get(store: Store) -> None:
    records = [weight(d, 80.0) for d in range(3)]
    store.put(records)
    store.delete("measurements", [records[1].sort_key(), "not-there"], series="weight_kg")
    assert store.get("measurements", records[1].sort_key(), "weight_kg") is None
    assert store.get("measurements", records[0].sort_key(), "weight_kg") == records[0]
    assert store.count("measurements", "weight_kg") == 2


def test_every_record_type_round_trips(store: Store) -> None:
    activity = Activity(
        id="12345678901234",  # beyond 32 bits
        source="strava",
        start_time=T0,
        sport_type="Run",
        name="Morning Run — Île de la Cité ✓",
        distance_m=10012.3,
        moving_time_s=3000,
        elapsed_time_s=3100,
        elevation_gain_m=45.2,
        average_speed_mps=3.337,
        max_speed_mps=5.1,
        average_heartrate_bpm=None,
        summary_polyline=r"_p~iF~ps|U_ulLnnqC_mqNvxq`@",
    )
    stream = ActivityStream(
        activity_id=activity.id,
        time_s=[float(i) for i in range(5000)],
        distance_m=[i * 2.5 for i in range(5000)],
        altitude_m=[30.0 + (i % 50) / 10 for i in range(5000)],
        velocity_mps=[2.5] * 5000,
        heartrate_bpm=None,
        latlng=[[48.85 + i * 1e-5, 2.35 + i * 1e-5] for i in range(5000)],
    )
    lift = LiftSet(date(2024, 3, 1), "Back squat", 2, 5, 102.5, 17)
    bad = Rejected("sheets", "row 9", "weight '8O' is not a number", "2024-03-01|squat|1|5|8O", T0)
    assert store.put([activity, stream, lift, bad]) == 4
    assert store.query("activities") == [activity]
    assert store.get("streams", activity.id) == stream
    assert store.query("lift_sets") == [lift]
    assert store.query("rejected") == [bad]


def test_unicode_names_and_keys(store: Store) -> None:
    lifts = [
        LiftSet(date(2024, 1, 2), name, 1, 5, 60.0, i)
        for i, name in enumerate(["Soulevé de terre", "深蹲", "Überkopfdrücken 🏋️"])
    ]
    store.put(lifts)
    assert sorted(x.exercise for x in store.query("lift_sets")) == sorted(x.exercise for x in lifts)


def test_large_batch_of_ten_thousand(store: Store) -> None:
    records = [
        Measurement(T0 + timedelta(minutes=i), "weight_kg", 60 + (i % 400) / 10, "withings", str(i))
        for i in range(10_000)
    ]
    assert store.put(records) == 10_000
    assert store.count("measurements", "weight_kg") == 10_000
    got = store.query("measurements", "weight_kg")
    assert len(got) == 10_000 and got[0] == records[0] and got[-1] == records[-1]
    store.put(records[:100])  # a second delivery of part of it changes nothing
    assert store.count("measurements", "weight_kg") == 10_000


def test_unknown_kind_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown kind 'weights'"):
        store.query("weights")


def test_users_do_not_see_each_other(store: Store) -> None:
    store.put([weight(0, 80.0)])
    other = type(store).__new__(type(store))
    other.__dict__.update(store.__dict__)
    other.user = "someone-else"
    assert other.query("measurements", "weight_kg") == []


def test_documents_compare_and_set(store: Store) -> None:
    assert store.get_doc("token", "strava") is None
    assert store.put_doc("token", "strava", {"refresh": "r1"}, expected_version=0)
    assert not store.put_doc("token", "strava", {"refresh": "other"}, expected_version=0)
    doc = store.get_doc("token", "strava")
    assert doc is not None and doc.data == {"refresh": "r1"} and doc.version == 1
    assert store.put_doc("token", "strava", {"refresh": "r2"}, expected_version=1)
    # A second writer that read version 1 loses the race and the winner's value stays.
    assert not store.put_doc("token", "strava", {"refresh": "r2-late"}, expected_version=1)
    doc = store.get_doc("token", "strava")
    assert doc is not None and doc.data == {"refresh": "r2"} and doc.version == 2
    assert store.put_doc("token", "strava", {"refresh": "r3"})  # unconditional bumps the version
    assert store.get_doc("token", "strava") == type(doc)({"refresh": "r3"}, 3)


def test_compare_and_set_race_has_one_winner(store: Store) -> None:
    store.put_doc("token", "withings", {"n": 0}, expected_version=0)
    results: list[bool] = []
    barrier = threading.Barrier(5)

    def contend(i: int) -> None:
        barrier.wait()
        results.append(store.put_doc("token", "withings", {"n": i}, expected_version=1))

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    doc = store.get_doc("token", "withings")
    assert doc is not None and doc.version == 2


def test_documents_list_delete_and_cursor(store: Store) -> None:
    store.put_doc("users", "ana", {"role": "owner", "weight_kg": 61.5})
    store.put_doc("users", "bo", {"role": "viewer"})
    assert sorted(store.list_docs("users")) == ["ana", "bo"]
    assert store.list_docs("users")["ana"].data == {"role": "owner", "weight_kg": 61.5}
    store.delete_doc("users", "bo")
    assert list(store.list_docs("users")) == ["ana"]
    assert store.get_cursor("withings") is None
    store.set_cursor("withings", "1700000000")
    store.set_cursor("withings", "1700000600")
    assert store.get_cursor("withings") == "1700000600"


def test_counters_count_per_fixed_window(store: Store) -> None:
    now = 1_700_000_000.0 - (1_700_000_000 % 60)
    assert store.peek("login:ana", 60, now) == 0
    assert [store.hit("login:ana", 60, now + i) for i in range(3)] == [1, 2, 3]
    assert store.peek("login:ana", 60, now + 59) == 3
    assert store.hit("login:ana", 60, now + 60) == 1  # next window starts afresh
    assert store.hit("login:bo", 60, now) == 1


def test_previous_window_stays_readable_after_the_next_begins(store: Store) -> None:
    # A sliding count reads the window before the current one; a hit must not drop it.
    now = 1_800_000_010.0
    for _ in range(4):
        store.hit("login:bo", 60, now)
    store.hit("login:bo", 60, now + 60)
    assert store.peek("login:bo", 60, now) == 4
    assert store.peek("login:bo", 60, now + 60) == 1


@pytest.mark.parametrize("wildcard", ["ana%", "an_", "ana#%", "*", "ana[a]", "%"])
def test_a_counter_key_with_wildcards_touches_no_other_counter(store: Store,
                                                               wildcard: str) -> None:
    # Counter keys come from what someone typed at the login: none of its characters may mean
    # anything to the store (an unescaped LIKE once let "ana%" reset ana's counter).
    now = 1_700_000_000.0 - (1_700_000_000 % 60)
    for i in range(4):
        store.hit("login:ana", 60, now + i)
    store.hit(f"login:{wildcard}", 60, now + 5)
    store.hit(f"login:{wildcard}", 60, now + 61)
    assert store.peek("login:ana", 60, now) == 4
    assert store.peek(f"login:{wildcard}", 60, now) == 1


def test_counters_stay_bounded_under_a_flood_of_distinct_keys(store: Store) -> None:
    now = 1_700_000_000.0 - (1_700_000_000 % 60)
    for minute in range(6):
        for i in range(30):
            store.hit(f"login:{'x' * 5000}{minute}-{i}", 60, now + 60 * minute)
    # Only the windows a sliding count can still read are kept (2 windows of 30 keys each,
    # plus those of the newest one); expired ones went, and every key is stored small.
    live = store.peek(f"login:{'x' * 5000}5-0", 60, now + 300)
    assert live == 1
    sqlite_rows = getattr(store, "_conn", None)
    if sqlite_rows is not None:
        rows = store._conn().execute(  # type: ignore[attr-defined]
            "SELECT sk FROM items WHERE pk LIKE '%#counter'").fetchall()
        assert 30 <= len(rows) <= 90
        assert max(len(sk) for (sk,) in rows) < 64


def test_an_over_long_document_key_is_refused_not_a_crash(store: Store) -> None:
    name = "n" * 200_000
    assert store.get_doc("users", name) is None
    with pytest.raises(StoreError, match="too long"):
        store.put_doc("users", name, {"role": "owner"})
    assert store.list_docs("users") == {}
