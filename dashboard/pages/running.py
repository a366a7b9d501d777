"""Running page: routes on a street map, a heatmap, best efforts, Eddington, fitness and form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from analytics import heatmap
from dashboard import config as dashboard_config
from dashboard import data
from dashboard.logic import (
    inputs,
    running,
    running_data,
    running_maps,
    running_session,
    training,
)
from dashboard.logic.common import empty_dict
from dashboard.prefs import current_prefs

dash.register_page(__name__, path="/running", title="Running · Pulseboard", name="Running",
                   description="Routes on a street map linked to each run's pace, elevation and "
                               "heart rate; a heatmap, best efforts, Eddington number, and "
                               "fitness, fatigue and form of running and lifting together.",
                   order=2)

GRAPH: Any = {"displaylogo": False}
ZOOM: Any = {"displaylogo": False, "scrollZoom": True}


def layout(**_query: Any) -> Any:
    today = data.now_utc().date()
    return html.Div([
        html.H2("Running", className="page-title"),
        dbc.Row([
            dbc.Col([dbc.Label("Dates"), html.Br(), dcc.DatePickerRange(
                id="running-range",
                start_date=(today - timedelta(days=180)).isoformat(),
                end_date=today.isoformat(),
                display_format="YYYY-MM-DD")], xs=12, md=5),
            dbc.Col([dbc.Label("Run"), dcc.Dropdown(id="running-run",
                                                    placeholder="click a route on the map")],
                    xs=12, md=7),
        ], className="g-2 controls"),
        dbc.Row([
            dbc.Col([html.H5("Map of runs — click a route"),
                     dcc.Graph(id="running-map", config=ZOOM)],
                    xs=12, lg=6),
            dbc.Col([html.H5("Session"), dcc.Graph(id="running-session", config=GRAPH)],
                    xs=12, lg=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col([html.H5("Heatmap — everywhere you ran in these dates"),
                     dcc.Graph(id="running-heatmap", config=ZOOM)],
                    xs=12, lg=6),
            dbc.Col([html.H5("Fitness, fatigue and form — running and lifting"),
                     dcc.Graph(id="running-fitness", config=GRAPH)], xs=12, lg=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col([html.H5("Best efforts"), html.Div(id="running-records")], xs=12, lg=7),
            dbc.Col([html.H5("Eddington number"), html.Div(id="running-eddington")],
                    xs=12, lg=5),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(dcc.Graph(id="running-overtime", config=GRAPH), xs=12, lg=7),
            dbc.Col(dcc.Graph(id="running-speed-elevation", config=GRAPH), xs=12, lg=5),
        ], className="g-2"),
    ])


def all_records(store: Any) -> training.Records:
    """Every distance's bests, all-time and per year: once per data version."""
    return data.remembered(store, ("running-records",),
                           lambda: training.records(running_data.run_index(store)))


@dash.callback(
    Output("running-overtime", "figure"), Output("running-speed-elevation", "figure"),
    Output("running-run", "options"),
    Input("running-range", "start_date"), Input("running-range", "end_date"),
    Input("app-data-version", "data"),
)
def overview(start: Any, end: Any, _v: Any) -> Any:
    viewer = current_prefs()
    try:
        low, high = data.local_day_bounds(start, end, viewer.tz)
    except inputs.InputError as exc:
        return empty_dict(str(exc)), empty_dict(str(exc)), []
    store = data.store()
    units = viewer.units

    def draw() -> tuple[Any, Any, Any]:
        runs = _runs(store, low, high)
        return (running.over_time(runs, units), running.speed_vs_elevation(runs, units),
                running.run_options(runs, units))

    # The figures show each run at its own zone's clock: they depend on the range and units.
    return data.remembered(store, ("running-overview", str(low), str(high), units), draw)


def _runs(store: Any, low: Any, high: Any) -> Any:
    """The runs between two instants as a table, once per range and data version."""
    return data.remembered(store, ("running-runs", str(low), str(high)),
                           lambda: data.activities(store, low, high, runs_only=True))


@dash.callback(
    Output("running-run", "value"),
    Input("running-map", "clickData"), Input("running-speed-elevation", "clickData"),
    State("running-run", "value"),
    prevent_initial_call=True,
)
def select(map_click: Any, scatter_click: Any, current: str | None) -> Any:
    source = dash.ctx.triggered_id
    chosen = running.clicked_run(map_click if source == "running-map" else scatter_click)
    return chosen if chosen and chosen != current else dash.no_update


@dash.callback(
    Output("running-map", "figure"), Output("running-session", "figure"),
    Input("running-run", "value"), Input("running-range", "start_date"),
    Input("running-range", "end_date"), Input("app-data-version", "data"),
)
def draw(run_id: Any, start: Any, end: Any, _v: Any) -> Any:
    store = data.store()
    try:
        run_id = inputs.text(run_id, "run")
        low, high = data.local_day_bounds(start, end)
    except inputs.InputError as exc:
        return empty_dict(str(exc)), empty_dict(str(exc))
    runs = _runs(store, low, high)
    fig = running_maps.routes_figure(runs, run_id, dashboard_config.current().map_style,
                                     running_data.zones(store))
    fig["layout"]["uirevision"] = "runs"  # keep the reader's pan and zoom across redraws
    chosen = runs[runs["id"].astype(str) == str(run_id)] if run_id else runs.iloc[0:0]
    run = chosen.iloc[0].to_dict() if not chosen.empty else None
    if run is None:
        return fig, running_session.figure(None, None)
    units = current_prefs().units

    def session() -> dict[str, Any]:
        stream = store.get("streams", str(run_id))
        prs = training.prs_of(all_records(store), str(run_id))
        return running_session.figure(stream, run, prs, units)

    # The session reads no zone (it draws no route): one figure per run and units per version.
    return fig, data.remembered(store, ("running-session", str(run_id), units), session)


@dash.callback(
    Output("running-heatmap", "figure"),
    Input("running-range", "start_date"), Input("running-range", "end_date"),
    Input("app-data-version", "data"),
)
def heat(start: Any, end: Any, _v: Any) -> Any:
    store = data.store()
    try:
        low, high = data.local_day_bounds(start, end)  # the viewer's days, as instants
    except inputs.InputError as exc:
        return empty_dict(str(exc))
    zones = running_data.zones(store)  # read each view: a new zone applies at once
    style = dashboard_config.current().map_style

    def draw() -> dict[str, Any]:
        index = running_data.run_index(store)
        lat, lon, runs = heatmap.density(running_data.cells_between(index, low, high), zones)
        return running_maps.heatmap_figure(lat, lon, runs, style)

    return data.remembered(store, ("running-heat", str(low), str(high), tuple(zones), style),
                           draw)


@dash.callback(
    Output("running-fitness", "figure"),
    Input("running-range", "start_date"), Input("running-range", "end_date"),
    Input("app-data-version", "data"),
)
def fitness(start: Any, end: Any, _v: Any) -> Any:
    store = data.store()
    try:
        # Loads are per local day: the range's days themselves, the last one included.
        first, last = inputs.day_range(start, end)
    except inputs.InputError as exc:
        return empty_dict(str(exc))
    index = running_data.run_index(store)
    groups = data.remembered(store, ("running-loads",),
                             lambda: training.activity_loads(index))
    groups = {**groups, "lifting": running_data.lifting_loads(store)}
    return training.fitness_figure(groups, first, last + timedelta(days=1) if last else None,
                                   data.now_utc().date())


@dash.callback(
    Output("running-records", "children"), Output("running-eddington", "children"),
    Input("app-data-version", "data"),
)
def records(_v: Any) -> Any:
    store = data.store()
    units = current_prefs().units
    index = running_data.run_index(store)
    header, rows = training.records_table(all_records(store), units)
    if rows:
        table: Any = dbc.Table([
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ], size="sm", striped=True, responsive=True, id="running-records-table")
    else:
        table = html.P("No best efforts yet: they come from runs with a stream (run "
                       "`python -m analytics backfill` for runs stored before).",
                       className="muted")
    found = data.remembered(store, ("running-eddington", units),
                            lambda: training.eddingtons(index, units))
    unit = "mi" if units == "imperial" else "km"
    lines = [html.Li([html.Strong(f"{sport}: {e.number}"), f" — {e.next_step(unit)}"])
             for sport, e in found]
    eddington = html.Ul(lines, id="running-eddington-list") if lines else \
        html.P("No distances yet.", className="muted")
    note = html.P(f"E days of at least E {unit}, each day's distance summed.",
                  className="muted small")
    return table, [eddington, note]
