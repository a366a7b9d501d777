"""Manual entries: checked, stored in UTC and SI with source `manual`, listed, found again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dashboard.logic import entry

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


def test_a_weigh_in_in_pounds_at_local_time_is_stored_in_kg_and_utc():
    weight, fat = entry.weighin("2026-12-01", "22:30", 176.4, "19.5", "imperial", LA, NOW)
    assert weight.time == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert weight.value == pytest.approx(80.014, abs=0.001) and weight.type == "weight_kg"
    assert weight.source == fat.source == "manual" and weight.source_id == fat.source_id
    assert fat.type == "fat_ratio_pct" and fat.value == 19.5 and weight.timezone == LA.key
    assert weight.sort_key() != fat.sort_key() or weight.type != fat.type
    [only] = entry.weighin("2026-12-02", "", 80, None, "metric", LA, NOW)
    assert only.time == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 07:00 local by default


@pytest.mark.parametrize(("args", "message"), [
    (("2026-12-03", "07:00", 80, None), "cannot be in the future"),
    (("2026-12-02", "11:00", 80, None), "later than now"),
    (("yesterday", "07:00", 80, None), "not a date"),
    (("2026-12-01", "7h", 80, None), "not a time of day"),
    (("2026-12-01", "07:00", "eighty", None), "weight: 'eighty' is not a number"),
    (("2026-12-01", "07:00", 8, None), "weight must be between 20 and 400 kg"),
    (("2026-12-01", "07:00", 80, 95), "fat ratio must be between 2 and 70 %"),
])
def test_a_bad_weigh_in_names_the_field(args, message):
    with pytest.raises(entry.EntryError, match=message):
        entry.weighin(*args, "metric", LA, NOW)


def test_a_set_is_numbered_after_the_manual_sets_of_its_day_and_never_like_a_sheet_row():
    first = entry.lift_set("2026-12-01", "  Back   squat ", 5, 225, "imperial", NOW.date(), set())
    assert first.exercise == "Back squat" and first.set_index == entry.MANUAL_SET_FROM
    assert first.weight_kg == pytest.approx(102.058, abs=0.001)
    assert first.source_row == entry.MANUAL_ROW and entry.is_manual_set(first)
    second = entry.lift_set("2026-12-01", "Back squat", 5, 100, "metric", NOW.date(),
                            {first.set_index})
    assert second.set_index == first.set_index + 1
    with pytest.raises(entry.EntryError, match="reps must be a whole number"):
        entry.lift_set("2026-12-01", "Back squat", 5.5, 100, "metric", NOW.date(), set())
    with pytest.raises(entry.EntryError, match="exercise"):
        entry.lift_set("2026-12-01", " ", 5, 100, "metric", NOW.date(), set())


def test_entries_list_only_manual_records_and_their_keys_find_them():
    from storage.records import LiftSet, Measurement

    records = entry.weighin("2026-12-01", "07:00", 80, 20, "metric", LA, NOW)
    scale = Measurement(NOW, "weight_kg", 81.0, "withings", "g1")
    sheet = LiftSet(date(2026, 12, 1), "Deadlift", 1, 5, 120.0, 7)
    mine = entry.lift_set("2026-12-01", "Deadlift", 3, 130, "metric", NOW.date(), set())
    rows = entry.entries([*records, scale], [sheet, mine], "metric", LA)
    assert [r["entry"] for r in rows] == ["weigh-in 80.0 kg, fat 20.0 %", "Deadlift: 3 × 130 kg"]
    assert all(r["source"] == "manual" for r in rows)
    keys = entry.keys_of(rows[0]["key"], [*records, scale])
    assert keys == {"weight_kg": [records[0].sort_key()], "fat_ratio_pct": [records[1].sort_key()]}
    assert entry.keys_of(rows[1]["key"], []) == {"lift_sets": [mine.sort_key()]}
    with pytest.raises(entry.EntryError):
        entry.keys_of("nothing", [])
