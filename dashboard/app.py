"""The dashboard's Flask server (`server`, the WSGI entry), its login, and the Dash app on top."""

from __future__ import annotations

import hmac
import html
import importlib
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import dash
import dash_bootstrap_components as dbc
import flask
import flask_login
from dash import Input, Output, dcc
from dash import html as dhtml
from flask.sessions import SecureCookieSessionInterface

import settings
from dashboard import data, users
from dashboard.logic.common import use_light_template

HERE = Path(__file__).resolve().parent
LOGIN_ATTEMPTS_PER_MINUTE = 5
USER_CACHE_S = 30.0
# What the login page itself loads before anyone is logged in.
PUBLIC_PATHS = {"/login", "/assets/style.css", "/health"}
LIVE_INTERVAL_MS = 60_000
SESSION_LIFETIME_S = 24 * 3600


class ConfigError(RuntimeError):
    """The dashboard cannot start with these settings; the message says which and what to do."""


class User(flask_login.UserMixin):
    def __init__(self, name: str, role: str) -> None:
        self.id = name
        self.role = role

    @property
    def can_change(self) -> bool:
        """Owners may trigger syncs and change settings; viewers only look."""
        return self.role == "owner"


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the browser reached us over HTTPS (directly or through
    API Gateway / a proxy), and never on plain-HTTP loopback where it would be dropped."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        request = flask.request
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        return request.is_secure or forwarded == "https"


def secret_key() -> str:
    current = settings.get()
    if current.secret_key:
        return current.secret_key
    if current.demo:
        # Sessions end when a demo process stops: acceptable for a demo, never outside it.
        return secrets.token_urlsafe(32)
    raise ConfigError(
        "PULSEBOARD_SECRET_KEY is not set: the dashboard signs login sessions with it. "
        "Set it to a long random string, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )


def safe_next(target: str | None, prefix: str) -> str:
    """Where to go after login: only a path inside this app, anything else goes home."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return prefix
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or target.startswith("//"):
        return prefix
    if not target.startswith(prefix) or "/../" in target or target.endswith("/.."):
        return prefix
    return target


_users_cache: dict[str, tuple[float, User | None]] = {}
_users_lock = threading.Lock()


def load_user(name: str) -> User | None:
    """Users are read from the store at most every USER_CACHE_S per process: a removed user
    loses access within that, and Dash's many requests do not each cost a store read."""
    now = time.monotonic()
    with _users_lock:
        cached = _users_cache.get(name)
        if cached and now - cached[0] < USER_CACHE_S:
            return cached[1]
    record = users.get(data.store(), name)
    user = User(name, str(record.get("role", "viewer"))) if record else None
    with _users_lock:
        _users_cache[name] = (now, user)
    return user


def throttled(store: Any, name: str, client: str, now: float) -> bool:
    """Counts this sign-in attempt against the account and the client, and says whether either
    is over LOGIN_ATTEMPTS_PER_MINUTE. The attempt is counted *before* the password is checked:
    counting only failures afterwards would let parallel guesses all pass the check first.
    The count is a sliding minute (this window plus the unexpired share of the previous one), so
    no burst across a window boundary gets twice the allowance. Counters live in the store, so
    every process and Lambda container shares them."""
    window_s = 60
    over = False
    for key in (f"login:user:{name.casefold()}", f"login:client:{client}"):
        current = store.hit(key, window_s, now)
        previous = store.peek(key, window_s, now - window_s)
        share = 1.0 - (now % window_s) / window_s
        over = over or current + previous * share > LOGIN_ATTEMPTS_PER_MINUTE
    return over


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        flask.session["csrf"] = token
    return token


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulseboard · sign in</title>
<link rel="stylesheet" href="{stylesheet}">{icon}</head>
<body class="login-body">
<main class="login-card">
  <h1 class="brand">Pulseboard</h1>
  <p class="muted">Sign in to see your dashboard.</p>
  {error}
  <form method="post" action="{prefix}login">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <input type="hidden" name="next" value="{next}">
    <label for="username">User name</label>
    <input class="form-control" id="username" name="username" autocomplete="username"
           value="{username}" required autofocus>
    <label for="password">Password</label>
    <input class="form-control" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary" id="login-submit" type="submit">Sign in</button>
  </form>
</main></body></html>"""


def _render_login(prefix: str, next_url: str, error: str = "", username: str = "",
                  status: int = 200) -> flask.Response:
    app = dash.get_app()
    # Without a link the browser asks for /favicon.ico, outside the stage behind API Gateway; the
    # one Dash serves needs a session, so only the published copy is linked.
    icon = f'<link rel="icon" href="{html.escape(app.favicon_url())}">' if app.assets_url else ""
    body = LOGIN_PAGE.format(
        prefix=html.escape(prefix), stylesheet=html.escape(dash.get_asset_url("style.css")),
        icon=icon, csrf=html.escape(_csrf_token()), next=html.escape(next_url),
        username=html.escape(username),
        error=f'<div class="alert alert-danger" id="login-error">{html.escape(error)}</div>'
        if error else "",
    )
    response = flask.make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_json(path: str) -> bool:
    request = flask.request
    return (
        path.startswith(("/_", "/assets/"))
        or path.endswith(".json")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or (request.accept_mimetypes.best == "application/json")
    )


def _install_auth(server: flask.Flask, prefix: str) -> None:
    manager = flask_login.LoginManager()
    manager.session_protection = "basic"
    manager.user_loader(load_user)
    manager.init_app(server)

    @server.before_request
    def guard() -> Any:
        path = flask.request.path
        if path in PUBLIC_PATHS or flask_login.current_user.is_authenticated:
            return None
        if _wants_json(path):
            return flask.jsonify(error="unauthorized",
                                 message="Sign in first: this needs a session."), 401
        here = prefix + path.lstrip("/")
        if flask.request.query_string:
            here += "?" + flask.request.query_string.decode("latin-1")
        return flask.redirect(f"{prefix}login?next={quote(here, safe='/')}")

    @server.get("/health")
    def health() -> Any:
        return {"ok": True}

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        request = flask.request
        next_url = safe_next(request.values.get("next"), prefix)
        if request.method == "GET":
            if flask_login.current_user.is_authenticated:
                return flask.redirect(next_url)
            return _render_login(prefix, next_url)
        sent = request.form.get("csrf_token", "")
        expected = flask.session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent, expected):
            return _render_login(prefix, next_url, "The form expired. Please sign in again.",
                                 status=400)
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if throttled(data.store(), name, request.remote_addr or "", time.time()):
            return _render_login(
                prefix, next_url, "Too many sign-in attempts. Wait a minute, then try again.",
                username=name, status=429)
        record = users.verify(data.store(), name, password)
        if record is None:
            return _render_login(prefix, next_url, "Wrong user name or password.",
                                 username=name, status=401)
        flask.session.clear()  # a fresh session on login: no fixation
        with _users_lock:
            _users_cache.pop(name, None)
        flask_login.login_user(User(name, str(record.get("role", "viewer"))))
        return flask.redirect(next_url)

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        flask_login.logout_user()
        flask.session.clear()
        return flask.redirect(f"{prefix}login")

    @server.get("/reports.json")
    def reports() -> Any:
        return flask.jsonify([
            {"title": page["title"], "path": page["relative_path"],
             "description": page.get("description", "")}
            for page in dash.page_registry.values()
        ])


def navbar() -> dbc.Navbar:
    links = [
        ("Overview", "/"), ("Weight", "/weight"), ("Running", "/running"),
        ("Crossfit", "/crossfit"), ("Forecast", "/forecast"), ("Explore", "/explore"),
        ("Data quality", "/quality"),
    ]
    user = flask_login.current_user if flask.has_request_context() else None
    who = f"{user.id} · {user.role}" if user is not None and user.is_authenticated else ""
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("Pulseboard", href=dash.get_relative_path("/")),
            dbc.Nav([
                dbc.NavLink(label, href=dash.get_relative_path(path), active="exact",
                            id=f"app-nav-{path.strip('/') or 'overview'}")
                for label, path in links
            ], className="app-nav", navbar=True),
            dhtml.Div([
                dhtml.Span(who, className="app-user", id="app-user"),
                dhtml.A("Sign out", href=dash.get_relative_path("/logout"), id="app-logout",
                        className="app-logout"),
            ], className="app-user-box"),
        ], fluid=True, className="app-nav-container"),
        id="app-navbar", className="app-navbar", dark=True, color="primary",
    )


def serve_layout() -> Any:
    return dhtml.Div([
        dcc.Location(id="app-url"),
        dcc.Interval(id="app-live-interval", interval=LIVE_INTERVAL_MS),
        dcc.Store(id="app-data-version"),
        navbar(),
        dbc.Container(dash.page_container, fluid=True, className="app-main"),
    ], id="app-root")


def _install_live(app: dash.Dash) -> None:
    @app.callback(Output("app-data-version", "data"), Input("app-live-interval", "n_intervals"),
                  dash.State("app-data-version", "data"))
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


def bundle_path(namespace: str, package_path: str) -> str:
    """Where one of a package's browser files lives under PULSEBOARD_ASSETS_URL. The package and
    its installed version lead the path, so a published file never changes (it is cached for a
    year) and `make publish-assets` (deploy/assets.py) uploads to these very names."""
    version = importlib.import_module(namespace).__version__
    return f"{namespace}/{version}/{package_path}"


class _Dash(dash.Dash):
    """Dash that, given `assets_url`, has the browser fetch every component bundle, plotly.js and
    `assets/` from there instead of from this server. Behind API Gateway each of those files is a
    Lambda invocation, and a Lambda answer is at most 6 MB: plotly.js alone is 4.8 MB.

    Plain `serve_locally=False` is not enough: Dash then uses each bundle's `external_url`, a
    public CDN (unpkg, cdn.plot.ly) at Dash's choice, not our copy. So the resource lists keep
    picking package paths (`scripts`/`css` stay `serve_locally`), and each package path becomes an
    `external_url` under our base just before Dash writes the tags; a bundle so moved is never
    registered for `_dash-component-suites/`, so this server cannot be asked for it. The app's own
    `serve_locally=False` makes the renderer load plotly.js (dcc.Graph fetches it lazily) from
    `plotlyjs_url`, pointed at our copy below; `assets_external_path` moves `assets/`, and the
    index's icon link is pointed at our copy of Dash's icon. Lazy chunks (dcc's async-graph.js, …)
    load from beside their main bundle, so they follow it."""

    def __init__(self, *args: Any, assets_url: str = "", **kwargs: Any) -> None:
        self.assets_url = assets_url  # before Dash's __init__, which sets plotly.js up
        if assets_url:
            kwargs.update(serve_locally=False, assets_external_path=assets_url + "/")
        super().__init__(*args, **kwargs)
        if assets_url:
            self.scripts.config.serve_locally = True
            self.css.config.serve_locally = True

    def _external(self, resource: dict[str, Any]) -> dict[str, Any]:
        paths = resource.get("relative_package_path")
        if not self.assets_url or paths is None:
            return resource
        moved = {k: v for k, v in resource.items() if k != "relative_package_path"}
        moved["external_url"] = [
            f"{self.assets_url}/{bundle_path(resource['namespace'], path)}"
            for path in ([paths] if isinstance(paths, str) else paths)
        ]
        return moved

    def _collect_and_register_resources(self, resources: Any, include_async: bool = True,
                                        url_attr: str = "src") -> Any:
        return super()._collect_and_register_resources(
            [self._external(r) for r in resources], include_async, url_attr)

    def favicon_url(self) -> str:
        """The published icon (with `assets_url`): the app's own from assets/, else Dash's."""
        if self._favicon:
            return str(self.get_asset_url(self._favicon))
        return f"{self.assets_url}/{bundle_path('dash', 'favicon.ico')}"

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]  # Dash passes keywords
        if self.assets_url and not self._favicon:  # Dash's own icon, else served from here
            kwargs["favicon"] = f'<link rel="icon" type="image/x-icon" href="{self.favicon_url()}">'
        return str(super().interpolate_index(**kwargs))

    def _setup_plotlyjs(self) -> None:
        super()._setup_plotlyjs()
        if self.assets_url:
            plotly = next(r for r in dcc._js_dist if r.get("namespace") == "plotly")
            self._plotlyjs_url = self._external(plotly)["external_url"][0]


_built: dict[str, Any] = {}
_build_lock = threading.Lock()


def build() -> tuple[flask.Flask, dash.Dash]:
    """The server and Dash app, built once per process (Dash keeps pages and callbacks global)."""
    with _build_lock:
        if "server" in _built:
            return _built["server"], _built["dash"]
        use_light_template()
        server = flask.Flask("dashboard", root_path=str(HERE))
        server.config.update(
            SECRET_KEY=secret_key(),
            SESSION_COOKIE_HTTPONLY=True,
            # Flask refuses a session cookie signed longer ago than this, whatever the browser
            # keeps: a copied cookie stops working after a day.
            PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME_S,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_NAME="pulseboard_session",
        )
        server.session_interface = _SessionInterface()
        app = _Dash(
            "dashboard",
            server=server,
            use_pages=True,
            pages_folder=str(HERE / "pages"),
            assets_folder=str(HERE / "assets"),
            external_stylesheets=[],
            assets_url=settings.get().assets_url,
            suppress_callback_exceptions=True,
            title="Pulseboard",
            update_title=None,
            meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        )
        app.layout = serve_layout
        _install_auth(server, app.config.requests_pathname_prefix)
        _install_live(app)
        _built.update(server=server, dash=app)
        return server, app


def get_server() -> flask.Flask:
    return build()[0]


def __getattr__(name: str) -> Any:
    # `dashboard.app.server` for Zappa and WSGI servers, built on first use rather than at
    # import, so importing this module never needs a secret key or a store.
    if name == "server":
        return get_server()
    if name == "dash_app":
        return build()[1]
    raise AttributeError(name)
