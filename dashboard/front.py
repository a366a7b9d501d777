"""The dashboard's front door (Zappa's `app_function`): the sign-in and sign-out pages and /health
answered without building Dash, every other request handed to the full server (dashboard.app).

Building the Dash app imports Dash and every page (pandas among them): most of a second of a cold
container. A visitor without a session needs none of it, so the front answers them (the login
page, the login POST, the guard's 401 or redirect, the session request's "sign in first") with the
same code the full server runs (dashboard.auth.login), the same cookie (secret key, flask-login,
dashboard.auth.sessions), the same security headers and compression; the full server is built by
the first request that needs it and then answers every request but the front's own routes."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import flask
import flask_login

from dashboard import compression, headers
from dashboard import config as dashboard_config
from dashboard.auth import login
from dashboard.config import CONFIG_KEY, DashboardConfig

if TYPE_CHECKING:
    from dashboard.static_hosting import StaticHostedDash

HERE = Path(__file__).resolve().parent
# The routes the front answers itself, always (paths under the stage prefix).
OWN_PATHS = frozenset({"/login", "/logout", "/health"})
# dashboard/session.py's route (a page's first request to the function): public, so that without
# a session it can say where to sign in; the front says it (login.sign_in_first), as it does.
SESSION_PATH = "/_pulseboard/session"


def requests_prefix(env: Mapping[str, str]) -> str:
    """The stage prefix as Dash works it out (dash._configs.pathname_configs), from the variables
    Dash itself reads: Dash reads its own configuration from the environment, and importing it to
    ask would cost the cold start this module saves. `Front.full()` checks that the built app
    agrees."""
    routes = env.get("DASH_ROUTES_PATHNAME_PREFIX") or env.get("DASH_URL_BASE_PATHNAME") or "/"
    requests = env.get("DASH_REQUESTS_PATHNAME_PREFIX") or env.get("DASH_URL_BASE_PATHNAME")
    if requests:
        return requests
    app_name = env.get("DASH_APP_NAME")
    return f"/{app_name}{routes}" if app_name else routes


def _make(config: DashboardConfig, prefix: str) -> flask.Flask:
    server = flask.Flask("dashboard", root_path=str(HERE))
    server.config.update({"SECRET_KEY": config.secret_key, CONFIG_KEY: config})
    login.install(server, prefix)
    if login.setup_possible(config):  # a local install: the guard opens its setup page's paths
        from dashboard import setup

        setup.configure(server, config)

    @server.get("/health")
    def health() -> Any:
        return {"ok": True}

    @server.get(SESSION_PATH)
    def session_without_one() -> Any:  # only ever asked without a session (Front.__call__)
        return login.sign_in_first(prefix, flask.request.args.get("path", ""))

    # As dashboard.app: gzip after the headers have read the page (its inline scripts' hashes).
    compression.install(server)
    headers.install(server)
    return server


class Front:
    """A WSGI app: the front's own Flask server for OWN_PATHS and for visitors the guard refuses
    while the full server is not built; the full server for the rest."""

    def __init__(self, config: DashboardConfig, prefix: str) -> None:
        self.config = config
        self.prefix = prefix
        self.server = _make(config, prefix)
        self._full: flask.Flask | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether this front has built (or been handed) the full server."""
        return self._full is not None

    def full(self) -> flask.Flask:
        """The full server (dashboard.app.build), built on first use."""
        if self._full is None:
            with self._lock:
                if self._full is None:
                    with collector_paused():
                        from dashboard import app

                        server, dash_app = app.build(self.config)
                    _check_prefix(dash_app, self.prefix)
                    self._full = server
        return self._full

    def _refused(self, environ: dict[str, Any]) -> bool:
        """Whether this request needs a session it does not have: the guard turns it away (not a
        public path, not the setup page's) or it is the session request. The front answers it
        as the full server would."""
        with self.server.request_context(environ):
            if self.server.preprocess_request() is not None:
                return True
            return (flask.request.path == SESSION_PATH
                    and not flask_login.current_user.is_authenticated)

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path in OWN_PATHS or (self._full is None and self._refused(environ)):
            return self.server.wsgi_app(environ, start_response)
        return self.full().wsgi_app(environ, start_response)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Importing Dash and the pages makes about a million objects and frees few: Python's cyclic
    collector, run every few hundred new objects, walked the growing heap some 300 times, 0.2 s
    of a cold start. Paused meanwhile; what was made is then moved out of the collector's sight
    (gc.freeze), so later collections, in every warm callback, do not walk it either."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _check_prefix(dash_app: StaticHostedDash, prefix: str) -> None:
    built = dash_app.config.requests_pathname_prefix
    if built != prefix:
        raise dashboard_config.ConfigError(
            f"the dashboard's front serves under {prefix!r} but Dash under {built!r}: set "
            "DASH_REQUESTS_PATHNAME_PREFIX (and nothing else of Dash's paths) to the stage's")


def create_front(config: DashboardConfig | None = None,
                 env: Mapping[str, str] | None = None) -> Front:
    """The front for `config` (the settings' when none is given), under the stage prefix of `env`
    (the process's environment when none is given)."""
    import os

    import settings

    config = config or dashboard_config.from_settings(settings.get())
    return Front(config, requests_prefix(os.environ if env is None else env))


_fronts: dict[str, Front] = {}
_fronts_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # `dashboard.front.app` for Zappa, made on first use rather than at import (as
    # dashboard.app.server), so importing this module never needs a secret key.
    if name == "app":
        with _fronts_lock:
            if "app" not in _fronts:
                _fronts["app"] = create_front()
            return _fronts["app"]
    raise AttributeError(name)
