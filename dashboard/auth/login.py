"""The sign-in page and the guard in front of every route (Dash's own included)."""

from __future__ import annotations

import html
import time
from importlib import metadata
from typing import Any
from urllib.parse import quote, urlparse

import flask
import flask_login

from dashboard import config as dashboard_config
from dashboard import data
from dashboard.auth import csrf, sessions, users
from dashboard.auth.throttle import client_address, throttled

# What the login page itself loads before anyone is logged in; the session request answers a
# visitor without a session itself (401 with where to sign in: dashboard/session.py).
PUBLIC_PATHS = {"/login", "/assets/style.css", "/health", "/_pulseboard/session"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulseboard · {title}</title>
<link rel="stylesheet" href="{stylesheet}">{icon}</head>
<body class="login-body">
<main class="login-card">
  <h1 class="brand">Pulseboard</h1>
  {body}
</main></body></html>"""
LOGIN_FORM = """<p class="muted">Sign in to see your dashboard.</p>
  {error}
  <form method="post" action="{prefix}login">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <input type="hidden" name="next" value="{next}">
    <label for="username">User name</label>
    <input class="form-control" id="username" name="username" autocomplete="username"
           value="{username}" maxlength="{max_name}" required autofocus>
    <label for="password">Password</label>
    <input class="form-control" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary" id="login-submit" type="submit">Sign in</button>
  </form>"""
LOGOUT_FORM = """<p class="muted">Sign out of Pulseboard?</p>
  {error}
  <form method="post" action="{prefix}logout">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <button class="btn btn-primary" id="logout-submit" type="submit">Sign out</button>
    <button class="btn" id="logout-everywhere" name="everywhere" value="1" type="submit">
      Sign out everywhere</button>
  </form>"""


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


PREFIX_KEY = "PULSEBOARD_PREFIX"  # where `install` keeps the stage prefix on the server


def asset_urls(assets_url: str, prefix: str) -> tuple[str, str]:
    """(the stylesheet's URL, the icon's or "") as the built Dash app links them
    (`dash.get_asset_url`, StaticHostedDash.favicon_url), made without importing Dash: the login
    page is answered before Dash is built (dashboard/front.py). Without a link the browser asks
    for /favicon.ico, outside the stage behind API Gateway; the one Dash serves needs a session,
    so only the published copy (Dash's own icon, under its version) is linked."""
    if not assets_url:
        return f"{prefix.rstrip('/')}/assets/style.css", ""
    return (f"{assets_url}/assets/style.css",
            f"{assets_url}/dash/{metadata.version('dash')}/favicon.ico")


def _page(title: str, body: str, status: int) -> flask.Response:
    prefix = str(flask.current_app.config.get(PREFIX_KEY, "/"))
    stylesheet, icon_url = asset_urls(dashboard_config.current().assets_url, prefix)
    icon = f'<link rel="icon" href="{html.escape(icon_url)}">' if icon_url else ""
    page = PAGE.format(title=title, body=body, icon=icon, stylesheet=html.escape(stylesheet))
    return flask.make_response(page, status)


def setup_possible(config: dashboard_config.DashboardConfig) -> bool:
    """Whether this install can have a setup page (dashboard.setup: the embedded store, browser
    code served from here). Asked first so that a cloud install never imports dashboard.setup,
    which imports Dash: a fifth of a second of the login page's cold start."""
    return config.store_url.startswith("sqlite:") and not config.assets_url


def _setup_open(path: str) -> bool:
    if not setup_possible(dashboard_config.current()):
        return False
    from dashboard import setup

    return setup.open_for_setup(path)


def _setup_wanted() -> bool:
    if not setup_possible(dashboard_config.current()):
        return False
    from dashboard import setup

    return setup.wanted()


def _error(text: str) -> str:
    return f'<div class="alert alert-danger" id="login-error">{html.escape(text)}</div>' \
        if text else ""


def _render(prefix: str, next_url: str, error: str = "", username: str = "",
            status: int = 200) -> flask.Response:
    return _page("sign in", LOGIN_FORM.format(
        prefix=html.escape(prefix), csrf=html.escape(csrf.token()), next=html.escape(next_url),
        username=html.escape(username), max_name=users.MAX_NAME_CHARS, error=_error(error),
    ), status)


def _render_logout(prefix: str, error: str = "", status: int = 200) -> flask.Response:
    return _page("sign out", LOGOUT_FORM.format(
        prefix=html.escape(prefix), csrf=html.escape(csrf.token()), error=_error(error),
    ), status)


def _wants_json(path: str) -> bool:
    request = flask.request
    return (
        path.startswith(("/_", "/assets/"))
        or path.endswith(".json")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or (request.accept_mimetypes.best == "application/json")
    )


def sign_in_first(prefix: str, page: str) -> flask.Response:
    """The session request's answer to a visitor without a session (dashboard/session.py): 401
    and where to sign in to come back to `page` (a path under `prefix`)."""
    answer = flask.jsonify(error="unauthorized", message="Sign in first.",
                           login=f"{prefix}login?next={quote(safe_next(page, prefix), safe='/')}")
    answer.status_code = 401
    answer.headers["Cache-Control"] = "no-store"
    return answer


def install(server: flask.Flask, prefix: str) -> None:
    """Sessions, the guard, and the sign-in and sign-out routes on `server`."""
    sessions.configure(server)
    server.config[PREFIX_KEY] = prefix
    manager = flask_login.LoginManager()
    manager.session_protection = "basic"
    manager.user_loader(sessions.load_user)
    manager.init_app(server)

    @server.before_request
    def guard() -> Any:
        request = flask.request
        if request.method == "POST" and csrf.cross_site(request):
            return flask.jsonify(error="cross_site",
                                 message="Refused: this request came from another site."), 403
        path = request.path
        if path in PUBLIC_PATHS or flask_login.current_user.is_authenticated:
            return None
        if _setup_open(path):  # a local install with no owner yet: its account form
            return None
        if _wants_json(path):
            return flask.jsonify(error="unauthorized",
                                 message="Sign in first: this needs a session."), 401
        here = prefix + path.lstrip("/")
        if request.query_string:
            here += "?" + request.query_string.decode("latin-1")
        return flask.redirect(f"{prefix}login?next={quote(here, safe='/')}")

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        request = flask.request
        next_url = safe_next(request.values.get("next"), prefix)
        if request.method == "GET":
            if flask_login.current_user.is_authenticated:
                return flask.redirect(next_url)
            if _setup_wanted():  # nobody can sign in before the owner exists: make it first
                return flask.redirect(f"{prefix}setup")
            return _render(prefix, next_url)
        if not csrf.valid(request.form.get("csrf_token", "")):
            return _render(prefix, next_url, "The form expired. Please sign in again.",
                           status=400)
        name = request.form.get("username", "").strip()
        if len(name) > users.MAX_NAME_CHARS:
            # No such user can exist: refused before anything is counted or stored.
            return _render(prefix, next_url,
                           f"User names have at most {users.MAX_NAME_CHARS} characters.",
                           status=400)
        password = request.form.get("password", "")
        client = client_address(request.environ)
        if throttled(data.store(), name, client, time.time()):
            return _render(prefix, next_url,
                           "Too many sign-in attempts. Wait a minute, then try again.",
                           username=name, status=429)
        record = users.verify(data.store(), name, password)
        if record is None:
            return _render(prefix, next_url, "Wrong user name or password.",
                           username=name, status=401)
        sessions.start(name, str(record.get("role", "viewer")))
        return flask.redirect(next_url)

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        # A link (GET) only asks: signing out is a form post with this session's token, so
        # another site cannot sign anyone out.
        request = flask.request
        if request.method == "GET":
            return _render_logout(prefix)
        if not csrf.valid(request.form.get("csrf_token", "")):
            return _render_logout(prefix, "The form expired. Please try again.", status=400)
        sessions.end(everywhere=request.form.get("everywhere") == "1")
        return flask.redirect(f"{prefix}login")
