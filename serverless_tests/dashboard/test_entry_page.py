"""Add data page through Dash's own endpoint: the owner's entries stored as manual, edited and
deleted; a viewer refused; and the goal kept per user."""

from __future__ import annotations

from typing import Any

from dashboard import data
from serverless_tests.dashboard.conftest import login
from testkit.dashcalls import call

WEIGH_IN = {"entry-w-save.n_clicks": 1, "entry-w-date.value": "2026-11-30",
            "entry-w-time.value": "07:15", "entry-w-weight.value": 79.4,
            "entry-w-fat.value": 18.5}


def _as(server: Any, name: str) -> tuple[Any, list[dict[str, Any]]]:
    c = server.test_client()
    assert login(c, name).status_code == 302
    return c, c.get("/_dash-dependencies").get_json()


def _manual(store: Any) -> list[Any]:
    return [m for kind in ("weight_kg", "fat_ratio_pct") for m in store.query("measurements", kind)
            if m.source == "manual"]


def test_a_viewer_cannot_add_an_entry(server: Any, store: Any) -> None:
    c, deps = _as(server, "viewer")
    status, out = call(c, deps, "entry-list.children", WEIGH_IN, changed="entry-w-save.n_clicks")
    assert status == 200 and "Only the owner" in out["entry-message.children"]
    assert _manual(store) == []


def test_the_owner_adds_edits_and_deletes_a_weigh_in(server: Any, store: Any) -> None:
    c, deps = _as(server, "owner")
    status, out = call(c, deps, "entry-list.children", WEIGH_IN, changed="entry-w-save.n_clicks")
    assert status == 200 and out["entry-message.children"] == "Weigh-in saved."
    assert sorted((m.type, m.value) for m in _manual(store)) == [("fat_ratio_pct", 18.5),
                                                                  ("weight_kg", 79.4)]
    [option] = out["entry-pick.options"]
    assert "weigh-in 79.4 kg, fat 18.5 %" in option["label"]
    # Saving with it picked replaces it.
    _, out = call(c, deps, "entry-list.children",
                  {**WEIGH_IN, "entry-w-weight.value": 79.9, "entry-w-fat.value": None,
                   "entry-pick.value": option["value"]}, changed="entry-w-save.n_clicks")
    assert "replacing" in out["entry-message.children"]
    assert [(m.type, m.value) for m in _manual(store)] == [("weight_kg", 79.9)]
    [option] = out["entry-pick.options"]
    _, out = call(c, deps, "entry-list.children",
                  {"entry-delete.n_clicks": 1, "entry-pick.value": option["value"]},
                  changed="entry-delete.n_clicks")
    assert out["entry-message.children"] == "Entry deleted." and _manual(store) == []
    _, out = call(c, deps, "entry-list.children",
                  {**WEIGH_IN, "entry-w-weight.value": "heavy"}, changed="entry-w-save.n_clicks")
    assert "Not saved: weight: 'heavy' is not a number" in out["entry-message.children"]


def test_a_manual_set_is_stored_apart_from_the_sheets(server: Any, store: Any) -> None:
    c, deps = _as(server, "owner")
    values = {"entry-s-save.n_clicks": 1, "entry-s-date.value": "2026-11-30",
              "entry-s-exercise.value": "Deadlift", "entry-s-reps.value": 3,
              "entry-s-weight.value": 140}
    for _ in range(2):
        _, out = call(c, deps, "entry-list.children", values, changed="entry-s-save.n_clicks")
        assert out["entry-message.children"] == "Set saved."
    mine = [s for s in store.query("lift_sets") if s.source_row == 0]
    assert [(s.exercise, s.set_index, s.reps, s.weight_kg) for s in mine] == [
        ("Deadlift", 501, 3, 140.0), ("Deadlift", 502, 3, 140.0)]


def test_a_goal_is_kept_per_user(server: Any, store: Any) -> None:
    c, deps = _as(server, "viewer")
    status, out = call(c, deps, "weight-goal-status.children", {
        "weight-goal-save.n_clicks": 1, "weight-goal-target.value": "weight_kg",
        "weight-goal-value.value": 75, "weight-goal-by.value": None},
        changed="weight-goal-save.n_clicks")
    assert status == 200 and out["weight-goal-status.children"] == "Goal saved."
    assert store.get_doc("goals", "viewer").data == {"target": "weight_kg", "value": 75.0,
                                                     "by": ""}
    assert store.get_doc("goals", "owner") is None
    _, out = call(c, deps, "weight-goal-status.children", {
        "weight-goal-save.n_clicks": 2, "weight-goal-target.value": "fat_ratio_pct",
        "weight-goal-value.value": 95}, changed="weight-goal-save.n_clicks")
    assert "Not saved: the goal must be between 2 and 70 %" in out["weight-goal-status.children"]


def test_an_entry_moves_the_data_version_so_every_warm_container_reads_it(
        server: Any, store: Any) -> None:
    c, deps = _as(server, "owner")
    before = data.data_version(store)
    call(c, deps, "entry-list.children", {**WEIGH_IN, "entry-w-weight.value": "heavy"},
         changed="entry-w-save.n_clicks")
    assert data.data_version(store) == before  # a refused entry is no news
    call(c, deps, "entry-list.children", WEIGH_IN, changed="entry-w-save.n_clicks")
    assert data.data_version(store) > before
    assert data.sync_status(store)["manual"]["last_outcome"] == "complete"
