"""Withings parsing on answers shaped like the public API reference's getmeas example."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from collectors.sources.withings.parse import (
    TYPES,
    WithingsStatus,
    check_status,
    parse_measures,
    real_value,
)
from storage.records import MEASUREMENT_TYPES

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def group(grpid=123456789, date=1_763_612_400, measures=None, **changes):
    out = {
        "grpid": grpid,
        "attrib": 0,
        "date": date,
        "created": 1_763_612_430,
        "modified": 1_763_612_430,
        "category": 1,
        "deviceid": "892359876fd8805ac45bab078c4828692f0276b1",
        "measures": measures if measures is not None else [
            {"value": 82345, "type": 1, "unit": -3},
            {"value": 6512, "type": 5, "unit": -2},
            {"value": 20915, "type": 6, "unit": -3},
            {"value": 1722, "type": 8, "unit": -2},
        ],
        "comment": None,
    }
    out.update(changes)
    return out


def answer(groups, more=0, offset=0):
    return {"status": 0, "body": {"updatetime": 1_763_700_000, "timezone": "Europe/Paris",
                                  "measuregrps": groups, "more": more, "offset": offset}}


def test_value_times_ten_to_the_unit_is_exact():
    assert real_value(82345, -3) == 82.345
    assert real_value(6512, -2) == 65.12
    assert real_value(75, 0) == 75.0
    assert real_value(8, 1) == 80.0


@pytest.mark.parametrize(("value", "unit"), [(None, -3), ("82", -3), (82, None), (82, 1.5),
                                             (True, 0)])
def test_unreadable_values(value, unit):
    with pytest.raises(ValueError):
        real_value(value, unit)


def test_every_measure_type_maps_to_a_stored_name():
    assert set(TYPES.values()) == set(MEASUREMENT_TYPES)


def test_a_group_becomes_one_measurement_per_type():
    page = parse_measures(check_status(answer([group()])), NOW)
    by_type = {m.type: m for m in page.records}
    assert by_type["weight_kg"].value == 82.345
    assert by_type["fat_free_mass_kg"].value == 65.12
    assert by_type["fat_ratio_pct"].value == 20.915
    assert by_type["fat_mass_kg"].value == 17.22
    assert {m.source_id for m in page.records} == {
        "123456789:1", "123456789:5", "123456789:6", "123456789:8"}
    assert all(m.time == datetime.fromtimestamp(1_763_612_400, UTC) for m in page.records)
    assert all(m.source == "withings" for m in page.records)
    assert page.groups == 1 and not page.more and page.updatetime == 1_763_700_000


def test_all_seven_types_of_a_newer_scale():
    measures = [{"value": 1000 + t, "type": t, "unit": -2} for t in TYPES]
    page = parse_measures(check_status(answer([group(measures=measures)])), NOW)
    assert {m.type for m in page.records} == set(MEASUREMENT_TYPES)


def test_objectives_and_types_not_asked_for_are_left_out():
    goal = group(grpid=2, category=2)
    pulse = group(grpid=3, measures=[{"value": 62, "type": 11, "unit": 0}])
    page = parse_measures(check_status(answer([goal, pulse])), NOW)
    assert page.records == [] and page.rejected == []


def test_a_measure_without_value_is_rejected_the_rest_kept():
    measures = [{"value": 82345, "type": 1, "unit": -3}, {"value": None, "type": 6, "unit": -3}]
    page = parse_measures(check_status(answer([group(grpid=55, measures=measures)])), NOW)
    assert [m.type for m in page.records] == ["weight_kg"]
    [bad] = page.rejected
    assert bad.source == "withings" and bad.ref == "group 55 type 6"
    assert "value None" in bad.reason and bad.seen_at == NOW


def test_groups_without_id_or_date_are_rejected():
    page = parse_measures(
        check_status(answer([group(grpid=None), group(grpid=9, date="today")])), NOW)
    assert page.records == []
    assert [r.ref for r in page.rejected] == ["group None", "group 9"]


def test_paging_fields():
    page = parse_measures(check_status(answer([group()], more=1, offset=200)), NOW)
    assert page.more and page.offset == 200


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"status": 401, "body": {}, "error": "invalid_token"}, 401),
        ({"status": 601, "body": {}, "error": "Too Many Requests"}, 601),
        ({"status": 2555, "body": {}, "error": "An unknown error occurred"}, 2555),
        ({"status": 503, "body": {}, "error": "Invalid Params"}, 503),
        ({"body": {}}, -1),
        ([], -1),
    ],
)
def test_errors_come_in_the_body_status(payload, status):
    with pytest.raises(WithingsStatus) as caught:
        check_status(payload)
    assert caught.value.status == status


# --- real answers ---------------------------------------------------------------------------

REALDATA = Path(__file__).resolve().parents[4].parent / "shared" / "realdata" / "withings"
real = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"no real data at {REALDATA}")


def test_a_measure_of_zero_is_no_reading():
    manual = group(grpid=77, measures=[{"value": 670000, "type": 1, "unit": -4},
                                       {"value": 0, "type": 8, "unit": -3},
                                       {"value": 0, "type": 6, "unit": -3}])
    page = parse_measures(check_status(answer([manual])), NOW)
    assert [(m.type, m.value) for m in page.records] == [("weight_kg", 67.0)]
    assert {m.type for m in page.no_readings} == {"fat_mass_kg", "fat_ratio_pct"}
    assert page.rejected == []


@real
def test_real_getmeas_answer_typed_in_weights_carry_no_fat_reading():
    payload = json.loads((REALDATA / "cjoshmartin-getmeas.json").read_text())
    page = parse_measures(check_status(payload), NOW)
    groups = payload["body"]["measuregrps"]
    by_type: dict[str, list[float]] = {}
    for m in page.records:
        by_type.setdefault(m.type, []).append(m.value)
    assert len(groups) == 48 and page.rejected == []
    assert len(by_type["weight_kg"]) == 48  # every group's weight, typed in or weighed
    assert len(by_type["fat_ratio_pct"]) == len(by_type["fat_mass_kg"]) == 19
    assert min(by_type["fat_ratio_pct"]) > 0 and min(by_type["fat_mass_kg"]) > 0
    assert len(page.no_readings) == 16  # the 8 typed-in groups' fat ratio and fat mass
    # Stored exactly, value × 10^unit.
    stored = {m.source_id: m.value for m in page.records}
    for g in groups:
        for measure in g["measures"]:
            if measure["value"]:
                want = float(Decimal(measure["value"]).scaleb(measure["unit"]))
                assert stored[f"{g['grpid']}:{measure['type']}"] == want
    assert stored["3415696183:1"] == 110.1 and stored["3415696183:6"] == 15.713


def test_each_reading_keeps_its_group_s_zone_else_the_account_s() -> None:
    from datetime import UTC, datetime

    body = {"timezone": "Europe/Paris", "measuregrps": [
        {"grpid": 1, "date": 1796020200, "category": 1, "timezone": "America/Los_Angeles",
         "measures": [{"value": 81000, "unit": -3, "type": 1}]},
        {"grpid": 2, "date": 1796106600, "category": 1,
         "measures": [{"value": 80900, "unit": -3, "type": 1}]},
        {"grpid": 3, "date": 1796193000, "category": 1, "timezone": "Not/AZone",
         "measures": [{"value": 80800, "unit": -3, "type": 1}]},
    ]}
    page = parse_measures(body, datetime(2026, 12, 1, tzinfo=UTC))
    assert [m.timezone for m in page.records] == \
        ["America/Los_Angeles", "Europe/Paris", "Europe/Paris"]
    assert [m.value for m in page.records] == [81.0, 80.9, 80.8]
