"""The sheet's sync against the stand-in: the sheet is the truth for its rows and rejects."""

from __future__ import annotations

from collectors.common import COMPLETE, ERROR
from serverless_tests.collectors.conftest import expected, run


def test_sheet_is_the_truth_rows_fixed_and_removed(store, standins, athlete):
    run("sheets", store)
    rows = [list(r) for r in athlete.sheet_rows]
    bad = next(i for i, r in enumerate(rows) if len(r) > 4 and r[4] == "8O")
    # Fixed: a weight that reads, as a set of its own.
    rows[bad][2], rows[bad][4] = "9", "80"
    athlete.set_sheet_rows(rows)
    counts = run("sheets", store)
    assert counts.rejected == 3
    refs = {r.ref for r in store.query("rejected")}
    assert f"row {bad + 1}" not in refs and len(refs) == 3
    assert [s.weight_kg for s in store.query("lift_sets") if s.source_row == bad + 1] == [80.0]


def test_truncated_answer_is_an_error_and_the_next_run_recovers(sqlite_store, standins,
                                                               athlete):
    standins.faults.truncate_json("sheets")
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "not complete JSON" in counts.message
    assert sqlite_store.count("lift_sets") == 0
    assert run("sheets", sqlite_store).outcome == COMPLETE
    assert sqlite_store.count("lift_sets") + sqlite_store.count("rejected") == \
        expected(athlete)["rows"]


def test_a_lone_surrogate_in_a_cell_quarantines_that_row_and_the_sheet_syncs(store, standins,
                                                                            athlete):
    rows = [list(r) for r in athlete.sheet_rows]
    good = next(i for i, r in enumerate(rows) if i and len(r) == 5 and r[4] not in ("", "8O"))
    rows[good][1] = rows[good][1] + "\ud83d"  # half an emoji, as a broken paste leaves it
    athlete.set_sheet_rows(rows)
    counts = run("sheets", store)
    assert counts.outcome == COMPLETE
    [quarantined] = [r for r in store.query("rejected") if r.ref == f"row {good + 1}"]
    assert "\\ud83d" in quarantined.reason and "retype the cell" in quarantined.reason
    assert store.count("lift_sets") + store.count("rejected") == expected(athlete)["rows"]
    assert store.get_doc("sync", "sheets").data["last_outcome"] == COMPLETE
