"""What every sync shares: the one quarantine (keys from Rejected), counts' summary line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from collectors.common import Counts, Quarantine
from storage.records import Rejected

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def bad(ref: str, reason: str = "unreadable", source: str = "sheets") -> Rejected:
    return Rejected(source, ref, reason, "[]", NOW)


def refs(store, source: str = "sheets") -> dict[str, str]:
    return {r.ref: r.reason for r in store.query("rejected") if r.source == source}


def test_keys_are_the_rejected_records_own():
    quarantine = Quarantine(None, "sheets", keys=set())  # type: ignore[arg-type]
    assert quarantine.key("row 12") == bad("row 12").sort_key()


def test_new_rejections_are_stored_once_and_fixed_ones_leave(sqlite_store):
    quarantine = Quarantine(sqlite_store, "strava")
    quarantine.add([bad("activity 1", source="strava"), bad("activity 2", source="strava")])
    again = Quarantine(sqlite_store, "strava")  # a later run: one read of what is there
    again.add([bad("activity 1", "a new reason", source="strava")])
    assert refs(sqlite_store, "strava") == {"activity 1": "unreadable",
                                            "activity 2": "unreadable"}
    again.clear([again.key("activity 2"), again.key("never quarantined")])
    assert refs(sqlite_store, "strava") == {"activity 1": "unreadable"}
    assert again.key("activity 1") in again and again.key("activity 2") not in again


def test_replace_holds_exactly_the_current_rejections(sqlite_store):
    sqlite_store.put([bad("row 2"), bad("row 3"), bad("activity 9", source="strava")])
    Quarantine(sqlite_store, "sheets").replace([bad("row 3", "reps -1 is negative"),
                                                bad("row 4")])
    assert refs(sqlite_store) == {"row 3": "reps -1 is negative", "row 4": "unreadable"}
    assert refs(sqlite_store, "strava") == {"activity 9": "unreadable"}  # others untouched
    put = sqlite_store.put
    written: list[list[Rejected]] = []
    sqlite_store.put = lambda records: written.append(list(records)) or put(records)
    Quarantine(sqlite_store, "sheets").replace([replace(bad("row 3", "reps -1 is negative"),
                                                        seen_at=NOW.replace(hour=13)),
                                                bad("row 4")])
    assert written == []  # the same rejections seen again: nothing to write


def test_the_summary_line_says_what_a_run_did():
    counts = Counts("strava", fetched=3, stored=2, requests=4, files_absorbed=1,
                    message="done.")
    assert counts.line() == ("strava: complete — fetched 3, stored 2, deleted 0, rejected 0, "
                             "requests 4, 1 imported file merged into its activities. done.")
    assert "merged" not in Counts("withings").line()
