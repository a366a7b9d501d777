"""Privacy zones: the owner's circles (home, work) inside which no route is shown to anyone."""

from __future__ import annotations

import math
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_login
from dash import Input, Output, State, dcc, html

from analytics import privacy
from dashboard import config as dashboard_config
from dashboard import data
from dashboard.logic import running_data, running_maps
from dashboard.logic.common import empty_dict, figure_dict

dash.register_page(__name__, path="/privacy", title="Privacy zones · Pulseboard",
                   name="Privacy", order=8,
                   description="Circles around home and work inside which every route is cut "
                               "(the map, the heatmap, embeds); the owner's only.")

OWNER_ONLY = "Only the owner sees and changes the privacy zones."


def _owner() -> bool:
    return bool(getattr(flask_login.current_user, "can_change", False))


def layout(**_query: Any) -> Any:
    # The same for everyone (the layout may be served as a static file): what a viewer may
    # not see or do is decided in the callbacks, which answer a viewer with OWNER_ONLY.
    return html.Div([
        html.H2("Privacy zones", className="page-title"),
        html.P("Every route shown — on the running map, in the heatmap, in an embed — is cut "
               "inside these circles. The stored routes stay whole. Click a route on the map "
               "to take its point as a centre.", className="muted"),
        dbc.Row([
            dbc.Col([dbc.Label("Name"), dbc.Input(id="privacy-name", value="home",
                                                  maxLength=privacy.MAX_NAME_CHARS)], md=3),
            dbc.Col([dbc.Label("Latitude"), dbc.Input(id="privacy-lat", type="number",
                                                      step="any")], md=3),
            dbc.Col([dbc.Label("Longitude"), dbc.Input(id="privacy-lon", type="number",
                                                       step="any")], md=3),
            dbc.Col([dbc.Label("Radius (m)"), dbc.Input(
                id="privacy-radius", type="number", value=400, min=privacy.MIN_RADIUS_M,
                max=privacy.MAX_RADIUS_M)], md=3),
        ], className="g-2 controls"),
        html.Div([
            dbc.Button("Add zone", id="privacy-add", color="primary", size="sm"),
            html.Div(dcc.Dropdown(id="privacy-pick", placeholder="a zone to remove"),
                     style={"minWidth": "16rem"}),
            dbc.Button("Remove", id="privacy-remove", color="secondary", size="sm"),
            html.Span(id="privacy-message", className="muted"),
        ], style={"display": "flex", "gap": ".75rem", "alignItems": "center",
                  "flexWrap": "wrap", "margin": ".75rem 0"}),
        dcc.Graph(id="privacy-map", config={"displaylogo": False, "scrollZoom": True}),
    ])


def circle(zone: privacy.Zone, steps: int = 48) -> tuple[list[float], list[float]]:
    """A zone's outline as a closed ring of points (plotly's maps draw no circles in metres)."""
    lat, lon = [], []
    for i in range(steps + 1):
        angle = 2 * math.pi * i / steps
        north = zone.radius_m * math.cos(angle) / 111_195.0
        east = zone.radius_m * math.sin(angle) / (111_195.0 * math.cos(math.radians(zone.lat)))
        lat.append(round(zone.lat + north, 6))
        lon.append(round(zone.lon + east, 6))
    return lat, lon


def zones_figure(store: Any, found: list[privacy.Zone], map_style: str) -> dict[str, Any]:
    """The owner's routes as stored (only the owner sees this page) and the zones over them."""
    from dashboard.logic import running

    runs = data.activities(store, runs_only=True)
    lats, lons, ids = running.routes(runs.tail(200)) if not runs.empty else ([], [], [])
    traces: list[dict[str, Any]] = []
    if lats:
        traces.append({"type": "scattermap", "lat": lats, "lon": lons, "customdata": ids,
                       "mode": "lines", "line": {"width": 2, "color": "rgba(44,123,229,0.5)"},
                       "name": "routes", "hovertemplate": "%{lat:.5f}, %{lon:.5f}<extra></extra>"})
    ring_lat: list[float | None] = []
    ring_lon: list[float | None] = []
    for z in found:
        la, lo = circle(z)
        ring_lat += [*la, None]
        ring_lon += [*lo, None]
    if ring_lat:
        traces.append({"type": "scattermap", "lat": ring_lat, "lon": ring_lon, "mode": "lines",
                       "fill": "toself", "fillcolor": "rgba(214,69,69,0.2)",
                       "line": {"color": "#d64545", "width": 2}, "name": "privacy zones",
                       "hoverinfo": "skip"})
    points_lat = [v for v in [*lats, *ring_lat] if v is not None]
    points_lon = [v for v in [*lons, *ring_lon] if v is not None]
    if not points_lat:
        return empty_dict("No routes yet: type a centre to draw a zone.", 420)
    return figure_dict(traces, 420, map={"style": running_maps.base_style(map_style),
                                         **running_maps.view(points_lat, points_lon)},
                       margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
                       uirevision="zones")


@dash.callback(
    Output("privacy-lat", "value"), Output("privacy-lon", "value"),
    Input("privacy-map", "clickData"), prevent_initial_call=True,
)
def take_point(click: Any) -> Any:
    try:
        point = click["points"][0]
        return round(float(point["lat"]), 6), round(float(point["lon"]), 6)
    except (TypeError, KeyError, IndexError, ValueError):
        return dash.no_update, dash.no_update


@dash.callback(
    Output("privacy-map", "figure"), Output("privacy-pick", "options"),
    Output("privacy-message", "children"),
    Input("privacy-add", "n_clicks"), Input("privacy-remove", "n_clicks"),
    State("privacy-name", "value"), State("privacy-lat", "value"),
    State("privacy-lon", "value"), State("privacy-radius", "value"),
    State("privacy-pick", "value"),
)
def change(_add: Any, _remove: Any, name: Any, lat: Any, lon: Any, radius: Any,
           picked: Any) -> Any:
    """Adds or removes a zone (the owner only: a viewer's request changes nothing)."""
    store = data.store()
    map_style = dashboard_config.current().map_style
    if not _owner():
        return empty_dict(OWNER_ONLY), [], OWNER_ONLY
    found = running_data.zones(store)
    message = ""
    trigger = dash.ctx.triggered_id
    try:
        if trigger == "privacy-add":
            zone = privacy.zone(name, lat, lon, radius)
            if any(z.name.casefold() == zone.name.casefold() for z in found):
                raise privacy.ZoneError(f"name: a zone named {zone.name!r} exists; remove it "
                                        "first or choose another name")
            found = [*found, zone]
            running_data.save_zones(store, found)
            message = f"Zone “{zone.name}” added: routes are cut inside it from now on."
        elif trigger == "privacy-remove":
            if not isinstance(picked, str) or picked not in {z.name for z in found}:
                raise privacy.ZoneError("pick the zone to remove")
            found = [z for z in found if z.name != picked]
            running_data.save_zones(store, found)
            message = f"Zone “{picked}” removed."
    except privacy.ZoneError as exc:
        message = f"Not saved: {exc}."
    options = [{"label": f"{z.name} · {z.radius_m:.0f} m", "value": z.name} for z in found]
    return zones_figure(store, found, map_style), options, message
