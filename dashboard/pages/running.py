"""Running page: runs over time, a map of routes; clicking a route shows that run's session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard import data
from dashboard.logic import inputs, running
from dashboard.logic.common import empty_figure

dash.register_page(__name__, path="/running", title="Running · Pulseboard", name="Running",
                   description="Distance, speed and elevation over time; a map of runs linked "
                               "to each run's pace, elevation and heart rate.", order=2)


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
                     dcc.Graph(id="running-map", config={"displaylogo": False,
                                                         "scrollZoom": True})], xs=12, lg=6),
            dbc.Col([html.H5("Session"), dcc.Graph(id="running-session")], xs=12, lg=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(dcc.Graph(id="running-overtime"), xs=12, lg=7),
            dbc.Col(dcc.Graph(id="running-speed-elevation"), xs=12, lg=5),
        ], className="g-2"),
    ])


@dash.callback(
    Output("running-overtime", "figure"), Output("running-speed-elevation", "figure"),
    Output("running-run", "options"),
    Input("running-range", "start_date"), Input("running-range", "end_date"),
    Input("app-data-version", "data"),
)
def overview(start: Any, end: Any, _v: Any) -> Any:
    try:
        low, high = data.day_bounds(start, end)
    except inputs.InputError as exc:
        return empty_figure(str(exc)), empty_figure(str(exc)), []
    runs = data.activities(data.store(), low, high, runs_only=True)
    return running.over_time(runs), running.speed_vs_elevation(runs), running.run_options(runs)


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
        low, high = data.day_bounds(start, end)
    except inputs.InputError as exc:
        return empty_figure(str(exc)), empty_figure(str(exc))
    runs = data.activities(store, low, high, runs_only=True)
    fig = running.run_map(runs, run_id)
    fig.update_layout(uirevision="runs")  # keep the reader's pan and zoom across redraws
    chosen = runs[runs["id"].astype(str) == str(run_id)] if run_id else runs.iloc[0:0]
    run = chosen.iloc[0].to_dict() if not chosen.empty else None
    stream = store.get("streams", str(run_id)) if run is not None else None
    return fig, running.session(stream, run)
