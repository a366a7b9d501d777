"""Sheets parsing on `values` answers shaped like the Sheets API v4 reference's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from collectors.sources.sheets.parse import LB_KG, SheetError, first_row, parse_sheet

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HEADER = ["date", "exercise", "set", "reps", "weight_kg"]


def values(*rows, header=HEADER, a1="Log!A1:E1000"):
    return {"range": a1, "majorDimension": "ROWS", "values": [header, *rows]}


def test_good_rows_become_lift_sets_with_their_row_numbers():
    sheet = parse_sheet(values(["2026-11-02", "Back Squat", "1", "5", "100"],
                               ["2026-11-02", "Back Squat", "2", "5", "102.5"]), NOW)
    assert [(s.date, s.exercise, s.set_index, s.reps, s.weight_kg, s.source_row)
            for s in sheet.records] == [
        (date(2026, 11, 2), "Back Squat", 1, 5, 100.0, 2),
        (date(2026, 11, 2), "Back Squat", 2, 5, 102.5, 3),
    ]
    assert sheet.rejected == [] and sheet.rows == 2


def test_header_is_case_insensitive_and_columns_may_move():
    header = ["Exercise", " DATE ", "Weight_KG", "Reps", "Set"]
    sheet = parse_sheet(values(["Deadlift", "2026-11-03", "140", "3", "1"], header=header), NOW)
    [lift] = sheet.records
    assert (lift.exercise, lift.date, lift.weight_kg, lift.reps, lift.set_index) == (
        "Deadlift", date(2026, 11, 3), 140.0, 3, 1)


def test_weight_in_pounds_is_converted():
    header = ["date", "exercise", "set", "reps", "weight_lb"]
    [lift] = parse_sheet(values(["2026-11-03", "Bench Press", "1", "5", "135"], header=header),
                         NOW).records
    assert lift.weight_kg == round(135 * LB_KG, 3)


def test_short_rows_and_blank_lines():
    # Google leaves out trailing empty cells and sends blank lines as empty lists.
    sheet = parse_sheet(values(["2026-11-04", "Pull-up", "1", "8"], [],
                               ["2026-11-04", "Pull-up", "2", "8", ""]), NOW)
    assert [(s.weight_kg, s.source_row) for s in sheet.records] == [(0.0, 2), (0.0, 4)]
    assert sheet.rows == 2


def test_unformatted_values_numbers_and_serial_dates():
    # valueRenderOption=UNFORMATTED_VALUE: numbers as numbers, dates as days since 1899-12-30.
    [lift] = parse_sheet(values([46_000, "Thruster", 1, 10, 42.5]), NOW).records
    assert lift.date == date(2025, 12, 9) and lift.reps == 10 and lift.weight_kg == 42.5


def test_decimal_comma():
    [lift] = parse_sheet(values(["2026-11-05", "Front Squat", "1", "5", "77,5"]), NOW).records
    assert lift.weight_kg == 77.5


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["2026-11-02", "Back Squat", "1", "5", "8O"], "weight_kg '8O' is not a number"),
        (["31/02/2024", "Deadlift", "1", "5", "100"], "date '31/02/2024' is not a date"),
        (["2024-02-31", "Deadlift", "1", "5", "100"], "does not exist"),
        (["2026-11-02", "Bench Press", "2", "-5", "60"], "reps -5 is negative"),
        (["2026-11-02", "", "1", "5", "60"], "exercise is empty"),
        (["2026-11-02", "Bench Press", "", "5", "60"], "set is empty"),
        (["2026-11-02", "Bench Press", "0", "5", "60"], "set 0 must be between 1 and 100"),
        (["2026-11-02", "Bench Press", "99999", "5", "60"], "set 99999 must be between"),
        (["2026-11-02", "Bench Press", "1", "100000", "60"], "reps 100000 is more than 1000"),
        (["2026-11-02", "Bench Press", "1", "5", "6000"], "more than 1000 kg"),
        (["2026-11-02", "Bench Press", "1", "5", "1e9"], "not a number"),
        (["2026-11-02", "Bench Press", "1", "5", "60 kg"], "not a number"),
        (["2026-11-02", "Bench Press", "1", "5", "#REF!"], "not a number"),
        (["05/11/2026", "Bench Press", "1", "5", "60"], "not a date"),
        (["2026-11-02", "Bench Press", "1", "5.5", "60"], "not a whole number"),
        (["2026-11-02", "Bench Press", "1", "5", "-60"], "negative"),
        (["2026-11-02", "Bench Press", "1", "5", "nan"], "not a number"),
    ],
)
def test_bad_rows_are_rejected_with_row_and_reason(row, reason):
    good = ["2026-11-01", "Back Squat", "1", "5", "100"]
    sheet = parse_sheet(values(good, row), NOW)
    assert [s.source_row for s in sheet.records] == [2]
    [bad] = sheet.rejected
    assert bad.source == "sheets" and bad.ref == "row 3" and reason in bad.reason
    assert bad.seen_at == NOW and row[1] in bad.raw


def test_every_problem_of_a_row_is_named():
    [bad] = parse_sheet(values(["someday", "", "1", "-3", "8O"]), NOW).rejected
    for part in ("date", "exercise is empty", "reps -3", "8O"):
        assert part in bad.reason


def test_the_same_set_twice_rejects_the_second_row():
    row = ["2026-11-02", "Back Squat", "1", "5", "100"]
    sheet = parse_sheet(values(row, [row[0], "back squat", "1", "5", "105"]), NOW)
    assert len(sheet.records) == 1
    assert sheet.rejected[0].ref == "row 3" and "row 2" in sheet.rejected[0].reason


def test_rows_are_numbered_from_the_range_start():
    sheet = parse_sheet(values(["2026-11-02", "Back Squat", "1", "5", "x"], a1="'My Log'!B5:F"),
                        NOW)
    assert sheet.rejected[0].ref == "row 6"
    assert first_row("Log!A1:E1000") == 1 and first_row("Log!$A$7:E") == 7
    assert first_row("Log!A:E") == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"range": "Log!A1:E1000", "majorDimension": "ROWS"}, "empty"),
        (values(header=["date", "exercise", "set", "weight_kg"]), "reps"),
        (values(header=["date", "exercise", "set", "reps"]), "weight_kg"),
        ([], "expected an object"),
    ],
)
def test_a_sheet_without_a_usable_header_is_refused_whole(payload, reason):
    with pytest.raises(SheetError, match=reason):
        parse_sheet(payload, NOW)


def test_header_only_is_an_empty_log():
    sheet = parse_sheet(values(), NOW)
    assert sheet.records == [] and sheet.rejected == [] and sheet.rows == 0


def test_a_lone_surrogate_in_a_cell_rejects_its_row_with_a_reason_that_can_be_stored():
    broken = ["2026-11-02", "Back\ud800 Squat", "1", "5", "100"]
    sheet = parse_sheet(values(broken, ["2026-11-02", "Row", "1", "5", "60", "notes \udfff"]),
                        NOW)
    [bad] = sheet.rejected
    assert bad.ref == "row 2" and "exercise 'Back\\ud800 Squat'" in bad.reason
    assert "retype the cell" in bad.reason
    for text in (bad.reason, bad.raw):
        text.encode("utf-8")  # storable and printable as it is
    # A column the log does not read may hold anything.
    assert [s.exercise for s in sheet.records] == ["Row"]


def test_a_broken_header_is_named_in_a_safe_form():
    with pytest.raises(SheetError) as refused:
        parse_sheet(values(header=["date", "exer\ud800cise", "set", "reps", "weight_kg"]), NOW)
    assert "exer\\ud800cise" in str(refused.value)
    str(refused.value).encode("utf-8")


def test_a_plain_weight_column_is_read_in_the_unit_the_owner_keeps_the_sheet_in() -> None:
    payload = {"values": [["date", "exercise", "set", "reps", "weight"],
                          ["2026-11-29", "Back squat", 1, 5, 225]]}
    in_lb = parse_sheet(payload, NOW, weight_unit="lb")
    assert in_lb.records[0].weight_kg == pytest.approx(225 * LB_KG, abs=1e-3)
    assert (in_lb.weight_unit, "PULSEBOARD_SHEETS_WEIGHT_UNIT" in in_lb.weight_unit_reason) == \
        ("lb", True)
    in_kg = parse_sheet(payload, NOW)
    assert (in_kg.records[0].weight_kg, in_kg.weight_unit) == (225.0, "kg")


def test_a_header_that_names_its_unit_wins_over_the_setting() -> None:
    payload = {"values": [["date", "exercise", "set", "reps", "weight_lb"],
                          ["2026-11-29", "Deadlift", 1, 3, 315]]}
    sheet = parse_sheet(payload, NOW, weight_unit="kg")
    assert sheet.records[0].weight_kg == pytest.approx(142.882, abs=1e-3)
    assert (sheet.weight_unit, sheet.weight_unit_reason) == ("lb", "the weight_lb column")
    with pytest.raises(SheetError, match="weight unit 'stone'"):
        parse_sheet(payload, NOW, weight_unit="stone")


def test_dates_stay_calendar_dates() -> None:
    payload = {"values": [HEADER, ["2026-11-29", "Snatch", 1, 2, 60], [46354, "Snatch", 2, 2, 60]]}
    dates = [r.date for r in parse_sheet(payload, NOW).records]
    assert dates == [date(2026, 11, 29), date(2026, 11, 28)]
    assert all(type(d) is date for d in dates)
