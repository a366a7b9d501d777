"""The dashboard's Flask server (`server`, the WSGI entry) and its Dash app: build and layout."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
import flask_login
from dash import Input, Output, dcc
from dash import html as dhtml

import settings
from core.errors import PulseboardError
from dashboard import callback_guard, compression, data, headers, session, setup
from dashboard import config as dashboard_config
from dashboard.auth import login
from dashboard.config import CONFIG_KEY, DashboardConfig
from dashboard.logic.common import use_light_template
from dashboard.static_hosting import StaticHostedDash

HERE = Path(__file__).resolve().parent
LIVE_INTERVAL_MS = 60_000


def _shown() -> dict[str, Any]:
    """The visitor's values in a signed-in request (`_dash-layout` asked of this server), else
    the placeholders a shell carries and its script fills from the session answer."""
    user = flask_login.current_user if flask.has_request_context() else None
    if user is not None and user.is_authenticated:
        return session.values()
    return session.placeholders()


def navbar(shown: dict[str, Any] | None = None) -> dbc.Navbar:
    """One link per registered page, in the pages' `order`."""
    shown = shown or _shown()
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("Pulseboard", href=dash.get_relative_path("/")),
            dbc.Nav([
                dbc.NavLink(page["name"], href=page["relative_path"], active="exact",
                            id=f"app-nav-{page['path'].strip('/') or 'overview'}")
                for page in dash.page_registry.values()
            ], className="app-nav", navbar=True),
            prefs_chooser(shown),
            dhtml.Div([
                dhtml.Span(shown["who"], className="app-user", id="app-user"),
                sign_out(shown),
            ], className="app-user-box"),
        ], fluid=True, className="app-nav-container"),
        id="app-navbar", className="app-navbar", dark=True, color="primary",
    )


def prefs_chooser(shown: dict[str, Any] | None = None) -> Any:
    """The viewer's own units and time zone, kept with their user (dashboard.prefs)."""
    from core import localtime

    shown = shown or _shown()
    zones = [z for z in localtime.zone_names()
             if "/" in z and not z.startswith(("Etc/", "SystemV/"))]
    return dhtml.Div([
        dcc.Dropdown(id="app-units", value=shown["units_choice"],
                     clearable=False, searchable=False,
                     options=[{"label": "kg · km", "value": "metric"},
                              {"label": "lb · mi", "value": "imperial"},
                              {"label": "st · mi", "value": "stone"}],
                     className="app-pref app-pref-units", style={"width": "7.5rem"}),
        dcc.Dropdown(id="app-zone", value=shown["zone"], clearable=False,
                     options=["UTC", *zones], className="app-pref app-pref-zone",
                     style={"width": "14rem"}),
        dcc.Store(id="app-prefs-saved"),
        dcc.Store(id="app-prefs-reload"),
    ], className="app-prefs", id="app-prefs", title="Units and time zone",
        style={"display": "flex", "gap": "0.5rem", "color": "#212529", "fontSize": "13px",
               "marginRight": "1rem"})


def sign_out(shown: dict[str, Any] | None = None) -> Any:
    """Signing out is a form post with the session's CSRF token, never a link another site
    could make the browser follow."""
    shown = shown or _shown()
    return dhtml.Form([
        dcc.Input(type="hidden", name="csrf_token", value=shown["csrf_token"],
                  id="app-logout-csrf"),
        dhtml.Button("Sign out", type="submit", id="app-logout", className="app-logout"),
    ], method="POST", action=dash.get_relative_path("/logout"), className="app-logout-form")


def serve_layout() -> Any:
    """The root layout: the same for every visitor but for `_shown()`'s values. The data version
    is the one the page starts from, so its callbacks fire once with it rather than once without
    it and again when the live check's first answer lands (on Lambda, each callback is an
    invocation)."""
    shown = _shown()
    return dhtml.Div([
        dcc.Location(id="app-url"),
        dcc.Interval(id="app-live-interval", interval=LIVE_INTERVAL_MS),
        dcc.Store(id="app-data-version", data=shown["data_version"]),
        navbar(shown),
        dhtml.Div(id=callback_guard.ERROR_ID),
        dbc.Container(dash.page_container, fluid=True, className="app-main"),
    ], id="app-root")


def _install_routes(server: flask.Flask) -> None:
    @server.get("/health")
    def health() -> Any:
        return {"ok": True}

    @server.errorhandler(dash.exceptions.DependencyException)
    def unknown_bundle(_exc: Exception) -> Any:
        return flask.jsonify(error="not_found", message="No such file."), 404

    @server.get("/reports.json")
    def reports() -> Any:
        return flask.jsonify([
            {"title": page["title"], "path": page["relative_path"],
             "description": page.get("description", "")}
            for page in dash.page_registry.values()
        ])


def _install_live(app: dash.Dash) -> None:
    @app.callback(Output("app-data-version", "data"), Input("app-live-interval", "n_intervals"),
                  dash.State("app-data-version", "data"), prevent_initial_call=True)
    def check_version(_n: int | None, known: str | None) -> Any:
        # One small read a minute; pages redraw only when a sync actually landed.
        version = data.current_version(data.store(), fresh=True)
        return dash.no_update if version == known else version

    # Embedded in an iframe: no navigation, only the page.
    app.clientside_callback(
        """function(search) {
            const embed = new URLSearchParams(search || "").get("embed") === "1";
            document.body.classList.toggle("embed", embed);
            return embed ? {"display": "none"} : {};
        }""",
        Output("app-navbar", "style"),
        Input("app-url", "search"),
    )


_built: dict[str, Any] = {}
_build_lock = threading.Lock()


def build(config: DashboardConfig | None = None) -> tuple[flask.Flask, StaticHostedDash]:
    """The server and Dash app. Dash keeps pages and callbacks per process, so they are built
    once; each call hands them its config (the settings' when none is given): one per process
    when deployed, one per test in the tests."""
    config = config or dashboard_config.from_settings(settings.get())
    with _build_lock:
        if "server" not in _built:
            _built.update(zip(("server", "dash"), _make(config), strict=True))
        server, app = _built["server"], _built["dash"]
        if app.assets_url != config.assets_url:
            raise dashboard_config.ConfigError(
                "PULSEBOARD_ASSETS_URL cannot change once the dashboard is built in a process")
        server.config.update({"SECRET_KEY": config.secret_key, CONFIG_KEY: config})
        setup.configure(server, config)
        return server, app


def create_app(config: DashboardConfig | None = None) -> flask.Flask:
    """The dashboard's Flask server for `config` (the settings' when none is given)."""
    return build(config)[0]


def _make(config: DashboardConfig) -> tuple[flask.Flask, StaticHostedDash]:
    server = flask.Flask("dashboard", root_path=str(HERE))
    app = StaticHostedDash(
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        external_stylesheets=[],
        assets_url=config.assets_url,
        suppress_callback_exceptions=True,
        title="Pulseboard",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=callback_guard.on_error,
    )
    if "plotly.graph_objects" in sys.modules:  # a page draws with graph_objects: our look
        use_light_template()  # (plain-dict figures carry it; plotly costs 1 s of import)
    app.layout = serve_layout
    _install_routes(server)
    login.install(server, app.config.requests_pathname_prefix)
    session.install(server, app.config.requests_pathname_prefix)
    setup.install(server)
    callback_guard.install(app)
    # Flask runs after_request hooks last-registered first: gzip after the headers have read
    # the page (its inline scripts' hashes).
    compression.install(server)
    headers.install(server)
    _install_live(app)
    _install_prefs(app)
    return server, app


def _install_prefs(app: dash.Dash) -> None:
    @app.callback(Output("app-prefs-saved", "data"), Input("app-units", "value"),
                  Input("app-zone", "value"), prevent_initial_call=True)
    def save_prefs(units: Any, zone: Any) -> Any:
        from dashboard import prefs

        if not isinstance(units, str) or not isinstance(zone, str):
            return dash.no_update
        chosen = prefs.current_prefs()
        stone = units == "stone"
        units = "imperial" if stone else units
        if (units, zone, stone) == (chosen.units, chosen.zone_name, chosen.stone):
            return dash.no_update
        try:
            now = prefs.choose(units, zone, stone)
        except PulseboardError:  # a name the chooser never offers: nothing is changed
            return dash.no_update
        return {"units": now.units, "zone": now.zone_name}

    # Every page reads the prefs when it draws: drawing it again shows the new choice.
    app.clientside_callback(
        """function(saved) { if (saved) { window.location.reload(); } return null; }""",
        Output("app-prefs-reload", "data"),
        Input("app-prefs-saved", "data"),
        prevent_initial_call=True,
    )


def __getattr__(name: str) -> Any:
    # `dashboard.app.server` for WSGI servers (Zappa's entry is dashboard.front.app, which hands
    # over to it), built on first use rather than at import, so importing this module never
    # needs a secret key or a store.
    if name == "server":
        return create_app()
    if name == "dash_app":
        return build()[1]
    raise AttributeError(name)
