"""The sheet's sync mirrors its rows, and leaves the sets the owner typed in on the dashboard."""

from __future__ import annotations

from datetime import date

from collectors.common import Counts, Progress
from collectors.sources.sheets.parse import Sheet
from collectors.sources.sheets.sync import MANUAL_ROW, apply
from dashboard.logic import entry
from storage.records import LiftSet


def test_a_manual_set_is_neither_deleted_nor_written_over(sqlite_store):
    day = date(2026, 11, 30)
    sheet_set = LiftSet(day, "Back squat", 1, 5, 100.0, 2)
    old_row = LiftSet(day, "Back squat", 2, 5, 100.0, 3)
    mine = entry.lift_set(day, "Back squat", 3, 110, "metric", day, set())
    assert entry.MANUAL_ROW == MANUAL_ROW
    sqlite_store.put([sheet_set, old_row, mine])
    counts = Counts("sheets")
    apply(sqlite_store, Sheet(records=[sheet_set], rejected=[], rows=1), counts, Progress())
    assert counts.deleted == 1  # the row gone from the sheet goes from the store
    assert list(sqlite_store.query("lift_sets")) == [sheet_set, mine]
