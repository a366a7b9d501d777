"""Every page's callbacks over HTTP on the synthetic athlete: figures with data, units, limits."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import pytest

from dashboard.logic import explore
from serverless_tests.dashboard.conftest import reconfigure
from testkit.dashcalls import call


def _range(records: dict[str, list[Any]], days: int = 400) -> dict[str, Any]:
    end = max(m.time for m in records["measurements"]).date()
    return {"start_date": (end - timedelta(days=days)).isoformat(), "end_date": end.isoformat()}


def test_overview_shows_latest_values_runs_lifts_and_sources(
    client: Any, deps: Any, records: Any
) -> None:
    status, out = call(client, deps, "overview-content.children", {})
    assert status == 200
    text = json.dumps(out)
    assert "overview-weight_kg" in text and "overview-runs" in text
    assert "overview-lifts" in text and "overview-sources" in text
    assert "See 2 rejected rows" in text
    weigh_ins = sum(m.type == "weight_kg" for m in records["measurements"])
    assert f"{len(records['activities']):,} activities" in text  # what the store holds
    assert f"{weigh_ins:,} weigh-ins" in text and f"{len(records['lift_sets']):,} sets" in text


def test_overview_shows_a_landed_sync_on_the_next_view(
    client: Any, deps: Any, store: Any, records: Any
) -> None:
    from dashboard import data
    from storage.records import Measurement

    data.clear_cache()
    call(client, deps, "overview-content.children", {})
    call(client, deps, "overview-content.children", {})
    newest = max(m.time for m in records["measurements"]) + timedelta(hours=1)
    store.put([Measurement(newest, "weight_kg", 123.4, "withings", "late:1")])
    _, still = call(client, deps, "overview-content.children", {})
    assert "123.4 kg" not in json.dumps(still)  # no sync recorded yet: the view kept
    status = store.get_doc("sync", "withings")
    store.put_doc("sync", "withings", {**status.data, "last_run_at": "2099-01-01T00:00:00Z"})
    data.recheck_version()  # the next view, a few seconds later
    _, after = call(client, deps, "overview-content.children", {})
    assert "123.4 kg" in json.dumps(after)


def test_weight_figures_follow_the_metric(client: Any, deps: Any, records: Any) -> None:
    r = _range(records)
    values = {"weight-metric.value": "weight_kg", "weight-range.start_date": r["start_date"],
              "weight-range.end_date": r["end_date"], "weight-window.value": 7}
    _, weight = call(client, deps, "weight-graph.figure", values)
    values["weight-metric.value"] = "fat_ratio_pct"
    _, fat = call(client, deps, "weight-graph.figure", values)
    w_fig, f_fig = weight["weight-graph.figure"], fat["weight-graph.figure"]
    assert w_fig["layout"]["yaxis"]["title"]["text"] == "Weight (kg)"
    assert f_fig["layout"]["yaxis"]["title"]["text"] == "Fat ratio (%)"
    assert w_fig["data"][0]["y"] != f_fig["data"][0]["y"]
    assert "/week" in weight["weight-summary.children"]


def test_weight_empty_state_says_what_to_do(client: Any, deps: Any) -> None:
    _, out = call(client, deps, "weight-graph.figure", {
        "weight-metric.value": "bone_mass_kg", "weight-window.value": 7})
    note = out["weight-graph.figure"]["layout"]["annotations"][0]["text"]
    assert "collectors sync --source withings" in note


def test_running_map_click_selects_the_run_and_draws_its_session(
    client: Any, deps: Any, records: Any
) -> None:
    r = _range(records)
    base = {"running-range.start_date": r["start_date"], "running-range.end_date": r["end_date"]}
    _, first = call(client, deps, "running-map.figure", {**base, "running-run.value": None})
    trace = first["running-map.figure"]["data"][0]
    assert trace["type"] == "scattermap"
    run_id = next(i for i in trace["customdata"] if i)
    click = {"points": [{"customdata": run_id, "curveNumber": 0}]}
    _, picked = call(client, deps, "running-run.value",
                     {"running-map.clickData": click}, changed="running-map.clickData")
    assert picked["running-run.value"] == run_id
    _, drawn = call(client, deps, "running-session.figure", {**base, "running-run.value": run_id})
    session = drawn["running-session.figure"]
    assert {t["name"] for t in session["data"]} >= {"pace", "elevation"}
    titles = [v.get("title", {}).get("text") for k, v in session["layout"].items()
              if k.startswith("xaxis")]
    assert "distance (km)" in titles


def test_running_overview_only_counts_runs(client: Any, deps: Any, records: Any) -> None:
    r = _range(records)
    _, out = call(client, deps, "running-overtime.figure",
                  {"running-range.start_date": r["start_date"],
                   "running-range.end_date": r["end_date"]})
    runs = [a for a in records["activities"] if a.sport_type in ("Run", "TrailRun")]
    assert len(out["running-run.options"]) == len(runs)


def test_crossfit_exercise_drives_the_figures(client: Any, deps: Any) -> None:
    _, opts = call(client, deps, "crossfit-exercise.options", {})
    names = [o["value"] for o in opts["crossfit-exercise.options"]]
    assert "Back squat" in names
    figs = [call(client, deps, "crossfit-e1rm.figure", {"crossfit-exercise.value": n})[1]
            for n in names[:2]]
    assert figs[0]["crossfit-e1rm.figure"]["data"][0]["y"] != \
        figs[1]["crossfit-e1rm.figure"]["data"][0]["y"]


def _forecast_values() -> dict[str, Any]:
    return {"forecast-distance_km.value": 20, "forecast-duration_h.value": 2,
            "forecast-crossfit_sessions.value": 3, "forecast-avg_weight_kg.value": 40,
            "forecast-weeks.value": 8, "forecast-run.n_clicks": 1}


def test_forecast_calls_the_api_server_side_with_the_key(
    server: Any, client: Any, deps: Any, fake_api: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reconfigure(server, monkeypatch, api_url=fake_api["url"], api_key="k-123")
    status, out = call(client, deps, "forecast-graph.figure", _forecast_values())
    assert status == 200
    assert fake_api["seen"][-1]["key"] == "k-123"
    assert fake_api["seen"][-1]["args"]["weeks"] == "8"
    assert "k-123" not in json.dumps(out)
    weight_path = out["forecast-graph.figure"]["data"][0]["y"]
    assert len(weight_path) == 9 and weight_path[-1] < weight_path[0]
    assert "v-test-1" in out["forecast-model.children"]
    assert "weight ±0.31 kg (no-change guess ±0.45 kg)" in out["forecast-model.children"]


@pytest.mark.parametrize("mode,expected", [
    ("no_model", "python -m models train"), ("bad", "weeks"), ("down", "not answering"),
])
def test_forecast_problems_become_messages(
    server: Any, client: Any, deps: Any, fake_api: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch, mode: str, expected: str,
) -> None:
    fake_api["mode"] = mode
    url = "http://127.0.0.1:9" if mode == "down" else fake_api["url"]
    reconfigure(server, monkeypatch, api_url=url)
    status, out = call(client, deps, "forecast-graph.figure", _forecast_values())
    assert status == 200
    assert expected in json.dumps(out["forecast-message.children"])


@pytest.mark.parametrize("dataset", ["activities", "measurements", "lift_sets"])
def test_explore_six_views_for_each_dataset(client: Any, deps: Any, dataset: str) -> None:
    _, fields = call(client, deps, "explore-field.options", {"explore-dataset.value": dataset})
    field, other = fields["explore-field.value"], fields["explore-other.value"]
    assert field and other
    # One request for the page: the fields chosen and the six views drawn for them.
    first = {k: v for k, v in fields.items() if k.endswith(".figure")}
    assert len(first) == 6
    _, out = call(client, deps, "explore-scatter.figure", {
        "explore-field.value": field, "explore-other.value": other,
        "explore-dataset.value": dataset}, changed="explore-field.value")
    figs = {k: v for k, v in out.items() if k.endswith(".figure")}
    assert len(figs) == 6 and figs == first
    assert "explore-field.options" not in out  # the same dataset: its fields are not resent
    title = figs["explore-scatter.figure"]["layout"]["yaxis"]["title"]["text"]
    assert title == explore.label(field) and (field == "reps" or "(" in title)  # with its unit
    assert figs["explore-pie.figure"]["data"][0]["type"] == "pie"


def test_explore_keeps_its_figures_until_a_sync_lands_and_draws_a_selection_anew(
    client: Any, deps: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data

    drawn: list[Any] = []
    real = explore.views

    def views(*args: Any) -> Any:
        drawn.append(args[4:])
        return real(*args)

    monkeypatch.setattr(explore, "views", views)
    data.clear_cache()
    opened = {"explore-dataset.value": "activities"}
    _, first = call(client, deps, "explore-field.options", opened)
    _, again = call(client, deps, "explore-field.options", opened)
    assert len(drawn) == 1 and again == first  # the second view drew nothing
    field, other = first["explore-field.value"], first["explore-other.value"]
    points = first["explore-scatter.figure"]["data"][0]["customdata"][:5]
    _, narrowed = call(client, deps, "explore-scatter.figure", {
        **opened, "explore-field.value": field, "explore-other.value": other,
        "explore-scatter.selectedData": {"points": [{"curveNumber": 0, "customdata": i}
                                                    for i in points]}},
        changed="explore-scatter.selectedData")
    assert drawn[-1] == (points,)  # a selection is drawn, not kept
    assert narrowed["explore-hist.figure"] != first["explore-hist.figure"]
    status = store.get_doc("sync", "strava")
    store.put_doc("sync", "strava", {**status.data, "last_run_at": "2099-01-01T00:00:00Z"})
    data.recheck_version()  # a view after the sync landed
    call(client, deps, "explore-field.options", opened)
    assert len(drawn) == 3


def test_warming_explore_leaves_its_first_view_nothing_to_draw(
    client: Any, deps: Any, store: Any, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data
    from dashboard.prefs import current_prefs

    data.clear_cache()
    with server.test_request_context("/"):
        viewer = current_prefs()  # the owner has no prefs of their own: the dashboard's
    assert data.warm("/explore", store, viewer) >= 0
    drawn: list[Any] = []
    real = explore.views

    def views(*args: Any) -> Any:
        drawn.append(args)
        return real(*args)

    monkeypatch.setattr(explore, "views", views)
    _, out = call(client, deps, "explore-field.options", {"explore-dataset.value": "activities"})
    assert drawn == [] and len([k for k in out if k.endswith(".figure")]) == 6


def test_quality_lists_rejected_rows(client: Any, deps: Any) -> None:
    _, out = call(client, deps, "quality-content.children", {})
    text = json.dumps(out)
    assert "8O kg" in text and "weight is not a number" in text


def test_a_page_starts_from_the_data_version_so_its_callbacks_fire_once(
        client: Any, deps: Any, store: Any) -> None:
    from dashboard import data

    layout = json.dumps(client.get("/_dash-layout").get_json())
    version = data.current_version(store, fresh=True)
    assert version and json.dumps(version) in layout
    live = next(d for d in deps if d["output"] == "app-data-version.data")
    assert live["prevent_initial_call"] is True  # the interval's first tick, not the page load


def test_live_version_changes_when_a_sync_lands(client: Any, deps: Any, store: Any) -> None:
    _, first = call(client, deps, "app-data-version.data", {"app-live-interval.n_intervals": 1})
    version = first["app-data-version.data"]
    status, same = call(client, deps, "app-data-version.data",
                        {"app-live-interval.n_intervals": 2, "app-data-version.data": version})
    assert status == 204 or "app-data-version.data" not in same  # nothing new: no redraw
    store.put_doc("sync", "strava", {"last_success_at": "2999-01-01T00:00:00Z"})
    _, later = call(client, deps, "app-data-version.data",
                    {"app-live-interval.n_intervals": 3, "app-data-version.data": version})
    assert later["app-data-version.data"] == "2999-01-01T00:00:00Z"


def test_figures_stay_small(client: Any, deps: Any, records: Any) -> None:
    r = _range(records, 3000)
    _, out = call(client, deps, "weight-graph.figure", {
        "weight-metric.value": "weight_kg", "weight-range.start_date": r["start_date"],
        "weight-range.end_date": r["end_date"], "weight-window.value": 7})
    raw = json.dumps(out["weight-graph.figure"]).encode()
    assert len(gzip.compress(raw)) < 150 * 1024


def test_owner_may_request_a_sync_and_a_viewer_may_not(server: Any, store: Any) -> None:
    from serverless_tests.dashboard.conftest import login

    for name, allowed in (("viewer", False), ("owner", True)):
        c = server.test_client()
        assert login(c, name).status_code == 302
        deps = c.get("/_dash-dependencies").get_json()
        status, out = call(c, deps, "overview-sync-message.children", {"overview-sync.n_clicks": 1})
        assert status == 200
        requested = store.get_doc("requests", "sync")
        if allowed:
            assert "Sync requested" in out["overview-sync-message.children"]
            assert requested is not None and requested.data["requested_by"] == "owner"
        else:
            assert "Only an owner" in out["overview-sync-message.children"]
            assert requested is None


def test_bad_control_values_become_messages_in_the_page(client: Any, deps: Any) -> None:
    _, out = call(client, deps, "weight-graph.figure", {
        "weight-metric.value": "weight_kg", "weight-range.start_date": "9999-99-99",
        "weight-window.value": 7})
    note = out["weight-graph.figure"]["layout"]["annotations"][0]["text"]
    assert "start date" in note and "is not a date" in note
    assert "is not a date" in out["weight-summary.children"]
    _, out = call(client, deps, "running-session.figure", {"running-run.value": ["x"] * 3})
    assert "run: expected a short text" in json.dumps(out["running-session.figure"])
    _, out = call(client, deps, "explore-scatter.figure", {
        "explore-field.value": "distance_km", "explore-dataset.value": "secrets"})
    assert "dataset" in json.dumps(out["explore-scatter.figure"])
