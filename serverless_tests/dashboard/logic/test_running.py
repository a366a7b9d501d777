"""The running page's logic: base maps and their policy, cut routes, records, Eddington, form."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polyline
import pytest

import settings
from analytics import heatmap, privacy, summary
from dashboard.config import OSM_TILE_ORIGIN, DashboardConfig
from dashboard.headers import policy
from dashboard.logic import running, running_data, running_maps, training
from storage.records import Activity, ActivityStream
from storage.sqlite import SqliteStore

HOME = privacy.zone("home", 48.0, 2.0, 300)
START = datetime(2025, 6, 1, 7, tzinfo=UTC)


def directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def test_the_policy_allows_exactly_the_chosen_tile_host() -> None:
    osm = directives(policy(DashboardConfig(store_url="sqlite:///x", map_style="osm"), []))
    white = directives(policy(DashboardConfig(store_url="sqlite:///x", map_style="white"), []))
    for name in ("img-src", "connect-src"):
        assert [v for v in osm[name] if v.startswith("https:")] == [OSM_TILE_ORIGIN]
        assert not [v for v in white[name] if v.startswith("http")]
    assert osm["script-src"] == white["script-src"]  # tiles are images, never code


def test_the_map_style_setting_is_checked(tmp_path: Path) -> None:
    env = {"PULSEBOARD_DATA_DIR": str(tmp_path)}
    assert settings.load(env).map_style == "osm"
    assert settings.load({**env, "PULSEBOARD_MAP_STYLE": "White"}).map_style == "white"
    with pytest.raises(settings.SettingsError, match="PULSEBOARD_MAP_STYLE"):
        settings.load({**env, "PULSEBOARD_MAP_STYLE": "satellite"})


def runs_through_home() -> pd.DataFrame:
    west_east = [(48.0, 2.0 + i * 0.0005) for i in range(-40, 41)]
    return pd.DataFrame({"id": ["r1"], "summary_polyline": [polyline.encode(west_east)],
                         "start_time": [START], "name": ["Commute"]})


def test_routes_are_cut_inside_zones_on_every_base_map() -> None:
    runs = runs_through_home()
    for style in ("osm", "white"):
        fig = running.run_map(runs, "r1", style, [HOME])
        for trace in fig.data:
            lat = np.array([v for v in trace.lat if v is not None])
            lon = np.array([v for v in trace.lon if v is not None])
            assert len(lat) > 10
            assert not privacy.inside(lat, lon, [HOME]).any()
    uncut = running.run_map(runs, None, "white")
    lat = np.array([v for v in uncut.data[0].lat if v is not None])
    lon = np.array([v for v in uncut.data[0].lon if v is not None])
    assert privacy.inside(lat, lon, [HOME]).any()  # the zone is what hid them


def test_the_osm_map_names_its_tiles_and_credits_them() -> None:
    fig = running.run_map(runs_through_home(), None, "osm").to_plotly_json()
    style = fig["layout"]["map"]["style"]
    assert style["sources"]["osm"]["tiles"] == [OSM_TILE_ORIGIN + "/{z}/{x}/{y}.png"]
    assert style["layers"][0]["type"] == "background"  # routes stay readable with no tile
    # MapLibre's attribution control shows it, tiles or not (the browser test reads it).
    assert style["sources"]["osm"]["attribution"] == "© OpenStreetMap contributors"
    white = running.run_map(runs_through_home(), None, "white").to_plotly_json()
    assert white["layout"]["map"]["style"] == "white-bg"


def put_run(store: SqliteStore, run_id: str, start: datetime, metres: int,
            speed_mps: float, hr: float | None = 150.0) -> None:
    times = [float(t) for t in range(0, int(metres / speed_mps) + 1)]
    stream = ActivityStream(
        run_id, time_s=times, distance_m=[t * speed_mps for t in times],
        heartrate_bpm=[hr] * len(times) if hr else None,
        latlng=[[48.0 + t * speed_mps / 111_195, 2.01] for t in times])
    store.put([Activity(run_id, "strava", start, "Run", name=f"run {run_id}",
                        distance_m=metres, moving_time_s=times[-1]), stream])
    summary.store_summaries(store, [stream])


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(str(tmp_path / "s.db"))
    put_run(s, "slow", START, 10_200, 3.0)
    put_run(s, "fast", START + timedelta(days=3), 5_000, 4.0)
    put_run(s, "old", START - timedelta(days=400), 12_000, 3.5, hr=None)
    return s


def test_records_list_all_time_bests_with_their_run_and_each_year(store: SqliteStore) -> None:
    index = running_data._build(store)
    header, rows = training.records_table(training.records(index), "metric")
    assert header[:4] == ["distance", "all-time best", "pace", "run"]
    assert header[4:] == ["2025", "2024"]
    table = {row[0]: row for row in rows}
    assert table["5 km"][1] == "20:50" and "run fast" in table["5 km"][3]  # 5000 / 4.0 s
    assert table["5 km"][2] == "4:10 /km"
    assert table["10 km"][1] == "47:37" and "run old" in table["10 km"][3]  # 10000 / 3.5 s
    assert table["10 km"][4] == "55:33"  # 2025's best: the slow run
    assert "marathon" not in table
    found = training.records(index)
    prs = {(b.name, kind) for b, kind in training.prs_of(found, "slow")}
    assert ("10 km", "2025 best") in prs and not any(k == "PR" for _, k in prs)
    assert ("5 km", "PR") in {(b.name, k) for b, k in training.prs_of(found, "fast")}


def test_the_session_graph_marks_the_prs(store: SqliteStore) -> None:
    index = running_data._build(store)
    prs = training.prs_of(training.records(index), "fast")
    stream = store.get("streams", "fast")
    fig = running.session(stream, {"id": "fast", "name": "run fast", "start_time": START}, prs)
    assert len(fig.layout.shapes) == len(prs) > 0
    assert "PR 5 km 20:50" in fig.layout.title.text
    shape = next(s for s, (b, _) in zip(fig.layout.shapes, prs, strict=True) if b.name == "5 km")
    assert shape.x1 - shape.x0 == pytest.approx(5.0)


def test_eddington_in_the_viewers_units(store: SqliteStore) -> None:
    index = running_data._build(store)
    ((sport, km),) = training.eddingtons(index, "metric")
    assert sport == "Running" and km.number == 3  # 12, 10.2 and 5 km days
    ((_, miles),) = training.eddingtons(index, "imperial")
    assert miles.number == 3  # 7.5, 6.3 and 3.1 mi


def test_fitness_stacks_running_and_lifting_and_form_is_ctl_minus_atl(
        store: SqliteStore) -> None:
    index = running_data._build(store)
    groups = {**training.activity_loads(index),
              "lifting": {START.date() + timedelta(days=1): 40.0}}
    fig = training.fitness_figure(groups, START.date() - timedelta(days=10),
                                  START.date() + timedelta(days=30), START.date())
    names = [t["name"] for t in fig["data"]]
    assert names[2:] == ["fatigue (ATL, 7 d)", "form (TSB = CTL − ATL)"]
    assert names[0].startswith("fitness: running (") and names[1].startswith("fitness: lifting (")
    shares = [int(n.split("(")[1].split(" %")[0]) for n in names[:2]]
    assert 99 <= sum(shares) <= 101 and all(0 < v < 100 for v in shares)
    ctl = np.array(fig["data"][0]["y"]) + np.array(fig["data"][1]["y"])
    atl = np.array(fig["data"][2]["y"])
    assert np.allclose(np.array(fig["data"][3]["y"]), ctl - atl, atol=0.15)
    assert len(fig["data"][0]["x"]) == 40
    # The run without heart rate carries a pace load; with heart rate, the stream's TRIMP.
    loads = training.activity_loads(index)["running"]
    assert loads[(START - timedelta(days=400)).date()] > 0
    doc = store.get_doc(summary.SPACE, "slow")
    assert doc is not None and loads[START.date()] == pytest.approx(doc.data["trimp"])


def test_the_heatmap_is_cut_and_bounded(store: SqliteStore) -> None:
    index = running_data._build(store)
    zone = privacy.zone("home", 48.0, 2.01, 300)
    cells = running_data.cells_between(index, date(2025, 1, 1), None)
    assert len(cells) == 2  # the two 2025 runs
    lat, lon, runs = heatmap.density(cells, [zone])
    fig = running_maps.heatmap_figure(lat, lon, runs, "osm")
    trace = fig["data"][0]
    assert trace["type"] == "densitymap" and len(trace["lat"]) == len(lat) > 0
    assert not privacy.inside(np.array(trace["lat"]), np.array(trace["lon"]), [zone]).any()
    assert max(runs) == 2  # both runs start up the same street
    assert len(gzip.compress(json.dumps(fig).encode())) < 150 * 1024
